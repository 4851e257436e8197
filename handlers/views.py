"""The log-communication modal's submission: validate, write to HubSpot once, show how it went."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncApp

from blocks import ids, messages
from blocks.modal import failed_view, logged_view, parse_submission, saving_view
from bot.communications import LogOrigin
from handlers import acked_first, allowed, services_of


async def on_log_submission(ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any, context: Any) -> None:
    """view_submission of the log modal."""
    services = services_of(context)
    errors, kind, on, summary = parse_submission(view["state"]["values"], services.clock().date())
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    origin = _origin(view.get("private_metadata", ""))
    if origin is None or not await allowed(services, body["user"]["id"]):
        await ack(response_action="errors", errors={ids.LOG_SUMMARY_BLOCK: messages.REFUSAL})
        return
    await ack(response_action="update", view=saving_view(origin.name))
    outcome = await services.communications.submit(
        view["id"], body["user"], origin, kind, on, summary, services.clock()
    )
    if outcome.state == "logged":
        await client.views_update(view_id=view["id"], view=logged_view(origin.name, kind, on))
    elif outcome.state == "failed":  # HubSpot refused: the text comes back, nothing is lost
        await client.views_update(view_id=view["id"], view=failed_view(origin.name, outcome.reason, summary))


def register(app: AsyncApp) -> None:
    """The log modal's submission."""
    app.view(ids.LOG_MODAL_CALLBACK)(acked_first(on_log_submission))


def _origin(metadata: str) -> LogOrigin | None:
    """The modal's private_metadata (written by blocks.modal.log_modal) back as the deal and the card's message."""
    try:
        data = json.loads(metadata or "{}")
    except ValueError:
        return None
    if not isinstance(data, dict) or not data.get("deal_id"):
        return None
    return LogOrigin(
        str(data["deal_id"]),
        str(data.get("name") or "this deal"),
        data.get("response_url"),
        bool(data.get("ephemeral", True)),
    )
