"""POST /webhooks/{quickbooks,hubspot,asana}: verify, store the signals, answer fast; the worker does the rest."""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Awaitable, Callable

from aiohttp import web

from bot import webhooks as wh
from bot.alerts.engine import signal_payload
from bot.asana_hooks import AsanaHookSecrets
from bot.store import keys

if TYPE_CHECKING:
    from bot.app import AppDeps

log = logging.getLogger(__name__)


def add_routes(web_app: web.Application, deps: "AppDeps") -> None:
    """The three webhook endpoints."""
    settings = deps.settings
    hook_secrets = AsanaHookSecrets(deps.store, settings.asana_webhook_secret)

    async def accept(source: str, signals: list[wh.Signal]) -> web.Response:
        await deps.store.add_inbox(source, [signal_payload(s) for s in signals])
        await deps.store.set_sync(keys.webhook_last(source), str(time.time()))
        if deps.worker is not None:
            deps.worker.wake.set()
        return web.Response(status=200)

    def guarded(fn: Callable[[web.Request, bytes], Awaitable[web.Response]]) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            body = await request.read()
            try:
                return await fn(request, body)
            except wh.WebhookRejected as exc:
                log.warning("%s webhook rejected: %s", request.path, exc.reason)
                return web.json_response({"error": exc.reason}, status=exc.status)
        return handler

    @guarded
    async def quickbooks(request: web.Request, body: bytes) -> web.Response:
        wh.verify_quickbooks(body, request.headers.get("intuit-signature"), settings.qbo_webhook_verifier)
        return await accept("quickbooks", wh.parse_quickbooks(body, settings.qbo_realm_id))

    @guarded
    async def hubspot(request: web.Request, body: bytes) -> web.Response:
        wh.verify_hubspot_v3(request.method, wh.public_uri(settings.public_url, str(request.url)), body,
                             request.headers.get("X-HubSpot-Signature-v3"),
                             request.headers.get("X-HubSpot-Request-Timestamp"), settings.hubspot_app_secret,
                             time.time())
        return await accept("hubspot", wh.parse_hubspot(body, settings.hubspot_portal_id))

    @guarded
    async def asana(request: web.Request, body: bytes) -> web.Response:
        hook = request.query.get("hook")
        handshake = wh.asana_handshake(request.headers)
        if handshake is not None:  # a new webhook: keep its secret only if we are the ones registering it
            if not await hook_secrets.handshake(hook, handshake):
                raise wh.WebhookRejected(401, "unexpected handshake: no registration of ours is waiting for it")
            return web.Response(status=200, headers={"X-Hook-Secret": handshake})
        wh.verify_asana(body, request.headers.get("X-Hook-Signature"), await hook_secrets.secret_for(hook))
        return await accept("asana", wh.parse_asana(body))

    web_app.router.add_post("/webhooks/quickbooks", quickbooks)
    web_app.router.add_post("/webhooks/hubspot", hubspot)
    web_app.router.add_post("/webhooks/asana", asana)
