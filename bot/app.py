"""The Slack adapter: Bolt's AsyncApp on aiohttp (POST /slack/events, GET /healthz, the webhooks), or Socket Mode.

Nothing is built here: the services come from `bot.wiring`; the listeners from `handlers`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot import heap
from bot.metrics import CONTENT_TYPE, exposition
from bot.settings import SettingsError
from bot.slash import SlashCommands
from bot.webhook_routes import SERVICES, add_routes

if TYPE_CHECKING:
    from bot.wiring import Services

log = logging.getLogger(__name__)
SIGNATURE_WINDOW = 300  # seconds either side of now a Slack request may be stamped
BOLT: web.AppKey[AsyncApp] = web.AppKey("bolt")
COMMANDS: web.AppKey[SlashCommands] = web.AppKey("slash-commands")
SHUTDOWN_GRACE = 10.0  # seconds the work after an ack may take to finish at shutdown
FIRST_AUTH_WAIT = 1.0  # seconds at most a request waits for the first one's auth.test (cold start only)


class _NoTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself, then warns that the client given wins.

    The client is the one built from the same token (bot.wiring), so the notice says nothing.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_NoTokenNotice())


def _bolt(services: Services, first: _FirstAuthorization) -> AsyncApp:
    """The Bolt app with the services in every listener's context and every listener registered."""
    from handlers import register

    # Bolt awaits each listener and answers with its ack; the listeners (handlers.acked_first)
    # return as soon as they ack and go on in the background. With process_before_response=False
    # Bolt would instead poll every 10 ms for the ack, a wake-up per waiting request.
    app = AsyncApp(
        client=services.slack,
        signing_secret=services.settings.slack_signing_secret,
        process_before_response=True,
        before_authorize=first.before,
    )
    app.use(first.after)
    app.use(_with_services(services))
    app.use(_dedupe_events(services.store))
    app.error(_release_failed_events(services.store))
    register(app)
    return app


