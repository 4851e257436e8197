"""POST /webhooks/{quickbooks,hubspot,asana}: verify, store the signals, answer fast; the worker does the rest."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot import webhooks as wh
from bot.alerts.engine import signal_payload
from bot.store import keys

if TYPE_CHECKING:
    from bot.wiring import Services

log = logging.getLogger(__name__)
SERVICES: web.AppKey[Services] = web.AppKey("services")

Route = Callable[[web.Request, bytes], Awaitable[web.Response]]


def _guarded(fn: Route) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Read the raw body, run the route; a refusal (forged, stale, malformed) answers its status, logged."""

    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            return await fn(request, body)
        except wh.WebhookRejected as exc:
            log.warning("%s webhook rejected: %s", request.path, exc.reason)
            return web.json_response({"error": exc.reason}, status=exc.status)

    return handler


async def _accept(request: web.Request, source: str, signals: list[wh.Signal]) -> web.Response:
    """Keep the signals in the inbox before answering 200, and wake this process's worker."""
    services = request.app[SERVICES]
    await services.store.add_inbox(source, [signal_payload(s) for s in signals])
    await services.store.set_sync(keys.webhook_last(source), str(time.time()))
    services.worker.wake.set()
    return web.Response(status=200)


@_guarded
async def quickbooks(request: web.Request, body: bytes) -> web.Response:
    """Intuit's webhook: intuit-signature, CloudEvents or the legacy shape, our realm only."""
    settings = request.app[SERVICES].settings
    wh.verify_quickbooks(body, request.headers.get("intuit-signature"), settings.qbo_webhook_verifier)
    return await _accept(request, "quickbooks", wh.parse_quickbooks(body, settings.qbo_realm_id))


@_guarded
async def hubspot(request: web.Request, body: bytes) -> web.Response:
    """HubSpot's webhook: signature v3 over the public URI, our portal only."""
    settings = request.app[SERVICES].settings
    wh.verify_hubspot_v3(
        request.method,
        wh.public_uri(settings.public_url, str(request.url)),
        body,
        request.headers.get("X-HubSpot-Signature-v3"),
        request.headers.get("X-HubSpot-Request-Timestamp"),
        settings.hubspot_app_secret,
        time.time(),
    )
    return await _accept(request, "hubspot", wh.parse_hubspot(body, settings.hubspot_portal_id))


@_guarded
async def asana(request: web.Request, body: bytes) -> web.Response:
    """Asana's webhook: a handshake we are waiting for, or a delivery signed with its webhook's secret."""
    hooks = request.app[SERVICES].hooks
    hook = request.query.get("hook")
    handshake = wh.asana_handshake(request.headers)
    if handshake is not None:  # a new webhook: keep its secret only if we are the ones registering it
        if not await hooks.handshake(hook, handshake):
            raise wh.WebhookRejected(401, "unexpected handshake: no registration of ours is waiting for it")
        return web.Response(status=200, headers={"X-Hook-Secret": handshake})
    wh.verify_asana(body, request.headers.get("X-Hook-Signature"), await hooks.secret_for(hook))
    return await _accept(request, "asana", wh.parse_asana(body))


def add_routes(web_app: web.Application, services: Services) -> None:
    """The three webhook endpoints."""
    web_app[SERVICES] = services
    web_app.router.add_post("/webhooks/quickbooks", quickbooks)
    web_app.router.add_post("/webhooks/hubspot", hubspot)
    web_app.router.add_post("/webhooks/asana", asana)
