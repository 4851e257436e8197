"""Slash commands over HTTP without Bolt's dispatch: the one kind of Slack request that comes in bursts.

A command is verified (Slack's signature), parsed once and handed to its listener with Bolt's own
`AsyncAck` and `AsyncRespond`, so the listener and the answer Slack gets are exactly what Bolt
would give. What it skips is the general machinery a command needs none of: the request object
and its context, six rounds of keyword injection, the middleware chain and listener matching,
about two thirds of the CPU of an ack (bench.ack measures it). Everything else that reaches
POST /slack/events (actions, views, events, options, ssl_check, unknown commands) and all of
Socket Mode still goes through Bolt, as does every command until Bolt's authorization has
answered once (until then an uninstalled app is told so by Bolt).

A command listener takes some of `ack`, `command`, `body`, `respond`, `context` (checked when
it is registered, so a listener that wants more fails at start, not on a command).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from ssl import SSLContext
from typing import Any, Final
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)
Listener = Callable[..., Awaitable[None]]
ARGUMENTS: Final = frozenset({"ack", "command", "body", "respond", "context"})
FORM: Final = "application/x-www-form-urlencoded"


class SlashCommands:
    """The registered slash commands, answered straight from POST /slack/events."""

    def __init__(
        self,
        listeners: Mapping[str, Listener],
        *,
        signing_secret: str | None,
        context: Callable[[], dict[str, Any]],
        ready: Callable[[], bool],
        proxy: str | None = None,
        ssl: SSLContext | None = None,
    ) -> None:
        self._listeners = dict(listeners)
        self._wants = {name: _arguments(name, listener) for name, listener in self._listeners.items()}
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None  # None: Bolt answers
        self._context = context
        self._ready = ready
        self._proxy, self._ssl = proxy, ssl

    def command(self, content_type: str | None, body: bytes) -> dict[str, str] | None:
        """The fields of a registered slash command this lane answers; None: Bolt's to answer."""
        if self._verifier is None or not self._ready() or (content_type or "").split(";")[0].strip().lower() != FORM:
            return None
        fields = dict(parse_qsl(body.decode("utf-8", "replace")))  # as Bolt parses: blank fields dropped
        if "payload" in fields or "ssl_check" in fields or fields.get("command") not in self._listeners:
            return None
        return fields

    async def answer(self, fields: dict[str, str], body: bytes, timestamp: str, signature: str) -> web.Response:
        """Verify, run the command's listener until it acks, and answer with the ack."""
        assert self._verifier is not None  # command() said so
        if not self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            return web.json_response({"error": "invalid request signature"}, status=401)
        name = fields["command"]
        ack = AsyncAck()
        available: dict[str, Any] = {
            "ack": ack,
            "command": fields,
            "body": fields,
            "respond": AsyncRespond(response_url=fields.get("response_url"), proxy=self._proxy, ssl=self._ssl),
            "context": self._context(),
        }
        try:
            await self._listeners[name](**{k: available[k] for k in self._wants[name]})
        except Exception as exc:  # as Bolt: logged, and Slack gets a 500 (it says the command failed)
            log.error("%s failed before it acked: %s", name, exc, exc_info=exc)
            return web.Response(status=500)
        if ack.response is None:
            log.error("%s returned without acking; Slack will say the command failed", name)
            return web.Response(status=500)
        return await to_aiohttp_response(ack.response)


def _arguments(name: str, listener: Listener) -> tuple[str, ...]:
    wants = tuple(inspect.signature(listener).parameters)
    unknown = [w for w in wants if w not in ARGUMENTS]
    if unknown:
        raise TypeError(f"the {name} listener asks for {unknown}; a slash command listener gets {sorted(ARGUMENTS)}")
    return wants
