"""Buttons: pick a deal, a suggestion, show, refresh, share the card, log a communication, open links."""

from __future__ import annotations

import re
from typing import Any, Final

from slack_bolt.async_app import AsyncApp

from blocks import ids, messages
from blocks.card import card_modal
from blocks.modal import log_modal
from blocks.replies import card_response, refusal_response
from blocks.unlinked import link_result, parse_link_value, unlinked_message
from handlers import acked_first, allowed, complete_later, services_of

LINK_BUTTONS: Final = (ids.OPEN_HUBSPOT, ids.OPEN_ASANA, ids.OPEN_QUICKBOOKS, ids.OPEN_NETSUITE)


async def on_pick(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any, context: Any) -> None:
    """A deal chosen from the picker or the suggestions: its card replaces the list."""
    await ack()
    services = services_of(context)
    if not await allowed(services, body["user"]["id"]):
        await respond(refusal_response())
        return
    result = await services.cards.card(action["value"])
    await respond(card_response(result, services.clock()))
    await complete_later(services, result, respond, lambda later: card_response(later, services.clock()))


async def on_show(
    ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any, client: Any, context: Any
) -> None:
    """ "Show account card" on an alert or the digest (beside it), or on Home (in a modal)."""
    await ack()
    services = services_of(context)
    if not await allowed(services, body["user"]["id"]):
        if (body.get("container") or {}).get("type") != "view":
            await respond(refusal_response())
        return
    result = await services.cards.card(action["value"])
    if (body.get("container") or {}).get("type") == "view":  # from Home there is no response_url
        if result.status is not None:
            opened = await client.views_open(
                trigger_id=body["trigger_id"], view=card_modal(result.status, services.clock())
            )
            later = await services.cards.completed(result)
            if later is not None and later.status is not None:  # the modal completed in place
                view_id = (opened.get("view") or {}).get("id")
                await client.views_update(view_id=view_id, view=card_modal(later.status, services.clock()))
        return
    # Beside an alert, a later post could only replace the alert itself: post once, the whole card.
    result = await services.cards.completed(result) or result
    await respond(card_response(result, services.clock(), replace=False))


async def on_refresh(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any, context: Any) -> None:
    """Refresh: the card fetched again, in place."""
    await ack()
    services = services_of(context)
    if not await allowed(services, body["user"]["id"]):
        await respond(refusal_response())
        return
    result = await services.cards.card(action["value"], refresh=True)
    ephemeral = _is_ephemeral(body)
    await respond(card_response(result, services.clock(), ephemeral=ephemeral))
    await complete_later(
        services, result, respond, lambda later: card_response(later, services.clock(), ephemeral=ephemeral)
    )


async def on_share(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any, context: Any) -> None:
    """Share in channel: the card posted for everyone, the private copy removed."""
    await ack()
    services = services_of(context)
    if not await allowed(services, body["user"]["id"]):
        await respond(refusal_response())
        return
    await respond(
        card_response(await services.cards.card(action["value"]), services.clock(), replace=False, ephemeral=False)
    )
    await respond({"delete_original": True})


async def on_log(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any, respond: Any, context: Any
) -> None:
    """Log client communication: the modal, opened at once (views.open must follow the click within 3 s)."""
    await ack()
    services = services_of(context)
    if not await allowed(services, body["user"]["id"]):
        await respond(refusal_response())
        return
    name = _card_title(body) or f"deal {action['value']}"
    origin = {"response_url": body.get("response_url"), "ephemeral": _is_ephemeral(body)}
    await client.views_open(
        trigger_id=body["trigger_id"], view=log_modal(action["value"], name, services.clock().date(), origin=origin)
    )


async def on_unlinked_link(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any, context: Any) -> None:
    """Link / Create from template on `/account unlinked` (Slack asked to confirm): write once, say what was done."""
    await ack()
    services = services_of(context)
    user = body["user"]["id"]
    if not await allowed(services, user):
        await respond(refusal_response())
        return
    try:
        kind, deal_id, targets, name = parse_link_value(action["value"])
    except (ValueError, KeyError, TypeError):
        await respond(messages.error("That button is from an older list: run `/account unlinked` again."))
        return
    await respond(link_result(await services.unlinked.link(kind, targets, deal_id, user, name)))


async def on_unlinked_page(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any, context: Any) -> None:
    """Previous / Next on `/account unlinked`: that page, in place."""
    await ack()
    services = services_of(context)
    if not await allowed(services, body["user"]["id"]):
        await respond(refusal_response())
        return
    page = int(action["value"]) if str(action.get("value", "")).isdigit() else 0
    shown = unlinked_message(await services.unlinked.report(), services.clock(), page)
    await respond({**shown, "replace_original": True})


async def on_link_button(ack: Any) -> None:
    """Link buttons open in the browser; Slack still expects an ack."""
    await ack()


def register(app: AsyncApp) -> None:
    """Every button on the card, the picker, the suggestions, alerts and Home."""
    app.action(ids.PICK_DEAL)(acked_first(on_pick))
    app.action(re.compile(rf"^{ids.SUGGEST_DEAL}_\d+$"))(acked_first(on_pick))
    app.action(ids.SHOW_CARD)(acked_first(on_show))
    app.action(re.compile(rf"^{ids.SHOW_CARD}_digest_\d+$"))(acked_first(on_show))
    app.action(ids.REFRESH_CARD)(acked_first(on_refresh))
    app.action(ids.SHARE_CARD)(acked_first(on_share))
    app.action(ids.LOG_COMMUNICATION)(acked_first(on_log))
    app.action(re.compile(rf"^{ids.UNLINKED_LINK}_\d+$"))(acked_first(on_unlinked_link))
    app.action(re.compile(rf"^{ids.UNLINKED_PAGE}_(prev|next)$"))(acked_first(on_unlinked_page))
    for action_id in LINK_BUTTONS:
        app.action(action_id)(acked_first(on_link_button))


def _is_ephemeral(body: dict[str, Any]) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral", True))


def _card_title(body: dict[str, Any]) -> str | None:
    """The deal name from the card's header block, without asking HubSpot."""
    for block in (body.get("message") or {}).get("blocks") or []:
        if block.get("type") == "header":
            return (block.get("text") or {}).get("text")
    return None
