"""conversations.history: a channel's top-level messages, newest first, with cursor paging.

A mixin of `SlackEmulator`; messages are the emulator's `_messages` (chat.postMessage and
`add_user_message` put them there, chat.delete takes them out).
"""

from __future__ import annotations

import base64
import copy
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final

from sandbox.slack.common import SlackError, truthy
from sandbox.slack.directory import BOT_USER_ID
from sandbox.slack.scopes import conversation_kind, require_kind_scope

Args = dict[str, Any]
MAX_LIMIT: Final = 999


class History:
    """conversations.history (mixed into SlackEmulator)."""

    scopes: set[str]
    members: dict[str, set[str]]
    _messages: dict[str, list[dict[str, Any]]]

    if TYPE_CHECKING:  # provided by WebApi

        def find_channel(self, ref: Any, *, by_name: bool = False) -> dict[str, Any]: ...

    async def conversations_history(self, a: Args) -> Args:
        """Top-level messages between oldest and latest (exclusive unless `inclusive`), newest first.

        `metadata` is included only with include_all_metadata; the scope needed follows the
        conversation's kind (channels:, groups:, im: or mpim:history); a public channel the bot
        is not in answers not_in_channel.
        """
        channel = self.find_channel(a.get("channel"))
        require_kind_scope("conversations.history", conversation_kind(channel), self.scopes)
        if BOT_USER_ID not in self.members.get(channel["id"], ()):
            raise SlackError("not_in_channel")
        oldest = _ts_arg(a.get("oldest"), "invalid_ts_oldest") or Decimal(0)
        latest = _ts_arg(a.get("latest"), "invalid_ts_latest")
        inclusive = truthy(a.get("inclusive"))
        try:
            limit = max(1, min(int(a.get("limit") or 100), MAX_LIMIT))
        except (TypeError, ValueError):
            raise SlackError("invalid_limit") from None
        start = _decode_cursor(a.get("cursor"))  # the page begins at this ts (inclusive)

        def wanted(msg: dict[str, Any]) -> bool:
            if msg.get("thread_ts") not in (None, msg["ts"]) and msg.get("subtype") != "thread_broadcast":
                return False  # a reply lives in its thread (conversations.replies)
            ts = Decimal(msg["ts"])
            after_oldest = ts > oldest or (inclusive and ts == oldest)
            before_latest = latest is None or ts < latest or (inclusive and ts == latest)
            return after_oldest and before_latest and (start is None or ts <= start)

        found = sorted(
            (m for m in self._messages.get(channel["id"], []) if wanted(m)),
            key=lambda m: Decimal(m["ts"]),
            reverse=True,
        )
        page = [copy.deepcopy(m) for m in found[:limit]]
        if not truthy(a.get("include_all_metadata")):
            for msg in page:
                msg.pop("metadata", None)
        more = len(found) > limit
        return {
            "messages": page,
            "has_more": more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": _encode_cursor(found[limit]["ts"]) if more else ""},
        }


def _ts_arg(value: Any, error: str) -> Decimal | None:
    """A message ts argument ("1700000000.000100"); None when absent."""
    if value in (None, ""):
        return None
    try:
        ts = Decimal(str(value))
    except InvalidOperation:
        raise SlackError(error) from None
    if not ts.is_finite() or ts < 0:
        raise SlackError(error)
    return ts


def _encode_cursor(ts: str) -> str:
    """An opaque cursor naming the first message of the next page, as Slack's are."""
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _decode_cursor(cursor: Any) -> Decimal | None:
    """The ts a cursor names; invalid_cursor for anything not made by _encode_cursor."""
    if not cursor:
        return None
    try:
        text = base64.b64decode(str(cursor), validate=True).decode()
        if not text.startswith("next_ts:"):
            raise ValueError(text)
        return Decimal(text.removeprefix("next_ts:"))
    except (ValueError, InvalidOperation):
        raise SlackError("invalid_cursor") from None
