"""App Home "My accounts": the rep's book, filters, paging, digest opt-out, cards in a modal."""
from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from blocks import ids
from blocks.card import card_modal
from blocks.home import home_view, loading_view, no_owner_view, parse_filter, refusal_view
from bot.status import DealNotFound

if TYPE_CHECKING:
    from bot.app import AppDeps

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: "AppDeps") -> None:
    """app_home_opened and the Home buttons."""

    async def publish(client: Any, user_id: str, *, filter: str | None = None, page: int = 0,
                      first: bool = False) -> None:
        verdict = await deps.gate.user(user_id)
        name = await deps.gate.display_name(user_id) or "there"
        if not verdict.allowed:
            await client.views_publish(user_id=user_id, view=refusal_view())
            return
        prefs = await deps.store.rep_prefs(user_id)
        owner, email = await deps.book.owner(user_id)
        if owner is None:
            await client.views_publish(user_id=user_id, view=no_owner_view(email))
            return
        await deps.store.set_rep_prefs(user_id, home_filter=prefs["home_filter"])  # a rep with a book
        if first:
            await client.views_publish(user_id=user_id, view=loading_view(name))
        deals = await deps.book.deals(owner.id, deps.clock().date())
        lines, stale = await deps.book.lines(deals)
        chosen = parse_filter(filter or prefs["home_filter"])
        view = home_view(lines, filter=chosen, page=page, rep_name=name, digest_opt_out=prefs["digest_opt_out"],
                         now=deps.clock())
        await client.views_publish(user_id=user_id, view=view)
        if stale:  # assess the rest in the background, then show the result
            deps.book.refresh_later(stale, then=lambda: publish(client, user_id, filter=chosen, page=page))

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], client: Any) -> None:
        if event.get("tab", "home") == "home":
            await publish(client, event["user"])

    @app.action(re.compile(rf"^{ids.HOME_FILTER}"))
    async def on_filter(ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any) -> None:
        await ack()
        chosen = parse_filter(action.get("value"))
        await deps.store.set_rep_prefs(body["user"]["id"], home_filter=chosen)
        await publish(client, body["user"]["id"], filter=chosen)

    @app.action(re.compile(rf"^{ids.HOME_PAGE}"))
    async def on_page(ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any) -> None:
        await ack()
        meta = _metadata(body)
        await publish(client, body["user"]["id"], filter=meta.get("filter"), page=int(action.get("value") or 0))

    @app.action(ids.HOME_DIGEST)
    async def on_digest(ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any) -> None:
        await ack()
        await deps.store.set_rep_prefs(body["user"]["id"], digest_opt_out=action.get("value") == "off")
        meta = _metadata(body)
        await publish(client, body["user"]["id"], filter=meta.get("filter"), page=int(meta.get("page") or 0))


async def show_card_in_modal(deps: "AppDeps", client: Any, trigger_id: str, deal_id: str) -> None:
    """From Home there is no response_url: the card opens in a modal."""
    try:
        status = await deps.cards.for_deal(deal_id)
    except DealNotFound:
        return
    await client.views_open(trigger_id=trigger_id, view=card_modal(status, deps.clock()))


def _metadata(body: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads((body.get("view") or {}).get("private_metadata") or "{}")
    except ValueError:
        return {}


