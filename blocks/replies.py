"""What a query turns into on screen: card, picker, suggestions or a short message."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from blocks import messages
from blocks.card import status_card
from bot.models.views import QueryResult


def reply(result: QueryResult, now: datetime, *, ephemeral: bool = True) -> dict[str, Any]:
    """The message payload for a QueryResult."""
    if result.outcome == "card" and result.status is not None:
        return status_card(result.status, now, ephemeral=ephemeral)
    if result.outcome == "picker":
        return messages.picker(result.query, result.matches, now.date())
    if result.outcome == "gone":
        return messages.error(messages.DEAL_GONE.format(deal_id=result.query))
    if result.outcome == "no_match":
        return messages.no_match(result.query, result.matches, result.message or None)
    return messages.error(result.message)
