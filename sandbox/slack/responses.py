"""response_url endpoints: 5 posts within 30 minutes, ephemeral / in_channel, replace / delete.

A mixin of `SlackEmulator`. Expired or used-up URLs answer 404 with `expired_url` /
`used_url` as the body (a plain-text answer, like Slack's hooks); accepted posts answer
200 `ok`. Every post is recorded in `response_posts`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from sandbox.slack.common import SlackError, truthy
from sandbox.slack.directory import BOT_USER_ID

MAX_RESPONSE_POSTS: Final = 5


@dataclass
class ResponseUrl:
    """A response_url the emulator issued."""

    url: str
    channel_id: str
    user_id: str
    issued_at: float
    message_ts: str | None = None  # the message a block action came from
    uses: int = 0
    last_ephemeral: dict[str, Any] | None = None


class ResponseUrls:
    """response_url side of the emulator (mixed into SlackEmulator)."""

    base_url: str
    clock: Callable[[], float]
    response_url_ttl: float
    response_posts: list[dict[str, Any]]
    acks: list[dict[str, Any]]
    ephemerals: list[dict[str, Any]]
    deleted: list[dict[str, Any]]
    _messages: dict[str, list[dict[str, Any]]]
    _response_urls: dict[str, ResponseUrl]
    _seq: Any

    if TYPE_CHECKING:  # provided by the emulator and WebApi

        def next_ts(self) -> str: ...

        def content(self, a: dict[str, Any], *, surface: str = "message", require: bool = True) -> dict[str, Any]: ...

        def bot_message(self, ts: str, body: dict[str, Any]) -> dict[str, Any]: ...

    def new_response_url(self, channel_id: str, user_id: str, *, message_ts: str | None = None) -> str:
        """Issue a response_url (5 posts within 30 minutes); `message_ts` for a block action."""
        rid = f"{next(self._seq)}{secrets.token_hex(10)}"
        url = f"{self.base_url}/response/{rid}"
        self._response_urls[rid] = ResponseUrl(url, channel_id, user_id, self.clock(), message_ts)
        return url

    def acknowledged(self, response_url: str, body: str, content_type: str) -> dict[str, Any] | None:
        """What Slack makes of a slash command's ack (the HTTP 200 answering it); the message it shows, if any.

        An empty body shows nothing; plain text or a JSON message is the answer, ephemeral unless
        `response_type` is `in_channel`, and a later response_url post with `replace_original`
        replaces it. A message Slack would refuse raises SlackError (the user sees an error).
        """
        ru = self._response_urls.get(response_url.rsplit("/", 1)[-1])
        if ru is None or not body.strip():
            return None
        parsed: Any = json.loads(body) if content_type.startswith("application/json") else {"text": body}
        if not isinstance(parsed, dict):
            raise SlackError("invalid_payload")
        content = self.content(dict(parsed))
        self.acks.append({"url": ru.url, "body": parsed})
        ts = self.next_ts()
        message = self.bot_message(ts, content)
        if parsed.get("response_type") == "in_channel":
            message["response_type"] = "in_channel"
            self._messages.setdefault(ru.channel_id, []).append(message)
            return parsed
        ru.last_ephemeral = {"channel": ru.channel_id, "user": ru.user_id, "ts": ts, "via": "ack", "message": message}
        self.ephemerals.append(ru.last_ephemeral)
        return parsed

    def answered(self, response_url: str) -> list[dict[str, Any]]:
        """The command's ack message (if it carried one), then the bodies accepted on its response_url."""
        acked = [a["body"] for a in self.acks if a["url"] == response_url]
        return acked + self.delivered(response_url)

    def delivered(self, response_url: str | None = None) -> list[dict[str, Any]]:
        """JSON bodies accepted on response URLs (all, or one URL's), in order."""
        return [
            p["body"]
            for p in self.response_posts
            if p["status"] == 200 and (response_url is None or p["url"] == response_url)
        ]

    async def _response(self, request: web.Request) -> web.Response:
        rid = request.match_info["rid"]
        ru = self._response_urls.get(rid)
        raw = await request.read()
        record: dict[str, Any] = {
            "url": ru.url if ru else str(request.url),
            "body": None,
            "channel": ru.channel_id if ru else None,
            "user": ru.user_id if ru else None,
            "status": 200,
            "error": None,
            "effect": None,
        }
        self.response_posts.append(record)

        def fail(status: int, error: str) -> web.Response:
            record.update(status=status, error=error)
            return web.Response(status=status, text=error)

        try:
            if request.content_type == "application/x-www-form-urlencoded":
                body = json.loads((await request.post()).get("payload", ""))  # type: ignore[arg-type]
            else:
                body = json.loads(raw)
        except (ValueError, TypeError):
            body = None
        record["body"] = body if body is not None else raw.decode("utf-8", "replace")
        if ru is None:
            return fail(404, "no_service")
        if self.clock() - ru.issued_at > self.response_url_ttl:
            return fail(404, "expired_url")
        if ru.uses >= MAX_RESPONSE_POSTS:
            return fail(404, "used_url")
        if not isinstance(body, dict):
            return fail(400, "invalid_payload")
        try:
            content = {} if truthy(body.get("delete_original")) else self.content(dict(body))
        except SlackError as exc:
            return fail(400, exc.error)
        ru.uses += 1
        record["effect"] = self._respond(ru, body, content)
        return web.Response(text="ok")

    def _respond(self, ru: ResponseUrl, body: dict[str, Any], content: dict[str, Any]) -> str:
        """Apply one accepted response_url post; the effect's name."""
        original = None
        if ru.message_ts:
            original = next((m for m in self._messages.get(ru.channel_id, []) if m["ts"] == ru.message_ts), None)
        if truthy(body.get("delete_original")):
            if original is not None:
                self._messages[ru.channel_id].remove(original)
                self.deleted.append({"channel": ru.channel_id, **original})
            elif ru.last_ephemeral is not None:
                ru.last_ephemeral["deleted"] = True
            return "delete_original"
        if truthy(body.get("replace_original")):
            if original is not None:
                for key in ("text", "blocks", "attachments"):
                    original.pop(key, None)
                original.update(content)
                original["edited"] = {"user": BOT_USER_ID, "ts": self.next_ts()}
                return "replace_original"
            if ru.last_ephemeral is not None:
                ts = ru.last_ephemeral["ts"]
                ru.last_ephemeral["message"] = self.bot_message(ts, content)
                return "replace_original"
        ts = self.next_ts()
        message = self.bot_message(ts, content)
        if body.get("thread_ts"):
            message["thread_ts"] = str(body["thread_ts"])
        if body.get("response_type") == "in_channel":
            message["response_type"] = "in_channel"
            self._messages.setdefault(ru.channel_id, []).append(message)
            return "in_channel"
        ru.last_ephemeral = {
            "channel": ru.channel_id,
            "user": ru.user_id,
            "ts": ts,
            "via": "response_url",
            "message": message,
        }
        self.ephemerals.append(ru.last_ephemeral)
        return "ephemeral"
