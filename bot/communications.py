"""Client communications logged from Slack: written to HubSpot once per submission, then the card redrawn."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, Literal

from blocks.card import status_card
from bot.slack_out import replace_message
from connectors.errors import ConnectorError

if TYPE_CHECKING:
    from bot.access import Gatekeeper
    from bot.cards import CardService

log = logging.getLogger(__name__)
CLAIM_KIND = "log-communication"


@dataclass(frozen=True)
class LogOrigin:
    """Where the modal was opened from: the deal, its name, and the card message to redraw."""

    deal_id: str
    name: str
    response_url: str | None = None
    ephemeral: bool = True


@dataclass(frozen=True)
class LogOutcome:
    """logged; repeat (a retried or double-clicked submission: nothing written); failed, with the reason."""

    state: Literal["logged", "repeat", "failed"]
    reason: str = ""


class CommunicationLog:
    """Writes the engagement, once per submission across processes, and refreshes the card it came from."""

    def __init__(self, cards: CardService, store: Any, gate: Gatekeeper) -> None:
        self.cards = cards
        self.store = store
        self.gate = gate

    async def submit(
        self, view_id: str, user: dict[str, Any], origin: LogOrigin, kind: str, on: date, summary: str, now: datetime
    ) -> LogOutcome:
        """Log it in HubSpot (once for this view and content), then redraw the card in Slack."""
        digest = hashlib.sha256(f"{kind}|{on}|{summary}".encode()).hexdigest()[:16]
        key = f"log:{view_id}:{digest}"
        if not await self.store.claim(key, CLAIM_KIND):
            log.info("submission %s already handled", key)
            return LogOutcome("repeat")
        author = await self.gate.display_name(user["id"]) or user.get("name") or "someone"
        when = now if on >= now.date() else datetime.combine(on, time(12, 0), tzinfo=UTC)
        try:
            await self.cards.hubspot.log_communication(origin.deal_id, kind, summary, when, author)
        except ConnectorError as exc:
            await self.store.release(key)
            return LogOutcome("failed", exc.message)
        self.cards.status.invalidate(origin.deal_id, ("communication",))
        result = await self.cards.card(origin.deal_id)  # the fresh status (and its write-back onto the deal)
        if origin.response_url and result.status is not None:
            await replace_message(origin.response_url, status_card(result.status, now, ephemeral=origin.ephemeral))
        return LogOutcome("logged")
