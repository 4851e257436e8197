"""The log-communication modal's submission: validate, write to HubSpot once, update the card."""
from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from blocks import ids, messages
from blocks.card import status_card
from blocks.modal import failed_view, logged_view, parse_submission, saving_view
from connectors.errors import ConnectorError
from bot.slack_out import replace_message
from handlers.actions import origin_of

if TYPE_CHECKING:
    from bot.app import AppDeps

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: "AppDeps") -> None:
    """view_submission of the log modal."""

    @app.view(ids.LOG_MODAL_CALLBACK)
    async def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        today = deps.clock().date()
        errors, kind, on, summary = parse_submission(view["state"]["values"], today)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        origin = origin_of(view.get("private_metadata", ""))
        deal_id, name = origin.get("deal_id", ""), origin.get("name", "this deal")
        verdict = await deps.gate.user(body["user"]["id"])
        if not verdict.allowed or not deal_id:
            await ack(response_action="errors", errors={ids.LOG_SUMMARY_BLOCK: messages.REFUSAL})
            return
        await ack(response_action="update", view=saving_view(name))
        # A retried or double-clicked submission of the same view writes one engagement.
        digest = hashlib.sha256(f"{kind}|{on}|{summary}".encode()).hexdigest()[:16]
        key = f"log:{view['id']}:{digest}"
        if not await deps.store.claim(key, "log-communication"):
            log.info("submission %s already handled", key)
            return
        author = await deps.gate.display_name(body["user"]["id"]) or body["user"].get("name") or "someone"
        try:
            await deps.cards.log_communication(deal_id, kind, summary, on, author)
        except ConnectorError as exc:
            await deps.store.release(key)
            await client.views_update(view_id=view["id"], view=failed_view(name, exc.message, summary))
            return
        await client.views_update(view_id=view["id"], view=logged_view(name, kind, on))
        if origin.get("response_url"):
            status = await deps.cards.for_deal(deal_id)
            payload = status_card(status, deps.clock(), ephemeral=bool(origin.get("ephemeral", True)))
            await replace_message(origin["response_url"], payload)
