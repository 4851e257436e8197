"""The outbox sender: one message per group, marked sent only after Slack accepted it.

A send whose answer never came (crash, 5xx, timeout) is checked against the channel's
history, where every alert carries its outbox ids in message metadata: the ids found there
are sent, the others go out again. When history can't be read at all (a missing scope,
the bot removed from the channel), the check is retried a few times with backoff and then
the alert is sent again anyway — at least once, marked `unverified` (it may show twice) —
so an alert is never silently lost. `/account doctor` shows those sends and the scope to add.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol

import aiohttp
from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.alerts import MAX_ACCOUNTS
from bot.metrics import WEBHOOK_TO_SLACK_SECONDS
from bot.models.alerts import COALESCING, AlertPayload
from bot.store import OutboxRow, Store

log = logging.getLogger(__name__)

METADATA_TYPE: Final = "accountbot_alert"
EMAIL_PREFIX: Final = "email:"  # a deal owner's DM: the Slack user is looked up when sending
GONE: Final = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "restricted_action",
        "ekm_access_denied",
        "team_access_not_granted",
        "invalid_auth",
        "missing_scope",
        "users_not_found",
    }
)
# History errors that won't heal by waiting: after MAX_CHECKS of them the alert is sent again unchecked.
UNREADABLE: Final = frozenset(
    {
        "missing_scope",
        "not_in_channel",
        "channel_not_found",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "no_permission",
        "access_denied",
        "ekm_access_denied",
        "team_access_not_granted",
        "is_archived",
    }
)
MAX_CHECKS: Final = 3
CHECK_BACKOFF: Final = 5.0  # seconds before the second check; doubled each time
RECONCILE_AFTER: Final = 30.0  # a send older than this with no answer is checked against history
MAX_BACKOFF: Final = 300.0
CHANNEL_SPACING: Final = 1.0  # Slack: about one message per second per channel
PEOPLE_TTL: Final = 3600.0

Renderer = Callable[[str, Sequence[AlertPayload]], dict[str, Any]]


class LeaseCheck(Protocol):
    """Raises when this process is no longer the leader (bot.alerts.worker.LeaseKeeper)."""

    async def check(self) -> None: ...


class _Unreadable(Exception):
    """conversations.history refused for a reason that won't heal by itself."""


