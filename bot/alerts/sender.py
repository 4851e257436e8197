"""The outbox sender: one message per group, marked sent only after Slack accepted it.

A send whose answer never came (crash, 5xx, timeout) is reconciled against the channel's
history, where every alert carries its outbox ids in message metadata: found → sent, not
found → sent again. So a kill -9 at any moment loses nothing and doubles nothing.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections import defaultdict
from typing import Any, Callable, Final

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.store import OutboxRow, Store

log = logging.getLogger(__name__)

METADATA_TYPE: Final = "accountbot_alert"
GONE: Final = frozenset({"channel_not_found", "not_in_channel", "is_archived", "account_inactive", "user_not_found",
                         "user_disabled", "cannot_dm_bot", "restricted_action", "ekm_access_denied",
                         "team_access_not_granted", "invalid_auth", "missing_scope"})
RECONCILE_AFTER: Final = 30.0  # a send older than this with no answer is checked against history
MAX_BACKOFF: Final = 300.0
CHANNEL_SPACING: Final = 1.0  # Slack: about one message per second per channel

Renderer = Callable[[str, list[dict[str, Any]]], dict[str, Any]]


def _crash_point(name: str) -> None:
    """Test hook: ACCOUNTBOT_CRASH_AT=<name> kills the process here, as kill -9 would."""
    if os.environ.get("ACCOUNTBOT_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


class OutboxSender:
    """Sends due outbox groups; per destination in order, destinations concurrently."""

    def __init__(self, store: Store, client: AsyncWebClient, render: Renderer, *,
                 clock: Callable[[], float] = time.time, reconcile_after: float = RECONCILE_AFTER) -> None:
        self.store = store
        self.client = client
        self.render = render
        self.clock = clock
        self.reconcile_after = reconcile_after
        self.sent = 0
        self._last_post: dict[str, float] = {}

    async def run_once(self) -> int:
        """Send every due group now; returns the messages Slack accepted."""
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
        for group in groups:
            destination = group[0].destination
            wait = self._last_post.get(destination, 0.0) + CHANNEL_SPACING - time.monotonic()
            if wait > 0:  # pace ourselves rather than collect 429s
                await asyncio.sleep(wait)
            done = await self._send(group)
            if done:
                self._last_post[destination] = time.monotonic()
            sent += done
        return sent

    async def _send(self, group: list[OutboxRow]) -> int:
        ids = [r.id for r in group]
        started = self.clock()
        if not await self.store.claim_for_sending(ids, started):
            return 0  # another sender has them
        destination = group[0].destination
        try:
            channel = await self._channel(destination)
        except SlackApiError as exc:
            return await self._failed(group, exc, None)
        await self.store.set_outbox_channel(ids, channel)
        message = self.render(group[0].kind, [r.payload for r in group])
        metadata = {"event_type": METADATA_TYPE, "event_payload": {"outbox_ids": ids}}
        _crash_point("before_post")
        try:
            response = await self.client.chat_postMessage(channel=channel, metadata=metadata, **message)
        except SlackApiError as exc:
            return await self._failed(group, exc, channel)
        except (asyncio.TimeoutError, OSError, aiohttp.ClientError) as exc:  # the answer was lost: did Slack take it?
            return await self._ambiguous(group, channel, started, repr(exc))
        _crash_point("after_post")
        await self.store.mark_sent(ids, channel, response.get("ts"))
        self.sent += 1
        return 1

    async def _channel(self, destination: str) -> str:
        if destination.startswith(("U", "W")):  # a person: their DM channel
            opened = await self.client.conversations_open(users=destination)
            return opened["channel"]["id"]
        return destination

    async def _failed(self, group: list[OutboxRow], exc: SlackApiError, channel: str | None) -> int:
        ids = [r.id for r in group]
        error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
        status = exc.response.status_code
        if status == 429 or error == "ratelimited":
            retry_after = float(exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after", 1)))
            await self.store.mark_retry(ids, self.clock() + retry_after, "rate limited")
            return 0
        if error in GONE:
            log.warning("alerts to %s stop: %s", group[0].destination, error)
            await self.store.mark_failed(ids, error)
            if not group[0].destination.startswith(("U", "W")):
                await self.store.mark_channel_broken(group[0].destination, error)
            return 0
        if status >= 500 and channel is not None:
            return await self._ambiguous(group, channel, group[0].attempt_started_at or self.clock(), error)
        await self.store.mark_retry(ids, self.clock() + self._backoff(group), error)
        return 0

    async def _ambiguous(self, group: list[OutboxRow], channel: str, started: float, error: str,
                         retry_in: float | None = None) -> int:
        ids = [r.id for r in group]
        try:
            found = await self._posted(channel, ids, started)
        except SlackApiError as exc:  # can't tell now: leave it "sending" for reconcile()
            log.warning("could not check %s for outbox %s: %s", channel, ids, exc.response.get("error"))
            return 0
        if found is not None:
            await self.store.mark_sent(ids, channel, found)
            self.sent += 1
            return 1
        wait = self._backoff(group) if retry_in is None else retry_in
        await self.store.mark_retry(ids, self.clock() + wait, error)
        return 0

    async def _posted(self, channel: str, ids: list[int], since: float) -> str | None:
        """The ts of a message in `channel` carrying these outbox ids, or None."""
        wanted = set(ids)
        cursor = None
        while True:
            page = await self.client.conversations_history(channel=channel, oldest=f"{since - 5:.6f}",
                                                           include_all_metadata=True, limit=200, cursor=cursor)
            for message in page.get("messages", []):
                meta = message.get("metadata") or {}
                if meta.get("event_type") == METADATA_TYPE and wanted & set(meta.get("event_payload", {}).get("outbox_ids", [])):
                    return message.get("ts")
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    async def reconcile(self) -> int:
        """Sends that began long ago and never concluded: sent (found in history) or due again."""
        settled = 0
        stuck = await self.store.stuck_sending(self.clock() - self.reconcile_after)
        groups: dict[tuple[str, float | None], list[OutboxRow]] = defaultdict(list)
        for row in stuck:
            groups[(row.group_key, row.attempt_started_at)].append(row)
        for group in groups.values():
            ids = [r.id for r in group]
            channel = group[0].channel
            if channel is None:  # died before even knowing where to post: nothing went out
                await self.store.mark_retry(ids, self.clock(), "sender stopped before posting")
                continue
            settled += await self._ambiguous(group, channel, group[0].attempt_started_at or 0.0,
                                             "sender stopped mid-send", retry_in=0.0)
        return settled

    def _backoff(self, group: list[OutboxRow]) -> float:
        attempts = max(r.attempts for r in group) + 1
        return min(MAX_BACKOFF, 2.0 ** attempts)
