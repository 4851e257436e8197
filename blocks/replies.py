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
        return messages.picker(result.query, result.matches, now.date(), more=result.more)
    if result.outcome == "gone":
        return messages.error(messages.DEAL_GONE.format(deal_id=result.query))
    if result.outcome == "no_match":
        return messages.no_match(result.query, result.matches, result.message or None)
    return messages.error(result.message)


def card_response(
    result: QueryResult, now: datetime, *, replace: bool = True, ephemeral: bool = True
) -> dict[str, Any]:
    """What a button answers through response_url: the card (replacing the message, or beside it), or why not."""
    payload = reply(result, now, ephemeral=ephemeral)
    payload["replace_original"] = replace
    if result.status is not None:
        payload["response_type"] = "ephemeral" if ephemeral else "in_channel"
    return payload


def refusal_response() -> dict[str, Any]:
    """A refusal next to the message, visible only to the person who clicked."""
    return {**messages.refusal(), "replace_original": False, "response_type": "ephemeral"}
