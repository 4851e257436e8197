"""The HubSpot emulator's control routes under /_sandbox: move deals, grant scopes, take webhook deliveries.

For a newcomer in another shell, e.g. `curl -X POST $HUBSPOT_BASE_URL/_sandbox/deals/18340012015/win`.
No token needed; these calls are not recorded and take no faults.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.core import CONTROL_PREFIX

if TYPE_CHECKING:
    from sandbox.hubspot.emulator import HubSpotEmulator


def add_control_routes(app: web.Application, emulator: HubSpotEmulator) -> None:
    """Register the control routes of `emulator`."""
    r = app.router
    r.add_post(CONTROL_PREFIX + "/deals/{id}/win", _deal_action(emulator, "win"))
    r.add_post(CONTROL_PREFIX + "/deals/{id}/lose", _deal_action(emulator, "lose"))
    r.add_post(CONTROL_PREFIX + "/deals/{id}/stage", _deal_action(emulator, "stage"))
    r.add_get(CONTROL_PREFIX + "/scopes", _scopes(emulator))
    r.add_put(CONTROL_PREFIX + "/scopes", _scopes(emulator))
    r.add_post(CONTROL_PREFIX + "/webhooks/pending", _pending(emulator))


def _deal_action(emulator: HubSpotEmulator, action: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """POST .../win, .../lose, or .../stage with {"stage": id, "by_ui": bool}: the deal's stage afterwards."""

    async def handle(request: web.Request) -> web.Response:
        body = await _body(request)
        deal_id, by_ui = request.match_info["id"], bool(body.get("by_ui", True))
        try:
            if action == "stage":
                emulator.set_deal_stage(deal_id, str(body.get("stage") or ""), by_ui=by_ui)
            else:
                (emulator.win_deal if action == "win" else emulator.lose_deal)(deal_id, by_ui=by_ui)
        except KeyError as exc:
            return web.json_response({"error": str(exc.args[0])}, status=404)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        deal = emulator.crm.objects["deals"][deal_id]
        return web.json_response(
            {
                "id": deal_id,
                **{k: deal.properties.get(k) for k in ("dealstage", "pipeline", "closedate", "hs_lastmodifieddate")},
            }
        )

    return handle


def _scopes(emulator: HubSpotEmulator) -> Callable[[web.Request], Awaitable[web.Response]]:
    """GET the token's scopes; PUT {"scopes": [...]} to replace them."""

    async def handle(request: web.Request) -> web.Response:
        if request.method == "PUT":
            scopes = (await _body(request)).get("scopes")
            if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
                return web.json_response({"error": "scopes must be a list of scope names"}, status=400)
            emulator.set_scopes(scopes)
        return web.json_response({"scopes": sorted(emulator.scopes)})

    return handle


def _pending(emulator: HubSpotEmulator) -> Callable[[web.Request], Awaitable[web.Response]]:
    """POST {"url": target, "shuffle": bool}: the signed delivery of the queued events (204 when none)."""

    async def handle(request: web.Request) -> web.Response:
        body = await _body(request)
        if not isinstance(body.get("url"), str):
            return web.json_response({"error": "url (the full public URL the delivery is for) is required"}, status=400)
        delivery = emulator.pending_webhook_delivery(body["url"], shuffle=bool(body.get("shuffle")))
        if delivery is None:
            return web.Response(status=204)
        payload, headers = delivery
        return web.json_response({"body": payload.decode(), "headers": headers})

    return handle


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