def _crash_point(name: str) -> None:
    """Test hook: ACCOUNTBOT_CRASH_AT=<name> kills the process here, as kill -9 would."""
    if os.environ.get("ACCOUNTBOT_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _error(exc: SlackApiError) -> str:
    """Slack's error code, with the scope it names when one is missing."""
    error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
    needed = exc.response.get("needed")
    return f"{error} (needs {needed})" if error == "missing_scope" and needed else error


class OutboxSender:
    """Sends due outbox groups; per destination in order, destinations concurrently."""

    def __init__(
        self,
        store: Store,
        client: AsyncWebClient,
        render: Renderer,
        *,
        name: str = "",
        clock: Callable[[], float] = time.time,
        reconcile_after: float = RECONCILE_AFTER,
    ) -> None:
        self.store = store
        self.name = name  # the process posting (carried in the message metadata, for audits)
        self.client = client
        self.render = render
        self.clock = clock
        self.reconcile_after = reconcile_after
        self.sent = 0
        self._last_post: dict[str, float] = {}
        self._lease: LeaseCheck | None = None
        self._people: TTLCache[str, str] = TTLCache(10_000, PEOPLE_TTL)  # owner email → Slack user id

    async def run_once(self, lease: LeaseCheck | None = None) -> int:
        """Send every due group now; returns the messages Slack accepted. Stops when `lease` is lost."""
        self._lease = lease
        rows = await self.store.due_outbox(self.clock())
        groups: dict[str, list[OutboxRow]] = defaultdict(list)
        for row in rows:
            groups[row.group_key].append(row)
        by_destination: dict[str, list[list[OutboxRow]]] = defaultdict(list)
        for group in groups.values():
            by_destination[group[0].destination].append(group)
        results = await asyncio.gather(*(self._send_in_order(gs) for gs in by_destination.values()))
        return sum(results)

    async def _send_in_order(self, groups: list[list[OutboxRow]]) -> int:
        sent = 0
        for group in _coalesce(groups):
            destination = group[0].destination
            wait = self._last_post.get(destination, 0.0) + CHANNEL_SPACING - time.monotonic()
            if wait > 0:  # pace ourselves rather than collect 429s
                await asyncio.sleep(wait)
            if self._lease is not None:
                await self._lease.check()
            sent += await self._send(group)
        return sent

    async def _send(self, group: list[OutboxRow]) -> int:
        ids = [r.id for r in group]
        started = self.clock()
        if not await self.store.claim_for_sending(ids, started):
            return 0  # another sender has them
        try:
            channel = await self._channel(group[0].destination)
        except SlackApiError as exc:
            return await self._failed(group, exc, None, started)
        await self.store.set_outbox_channel(ids, channel)
        message = self.render(group[0].kind, [r.payload for r in group])
        metadata = {"event_type": METADATA_TYPE, "event_payload": {"outbox_ids": ids, "by": self.name}}
        _crash_point("before_post")
        self._last_post[group[0].destination] = time.monotonic()  # a post counts against the rate, answered or not
        try:
            response = await self.client.chat_postMessage(channel=channel, metadata=metadata, **message)
        except SlackApiError as exc:
            return await self._failed(group, exc, channel, started)
        except (TimeoutError, OSError, aiohttp.ClientError) as exc:  # the answer was lost: did Slack take it?
            return await self._check(group, channel, started, repr(exc))
        _crash_point("after_post")
        await self.store.mark_sent(ids, channel, response.get("ts"))
        accepted = time.time()
        for row in group:
            WEBHOOK_TO_SLACK_SECONDS.observe(max(0.0, accepted - row.created_at))
        self.sent += 1
        return 1

    async def _channel(self, destination: str) -> str:
        """Where to post: a channel as is; a person (by id, or by email) in their DM."""
        if destination.startswith(EMAIL_PREFIX):
            email = destination[len(EMAIL_PREFIX) :]
            if email not in self._people:  # errors (rate limits included) retry like any send
                self._people[email] = (await self.client.users_lookupByEmail(email=email))["user"]["id"]
            destination = self._people[email]
        if destination.startswith(("U", "W")):
            opened = await self.client.conversations_open(users=destination)
            return opened["channel"]["id"]
        return destination

    async def _failed(self, group: list[OutboxRow], exc: SlackApiError, channel: str | None, started: float) -> int:
        ids = [r.id for r in group]
        error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
        status = exc.response.status_code
        if status == 429 or error == "ratelimited":
            retry_after = float(exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after", 1)))
            await self.store.mark_retry(ids, self.clock() + retry_after, "rate limited")
            return 0
        if error in GONE:
            log.warning("alerts to %s stop: %s", group[0].destination, error)
            await self.store.mark_failed(ids, _error(exc))
            if not group[0].destination.startswith(("U", "W", EMAIL_PREFIX)):
                await self.store.mark_channel_broken(group[0].destination, error)
            return 0
        if status >= 500 and channel is not None:  # Slack may have stored it before failing: look
            return await self._check(group, channel, started, error)
        await self.store.mark_retry(ids, self.clock() + self._backoff(group), error)
        return 0

    async def _check(
        self, group: list[OutboxRow], channel: str, started: float, error: str, retry_in: float | None = None
    ) -> int:
        """After a lost answer: the ids found in history are sent, the rest go out again."""
        ids = [r.id for r in group]
        try:
            found = await self._posted(channel, ids, started)
        except (TimeoutError, SlackApiError, OSError, aiohttp.ClientError) as exc:
            return await self._cannot_check(group, exc)
        for ts, posted in found.items():
            await self.store.mark_sent(posted, channel, ts)
        missing = [i for i in ids if all(i not in posted for posted in found.values())]
        if missing:
            wait = (
                0.0 if found else self._backoff(group) if retry_in is None else retry_in
            )  # part went out: the rest now
            await self.store.mark_retry(missing, self.clock() + wait, error)
        self.sent += len(found)
        return len(found)

    async def _cannot_check(self, group: list[OutboxRow], exc: BaseException) -> int:
        """History could not be read: check again later, or (a lasting cause, checked enough) send again."""
        ids = [r.id for r in group]
        reason = _error(exc) if isinstance(exc, SlackApiError) else f"no answer ({type(exc).__name__})"
        lasting = isinstance(exc, SlackApiError) and (exc.response.get("error") or "") in UNREADABLE
        checks = max(r.checks for r in group) + 1
        if lasting and checks >= MAX_CHECKS:
            log.warning(
                "outbox %s: can't read %s's history (%s) to see whether Slack took the alert; sending it "
                "again (it may show twice)",
                ids,
                group[0].destination,
                reason,
            )
            await self.store.mark_retry(ids, self.clock(), reason, unverified=True)
            return 0
        log.warning("outbox %s: could not check history (%s); checking again later", ids, reason)
        await self.store.mark_checking(ids, self.clock() + min(MAX_BACKOFF, CHECK_BACKOFF * 2 ** (checks - 1)), reason)
        return 0

    async def _posted(self, channel: str, ids: list[int], since: float) -> dict[str, list[int]]:
        """Messages in `channel` since `since` carrying any of these outbox ids: ts → the ids it carries."""
        wanted = set(ids)
        found: dict[str, list[int]] = {}
        cursor = None
        while True:
            page = await self.client.conversations_history(
                channel=channel, oldest=f"{since - 5:.6f}", include_all_metadata=True, limit=200, cursor=cursor
            )
            messages: list[dict[str, Any]] = page.get("messages", [])
            for message in messages:
                meta = message.get("metadata") or {}
                if meta.get("event_type") != METADATA_TYPE:
                    continue
                carried = wanted & set(meta.get("event_payload", {}).get("outbox_ids", []))
                if carried:
                    found.setdefault(message["ts"], []).extend(sorted(carried))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return found

    async def reconcile(self, lease: LeaseCheck | None = None) -> int:
        """Sends that never concluded (a crash, or a check due again): sent (found in history) or due again."""
        self._lease = lease
        settled = 0
        now = self.clock()
        stuck = await self.store.stuck_sending(now - self.reconcile_after, now)
        groups: dict[tuple[str, float | None], list[OutboxRow]] = defaultdict(list)
        for row in stuck:
            groups[(row.group_key, row.attempt_started_at)].append(row)
        for group in groups.values():
            if self._lease is not None:
                await self._lease.check()
            ids = [r.id for r in group]
            channel = group[0].channel
            if channel is None:  # died before even knowing where to post: nothing went out
                await self.store.mark_retry(ids, self.clock(), "sender stopped before posting")
                continue
            settled += await self._check(
                group,
                channel,
                group[0].attempt_started_at or 0.0,
                group[0].last_error or "sender stopped mid-send",
                retry_in=0.0,
            )
        return settled

    def _backoff(self, group: list[OutboxRow]) -> float:
        attempts = max(r.attempts for r in group) + 1
        return min(MAX_BACKOFF, 2.0**attempts)


def _coalesce(groups: list[list[OutboxRow]]) -> list[list[OutboxRow]]:
    """Groups due at once for one destination: payments (or escalations) of several accounts go as one message.

    Slack takes about one message per second per channel: in a burst, a channel hears of ten
    accounts in one message rather than one account a second.
    """
    out: list[list[OutboxRow]] = []
    for group in groups:
        last = out[-1] if out else None
        if (
            last is not None
            and group[0].kind in COALESCING
            and last[0].kind == group[0].kind
            and len({r.deal_id for r in last}) < MAX_ACCOUNTS
        ):
            last.extend(group)
        else:
            out.append(list(group))
    return out