class _FirstAuthorization:
    """Bolt asks auth.test once and keeps the answer, but every request that arrives before the answer
    asks too (a cold burst of 20 commands made 20 calls): the first request goes, the rest wait for it.

    `before` runs before Bolt's authorization, `after` after it; `done` once Bolt has authorized.
    """

    def __init__(self) -> None:
        self.done = False
        self._first: asyncio.Future[None] | None = None

    async def before(self, req: Any, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        if not self.done and not (isinstance(req.body, dict) and req.body.get("type") == "url_verification"):
            if self._first is None:  # this one goes first (Bolt's next() only marks the step done)
                self._first = asyncio.get_running_loop().create_future()
            else:
                try:  # a first request that was refused never gets there: then each tries for itself
                    await asyncio.wait_for(asyncio.shield(self._first), FIRST_AUTH_WAIT)
                except TimeoutError:
                    pass
        return await next()

    async def after(self, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        if not self.done:  # Bolt's authorization has its answer now
            self.done = True
            if self._first is not None and not self._first.done():
                self._first.set_result(None)
        return await next()


def _listener_context(services: Services) -> Callable[[], dict[str, Any]]:
    """What every listener finds in its context: the services, and who hears of a failure after the ack."""
    release = _release_failed_events(services.store)

    async def after_ack(error: Exception, context: Any) -> None:
        await release(error, {"type": "event_callback", "event_id": context.get("claimed_event")})

    return lambda: {"services": services, "on_background_error": after_ack}


def _with_services(services: Services) -> Callable[..., Awaitable[Any]]:
    """Listeners read their services from `context["services"]`."""
    listener_context = _listener_context(services)

    async def middleware(context: Any, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        context.update(listener_context())
        return await next()

    return middleware


def _dedupe_events(store: Any) -> Callable[..., Awaitable[Any]]:
    """Slack retries events (X-Slack-Retry-Num); the work runs once per event_id, across instances."""

    async def middleware(req: Any, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        body = req.body or {}
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if body.get("type") == "event_callback" and event_id:
            if not await store.claim(f"slack-event:{event_id}", "slack-event"):
                log.info(
                    "event %s already handled (retry %s)", event_id, req.headers.get("x-slack-retry-num", ["?"])[0]
                )
                return BoltResponse(status=200, body="")
            req.context["claimed_event"] = event_id
        return await next()

    return middleware


def _release_failed_events(store: Any) -> Callable[..., Awaitable[None]]:
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


async def slack_events(request: web.Request) -> web.Response:
    """POST /slack/events: every Slack request; a malformed or stale one is a 401 (Bolt would answer 500).

    A slash command is answered by `bot.slash` (Bolt's dispatch is most of an ack's CPU, and
    commands come in bursts); the rest goes through Bolt.
    """
    timestamp = request.headers.get("X-Slack-Request-Timestamp")
    signature = request.headers.get("X-Slack-Signature", "")
    if not _valid_timestamp(timestamp) or not signature.startswith("v0="):
        return web.json_response({"error": "invalid request signature"}, status=401)
    commands = request.app[COMMANDS]
    body = await request.read()
    fields = commands.command(request.headers.get("Content-Type"), body)
    if fields is not None:
        return await commands.answer(fields, body, timestamp or "", signature)
    bolt_response = await request.app[BOLT].async_dispatch(await to_bolt_request(request))
    return await to_aiohttp_response(bolt_response)


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: 200 while this process can do its job, 503 with the reasons when it cannot.

    It can when its store answers and its lease loop is alive; a vendor that is down makes the
    report "degraded" (cards say so) but is no reason to restart the process. The body is the
    doctor's report: per-connector status, the alert pipeline, what needs an admin.
    """
    services = request.app[SERVICES]
    unreachable = await services.store.ping()
    if unreachable:
        return web.json_response({"status": "unavailable", "reasons": [unreachable]}, status=503)
    report = await services.doctor.report(probe=False)
    reasons = [r for r in (services.worker.liveness(),) if r]
    if reasons:
        report["status"] = "unavailable"
    report["reasons"] = reasons
    return web.json_response(report, status=503 if reasons else 200)


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics: Prometheus text (bot.metrics)."""
    services = request.app[SERVICES]
    accounting = services.accounting
    connectors = {"hubspot": services.hubspot, "asana": services.asana, accounting.system: accounting}
    body = await exposition(services.store, connectors)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def create_web_app(services: Services) -> web.Application:
    """The aiohttp application: POST /slack/events, GET /healthz, GET /metrics, POST /webhooks/*."""
    from handlers import slash_commands

    first = _FirstAuthorization()
    web_app = web.Application()
    web_app[BOLT] = _bolt(services, first)
    web_app[COMMANDS] = SlashCommands(
        slash_commands(),
        signing_secret=services.settings.slack_signing_secret,
        context=_listener_context(services),
        ready=lambda: first.done,
        proxy=services.slack.proxy,
        ssl=services.slack.ssl,
    )
    web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
    add_routes(web_app, services)
    return web_app


async def run_server(services: Services) -> None:  # pragma: no cover - exercised by `serve`
    """Serve HTTP on HOST:PORT; with SLACK_APP_TOKEN, Slack traffic comes over Socket Mode."""
    import handlers

    settings = services.settings
    web_app = create_web_app(services)
    app = web_app[BOLT]
    runner = web.AppRunner(web_app, access_log=None)
    heap.settle("started")  # what start-up built lives as long as the process: out of the collector's walks
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
    except OSError as exc:
        await runner.cleanup()
        raise SettingsError(
            f"cannot listen on {settings.host}:{settings.port} ({exc.strerror or exc}): another process has it; "
            "stop it, or set PORT (and HOST) to a free one"
        ) from None
    log.info("accountbot listening on http://%s:%s (POST /slack/events, GET /healthz)", settings.host, settings.port)
    stop = asyncio.Event()
    # the join indexes, in the background (not on the first card's path), once serve listens: a busy
    # port fails before any upstream call
    heap.after_index_builds(services.indexes.start())
    alerts = asyncio.create_task(services.worker.run(stop))  # one process is a complete deployment
    handler = None
    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, settings.slack_app_token)
        await handler.connect_async()
        log.info("Socket Mode connected")
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
        await runner.cleanup()  # no new requests
        await handlers.drain(SHUTDOWN_GRACE)  # the answers already acked finish before the store closes
