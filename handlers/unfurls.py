"""link_shared: the unfurl service matches, fetches and renders; ONE chat.unfurl per event."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers import acked_first, services_of


async def on_link_shared(event: dict[str, Any], client: Any, context: Any) -> None:
    """HubSpot deal links in every form (other portals', guests' and outsiders' are left alone)."""
    plan = await services_of(context).unfurls.plan(event)
    if plan is not None:
        await client.chat_unfurl(**plan)


def register(app: AsyncApp) -> None:
    """The link_shared event."""
    app.event("link_shared")(acked_first(on_link_shared))
