"""Buttons: refresh, share in channel, pick a deal, a suggestion, log a communication."""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from blocks import ids, messages
from blocks.card import status_card
from blocks.modal import log_modal
from bot.status import DealNotFound

if TYPE_CHECKING:
    from bot.app import AppDeps

LINK_BUTTONS = (ids.OPEN_HUBSPOT, ids.OPEN_ASANA, ids.OPEN_QUICKBOOKS)


def register(app: AsyncApp, deps: "AppDeps") -> None:
    """Every button on the card, the picker and the suggestions."""

    async def allowed(body: dict[str, Any], respond: Any) -> bool:
        verdict = await deps.gate.user(body["user"]["id"])
        if not verdict.allowed:
            await respond({**messages.refusal(), "replace_original": False, "response_type": "ephemeral"})
        return verdict.allowed

    async def show(deal_id: str, respond: Any, *, refresh: bool = False, replace: bool = True,
                   ephemeral: bool = True) -> None:
        try:
            status = await deps.cards.for_deal(deal_id, refresh=refresh)
        except DealNotFound:
            await respond({**messages.error(messages.DEAL_GONE.format(deal_id=deal_id)), "replace_original": replace})
            return
        payload = status_card(status, deps.clock(), ephemeral=ephemeral)
        await respond({**payload, "replace_original": replace,
                       "response_type": "ephemeral" if ephemeral else "in_channel"})

    @app.action(ids.PICK_DEAL)
    @app.action(re.compile(rf"^{ids.SUGGEST_DEAL}_\d+$"))
    async def on_pick(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        if await allowed(body, respond):
            await show(action["value"], respond)

    @app.action(ids.SHOW_CARD)
    @app.action(re.compile(rf"^{ids.SHOW_CARD}_digest_\d+$"))
    async def on_show(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any, client: Any) -> None:
        await ack()  # from an alert or Home: the card, to the person who clicked only
        if (body.get("container") or {}).get("type") == "view":
            from handlers.home import show_card_in_modal

            if (await deps.gate.user(body["user"]["id"])).allowed:
                await show_card_in_modal(deps, client, body["trigger_id"], action["value"])
            return
        if await allowed(body, respond):
            await show(action["value"], respond, replace=False)

    @app.action(ids.REFRESH_CARD)
    async def on_refresh(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        if await allowed(body, respond):
            await show(action["value"], respond, refresh=True, ephemeral=_is_ephemeral(body))

    @app.action(ids.SHARE_CARD)
    async def on_share(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        if await allowed(body, respond):
            await show(action["value"], respond, replace=False, ephemeral=False)
            await respond({"delete_original": True})

    @app.action(ids.LOG_COMMUNICATION)
    async def on_log(ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any, respond: Any) -> None:
        await ack()
        if not await allowed(body, respond):
            return
        # views.open must happen within 3 s of the click: no upstream call before it.
        name = _card_title(body) or f"deal {action['value']}"
        origin = {"response_url": body.get("response_url"), "ephemeral": _is_ephemeral(body)}
        await client.views_open(trigger_id=body["trigger_id"],
                                view=log_modal(action["value"], name, deps.clock().date(), origin=origin))

    for action_id in LINK_BUTTONS:
        @app.action(action_id)
        async def on_link(ack: Any) -> None:
            await ack()  # link buttons open in the browser; Slack still expects an ack


def _is_ephemeral(body: dict[str, Any]) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral", True))


def _card_title(body: dict[str, Any]) -> str | None:
    """The deal name from the card's header block, without asking HubSpot."""
    for block in (body.get("message") or {}).get("blocks") or []:
        if block.get("type") == "header":
            return (block.get("text") or {}).get("text")
    return None


def origin_of(metadata: str) -> dict[str, Any]:
    """The modal's private_metadata back as a dict."""
    try:
        return json.loads(metadata or "{}")
    except ValueError:
        return {}
