"""What every emulator shares: call recording, latency and fault injection, rate windows."""

from __future__ import annotations

import abc
import asyncio
import collections
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aiohttp import web

CONTROL_PREFIX = "/_sandbox"


@dataclass
class Call:
    """One request an emulator received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0
    at: float = field(default_factory=time.time)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class InjectedFault:
    """Answer the next `count` matching requests with `status` (and Retry-After)."""

    status: int
    count: int = 1
    retry_after: float | None = None
    path_contains: str | None = None
    method: str | None = None


@dataclass
class Faults:
    """Per-service fault knobs; tests and the benchmark set them."""

    latency: float = 0.0  # seconds added to every request
    down: bool = False  # every request answers 503 with the service's error body
    hang: bool = False  # every request waits until the client gives up
    refuse: bool = False  # connections are reset (as when the service is unreachable)
    queue: list[InjectedFault] = field(default_factory=list)

    def take(self, method: str, path: str) -> InjectedFault | None:
        for fault in self.queue:
            if fault.path_contains and fault.path_contains not in path:
                continue
            if fault.method and fault.method != method:
                continue
            fault.count -= 1
            if fault.count <= 0:
                self.queue.remove(fault)
            return fault
        return None


class RateWindow:
    """A sliding-window limit: at most `limit` hits per `window` seconds per key."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock  # injectable, so tests can move time instead of sleeping
        self.hits: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)

    def hit(self, key: str) -> float | None:
        """Record a hit; None if allowed, else the seconds until a slot frees up."""
        now = self.clock()
        hits = self.hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(0.001, hits[0] + self.window - now)
        hits.append(now)
        return None


class Emulator(abc.ABC):
    """Base of the emulators: an aiohttp app with recording and fault middleware.

    Subclasses set `name`, implement `add_routes(app)` and `error_response(status, message)`
    in their service's own error envelope.
    """

    name = "service"

    def __init__(self, today: date | None = None) -> None:
        self.today = today or date.today()
        self.calls: list[Call] = []
        self.faults = Faults()
        self.base_url = ""  # set by Sandbox once the port is known
        self.inflight = 0
        self.max_inflight = 0
        self.closing = False  # set on shutdown: hung requests let go

    # -- subclass hooks -----------------------------------------------------------------

    @abc.abstractmethod
    def add_routes(self, app: web.Application) -> None:
        """Register the service's endpoints."""

    def error_response(self, status: int, message: str, **extra: Any) -> web.Response:
        """The service's own error body; subclasses override."""
        return web.json_response({"error": message}, status=status)

    def rate_limited_response(self, retry_after: float) -> web.Response:
        """A 429 in the service's envelope, with Retry-After in whole seconds."""
        response = self.error_response(429, "Rate limit exceeded")
        response.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
        return response

    # -- control ------------------------------------------------------------------------

    def reset_calls(self) -> None:
        self.calls.clear()

    def count(self, path_contains: str = "", method: str | None = None) -> int:
        """How many recorded calls match."""
        return sum(1 for c in self.calls if path_contains in c.path and (method is None or c.method == method))

    def inject(
        self,
        status: int,
        count: int = 1,
        *,
        retry_after: float | None = None,
        path_contains: str | None = None,
        method: str | None = None,
    ) -> None:
        """Queue a fault for the next matching requests."""
        self.faults.queue.append(InjectedFault(status, count, retry_after, path_contains, method))

    # -- app ----------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=8 * 1024 * 1024)
        app.router.add_get(CONTROL_PREFIX + "/calls", self._control_calls)
        app.router.add_delete(CONTROL_PREFIX + "/calls", self._control_reset)
        app.router.add_post(CONTROL_PREFIX + "/faults", self._control_faults)
        self.add_routes(app)
        return app

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        raw = await request.read()
        body: Any
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        call = Call(
            request.method,
            request.path,
            dict(request.query),
            body,
            headers={k: v for k, v in request.headers.items() if k.lower() not in ("authorization",)},
        )
        self.calls.append(call)
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            faults = self.faults
            if faults.refuse:
                assert request.transport is not None
                request.transport.abort()
                raise asyncio.CancelledError
            if faults.latency:
                await asyncio.sleep(faults.latency)
            while faults.hang and not self.closing:
                await asyncio.sleep(0.05)  # until the client gives up, the fault is lifted, or we stop
            if faults.down:
                response: web.StreamResponse = self.error_response(503, "Service Unavailable")
            else:
                fault = faults.take(request.method, request.path)
                if fault is not None:
                    if fault.status == 429:
                        response = self.rate_limited_response(fault.retry_after or 1)
                    else:
                        response = self.error_response(fault.status, "Injected fault")
                        if fault.retry_after is not None:
                            response.headers["Retry-After"] = str(int(fault.retry_after))
                else:
                    try:
                        response = await handler(request)
                    except web.HTTPException as exc:
                        if exc.status >= 400 and exc.content_type != "application/json":
                            response = self.error_response(exc.status, exc.reason)
                        else:
                            raise
            call.status = response.status
            return response
        finally:
            self.inflight -= 1

    async def _control_calls(self, request: web.Request) -> web.Response:
        return web.json_response(
            [{"method": c.method, "path": c.path, "query": c.query, "status": c.status, "at": c.at} for c in self.calls]
        )

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.reset_calls()
        return web.json_response({"ok": True})

    async def _control_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        for key in ("latency", "down", "hang", "refuse"):
            if key in body:
                setattr(self.faults, key, type(getattr(self.faults, key))(body[key]))
        for item in body.get("inject", []):
            self.inject(**item)
        return web.json_response({"ok": True})


def bearer_token(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer ...` header, if any."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None
