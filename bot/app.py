"""The Slack app: Bolt AsyncApp on aiohttp (POST /slack/events, GET /healthz), or Socket Mode."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.access import Gatekeeper
from bot.cards import CardService
from bot.settings import Settings
from bot.store import Store
from bot.wiring import Services

log = logging.getLogger(__name__)
SIGNATURE_WINDOW = 300  # seconds either side of now a Slack request may be stamped


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class AppDeps:
    """What the handlers may use: services, never raw HTTP."""

    settings: Settings
    services: Services
    cards: CardService
    gate: Gatekeeper
    store: Store
    clock: Callable[[], datetime] = field(default=utcnow)
    worker: Any = None  # the alert loop of this process (bot.alerts.worker.AlertWorker)
    directory: Any = None  # bot.alerts.directory.SlackDirectory
    book: Any = None  # bot.book.BookService


def slack_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: SLACK_API_URL, and retries of 429 (Retry-After), 5xx and connection errors."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(settings: Settings, services: Services, *, clock: Callable[[], datetime] = utcnow) -> tuple[AsyncApp, AppDeps]:
    """The Bolt app with every listener registered."""
    from handlers import register

    client = slack_client(settings)
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret,
        process_before_response=False,
    )
    from bot.alerts.directory import SlackDirectory
    from bot.alerts.setup import build_worker

    import os

    from bot.health import Thresholds

    cards = CardService(services.status, services.hubspot, services.store, Thresholds.from_env(os.environ))
    deps = AppDeps(settings, services, cards, Gatekeeper(client), services.store, clock)
    deps.directory = SlackDirectory(client)
    deps.worker = build_worker(settings, services, directory_client=client, gate=deps.gate)
    deps.book = deps.worker.book
    app.use(_dedupe_events(deps.store))
    app.error(_release_failed_events(deps.store))
    register(app, deps)
    return app, deps


def _dedupe_events(store: Store) -> Callable[..., Awaitable[Any]]:
    """Slack retries events (X-Slack-Retry-Num); the work runs once per event_id, across instances."""

    async def middleware(req: Any, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        body = req.body or {}
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if body.get("type") == "event_callback" and event_id:
            if not await store.claim(f"slack-event:{event_id}", "slack-event"):
                log.info("event %s already handled (retry %s)", event_id,
                         req.headers.get("x-slack-retry-num", ["?"])[0])
                return BoltResponse(status=200, body="")
        return await next()

    return middleware


def _release_failed_events(store: Store) -> Callable[..., Awaitable[None]]:
    """A listener that failed gives its event's claim back, so Slack's retry runs it again."""

    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        event_id = body.get("event_id") if isinstance(body, dict) else None
        log.error("listener failed: %s", error, exc_info=error)
        if isinstance(body, dict) and body.get("type") == "event_callback" and event_id:
            await store.release(f"slack-event:{event_id}")

    return on_error


def _valid_timestamp(value: str | None) -> bool:
    if not value or not value.strip().isdigit():
        return False
    return abs(time.time() - int(value)) <= SIGNATURE_WINDOW


def create_web_app(app: AsyncApp, deps: AppDeps) -> web.Application:
    """The aiohttp application: POST /slack/events and GET /healthz."""
    web_app = web.Application()

    async def slack_events(request: web.Request) -> web.Response:
        # Bolt answers 500 to a non-integer timestamp; a malformed or stale request is a 401.
        if not _valid_timestamp(request.headers.get("X-Slack-Request-Timestamp")) or \
                not request.headers.get("X-Slack-Signature", "").startswith("v0="):
            return web.json_response({"error": "invalid request signature"}, status=401)
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(request: web.Request) -> web.Response:
        from bot.doctor import report

        return web.json_response(await report(deps, probe=False))

    web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)
    from bot.webhook_routes import add_routes

    add_routes(web_app, deps)
    return web_app


async def run_server(settings: Settings, services: Services) -> None:  # pragma: no cover - exercised by `serve`
    """Serve HTTP on HOST:PORT; with SLACK_APP_TOKEN, Slack traffic comes over Socket Mode."""
    import asyncio

    app, deps = create_app(settings, services)
    web_app = create_web_app(app, deps)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    log.warning("accountbot listening on http://%s:%s (POST /slack/events, GET /healthz)", settings.host, settings.port)
    stop = asyncio.Event()
    alerts = asyncio.create_task(deps.worker.run(stop))  # one process is a complete deployment
    handler = None
    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, settings.slack_app_token)
        await handler.connect_async()
        log.warning("Socket Mode connected")
    import signal

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # a clean stop hands the alert lease over at once
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        stop.set()
        await alerts
        if handler is not None:
            await handler.close_async()
        await runner.cleanup()
