"""`/account doctor` and /healthz: is everything connected, flowing and delivered?"""
from __future__ import annotations

import asyncio
import time
from typing import Any

from connectors.errors import AuthError, ConnectorError, NotFoundError

PROBE_DEADLINE = 5.0


async def report(deps: Any, *, probe: bool = True) -> dict[str, Any]:
    """Connectors (auth, last success), webhooks, pollers, outbox, broken subscriptions, token expiry."""
    services = deps.services
    store = deps.store
    now = time.time()
    connectors: dict[str, Any] = {}
    probes = {"hubspot": _probe_hubspot, "asana": _probe_asana, "quickbooks": _probe_quickbooks}
    results = await asyncio.gather(*(asyncio.wait_for(fn(services), PROBE_DEADLINE) for fn in probes.values()),
                                   return_exceptions=True) if probe else [None] * 3
    for (name, _), result in zip(probes.items(), results):
        connector = getattr(services, name)
        state = dict(connector.runner.health()) if hasattr(connector, "runner") else {}
        state["mode"] = "sandbox" if name in deps.settings.sandbox_systems else "live"
        if probe:
            state["auth"] = _auth_word(result)
        connectors[name] = state
    qbo = services.quickbooks
    expires = getattr(qbo, "refresh_token_expires_at", None)
    webhooks = {}
    for source in ("quickbooks", "hubspot", "asana"):
        value = await store.get_sync(f"webhook:{source}:last")
        webhooks[source] = float(value) if value else None
    pollers = {}
    for source in ("quickbooks", "hubspot"):
        value = await store.get_sync(f"poll:{source}:ok")
        pollers[source] = {"last_ok": float(value) if value else None,
                           "lag_seconds": round(now - float(value), 1) if value else None}
    broken = [{"channel": s.channel_id, "account": s.deal_name, "reason": s.broken_reason, "since": s.broken_at}
              for s in await store.subscriptions() if s.broken_reason]
    lease = await store.lease_holder("alerts")
    return {
        "status": "ok" if all(c.get("available", True) and c.get("auth", "ok") == "ok" for c in connectors.values())
        else "degraded",
        "connectors": connectors,
        "quickbooks_refresh_token_expires_at": expires.isoformat() if expires else None,
        "webhooks_last_delivered": webhooks,
        "pollers": pollers,
        "outbox": await store.outbox_stats(),
        "broken_subscriptions": broken,
        "alert_worker": {"holder": lease[0], "lease_expires_at": lease[1]} if lease else None,
    }


def _auth_word(result: Any) -> str:
    if result is None or result is True:
        return "ok"
    if isinstance(result, AuthError):
        return "refused: " + result.message
    if isinstance(result, ConnectorError):
        return "unknown (" + result.message + ")"
    if isinstance(result, asyncio.TimeoutError):
        return "unknown (no answer)"
    return f"unknown ({type(result).__name__})"


async def _probe_hubspot(services: Any) -> bool:
    try:
        await services.hubspot.get_deal("1")
    except NotFoundError:
        pass  # the token works: HubSpot said the record isn't there
    return True


async def _probe_asana(services: Any) -> bool:
    await services.asana.check()
    return True


async def _probe_quickbooks(services: Any) -> bool:
    await services.quickbooks.query("SELECT COUNT(*) FROM Invoice")
    return True
