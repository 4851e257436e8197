"""Socket Mode: `apps.connections.open` tickets, the WebSocket link, envelopes and their acks.

A mixin of `SlackEmulator`. Slack sends `hello` on connect, then envelopes
`{envelope_id, type, payload, accepts_response_payload}`; the app acks with
`{envelope_id, payload?}`. An `events_api` envelope left unacked for `ack_timeout` seconds
is sent again (new envelope_id, `retry_attempt` + 1, `retry_reason: "timeout"`) after each
delay in `socket_retry_delays`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from sandbox.slack.directory import APP_ID


@dataclass
class Envelope:
    """One envelope the emulator sent (with its retries) and what came back."""

    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    deliveries: list[str] = field(default_factory=list)  # envelope_id of each attempt
    acked: bool = False
    ack: dict[str, Any] | None = None  # the ack's `payload` ({} when the ack had none)

    @property
    def envelope_id(self) -> str:
        """The first attempt's envelope_id."""
        return self.deliveries[0] if self.deliveries else ""


class SocketMode:
    """Socket Mode side of the emulator (mixed into SlackEmulator)."""

    base_url: str
    clock: Callable[[], float]
    app_token: str
    ack_timeout: float

    if TYPE_CHECKING:  # provided by ResponseUrls

        def acknowledged(self, response_url: str, body: str, content_type: str) -> dict[str, Any] | None: ...

    socket_retry_delays: tuple[float, ...]

    def init_socket_mode(self) -> None:
        """Create the Socket Mode state."""
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_event = asyncio.Event()
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        self._rr = 0
        self.envelopes: list[Envelope] = []
        self.socket_received: list[dict[str, Any]] = []  # every message the app sent us

    async def apps_connections_open(self, a: dict[str, Any]) -> dict[str, Any]:
        """apps.connections.open: a one-use WebSocket URL for Socket Mode."""
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        ws_base = "ws" + self.base_url[len("http") :]
        return {"url": f"{ws_base}/link/?ticket={ticket}&app_id={APP_ID}"}

    @property
    def connections(self) -> int:
        """How many Socket Mode connections are open."""
        return sum(1 for ws in self._sockets if not ws.closed)

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid_ticket")
        self._tickets.discard(ticket)  # a ticket opens one connection
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": self.connections,
                "debug_info": {"host": "applink-sandbox", "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": APP_ID},
            }
        )
        self._socket_event.set()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    continue
                if not isinstance(data, dict):
                    continue
                self.socket_received.append(data)
                future = self._pending.get(str(data.get("envelope_id", "")))
                if future is not None and not future.done():
                    future.set_result(data)
        finally:
            self._sockets.remove(ws)
        return ws

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Wait until at least one Socket Mode connection has said hello."""
        while not self.connections:
            self._socket_event.clear()
            await asyncio.wait_for(self._socket_event.wait(), timeout)

    def _pick_socket(self) -> web.WebSocketResponse:
        open_ = [ws for ws in self._sockets if not ws.closed]
        if not open_:
            raise RuntimeError("no Socket Mode connection is open")
        self._rr += 1
        return open_[self._rr % len(open_)]

    async def _deliver(self, env: Envelope, timeout: float | None) -> bool:
        envelope_id = str(uuid.uuid4())
        attempt = len(env.deliveries)
        env.deliveries.append(envelope_id)
        message: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": env.type,
            "payload": env.payload,
            "accepts_response_payload": env.accepts_response_payload,
        }
        if env.type == "events_api":
            message["retry_attempt"] = attempt
            message["retry_reason"] = "timeout" if attempt else ""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[envelope_id] = future
        try:
            await self._pick_socket().send_json(message)
            reply = await asyncio.wait_for(future, self.ack_timeout if timeout is None else timeout)
        except TimeoutError:
            return False
        finally:
            self._pending.pop(envelope_id, None)
        env.acked = True
        payload = reply.get("payload")
        env.ack = payload if isinstance(payload, dict) else {}
        if env.type == "slash_commands" and env.ack and env.payload.get("response_url"):
            # the ack's payload is the command's answer, as an HTTP ack's body is
            self.acknowledged(str(env.payload["response_url"]), json.dumps(env.ack), "application/json")
        return True

    async def send_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        timeout: float | None = None,
        accepts_response_payload: bool | None = None,
    ) -> dict[str, Any] | None:
        """Send an envelope (slash_commands, events_api, interactive); the ack's payload, or None.

        None means no ack within the timeout; an events_api envelope is then retried in
        the background (`await drain()` to wait for the retries).
        """
        if accepts_response_payload is None:
            accepts_response_payload = type == "slash_commands" or (
                type == "interactive" and payload.get("type") in ("view_submission", "block_suggestion")
            )
        env = Envelope(type, payload, accepts_response_payload)
        self.envelopes.append(env)
        if await self._deliver(env, timeout):
            return env.ack
        if type == "events_api" and self.socket_retry_delays:
            task = asyncio.ensure_future(self._retry(env, timeout))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return None

    async def _retry(self, env: Envelope, timeout: float | None) -> None:
        for delay in self.socket_retry_delays:
            await asyncio.sleep(delay)
            if not self.connections:
                continue
            if await self._deliver(env, timeout):
                return

    async def drain(self) -> None:
        """Wait for background envelope retries to finish."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close_sockets(self, *_: Any) -> None:
        """Close every Socket Mode connection and stop retries (on shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"server shutdown")
