"""The plain typed models that flow from the services to `blocks` (the only part of `bot` blocks import).

AccountStatus and its sections here; health, alert payloads, snapshots and the views of
lists in the submodules. The connectors' record types are re-exported, so that blocks
need nothing from `connectors` directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Generic, TypeVar

from bot.models.health import Health
from connectors.types import (
    Change,
    Communication,
    Deal,
    DealMatch,
    Deliverable,
    Delivery,
    Escalation,
    Milestone,
    Money,
    PaymentInfo,
    Person,
    Phase,
)

__all__ = [
    "AccountStatus",
    "Section",
    "SourceState",
    "SOURCE_LABELS",
    "Health",
    "Change",
    "Communication",
    "Deal",
    "DealMatch",
    "Deliverable",
    "Delivery",
    "Escalation",
    "Milestone",
    "Money",
    "PaymentInfo",
    "Person",
    "Phase",
]

T = TypeVar("T")

SOURCE_LABELS: Final = {"hubspot": "HubSpot", "asana": "Asana", "quickbooks": "QuickBooks", "netsuite": "NetSuite"}


@dataclass(frozen=True)
class Section(Generic[T]):
    """One part of the card with where it came from, when, and what went wrong if anything.

    `value` None with no error means "nothing there" (no project yet, no invoices yet).
    With an error, `value` is the last good value (then `stale` is True) or None.
    """

    source: str
    value: T | None = None
    fetched_at: datetime | None = None
    error: str | None = None
    stale: bool = False
    pending: bool = False  # still being fetched, delayed by the bot's own rate budget: not a failure

    @property
    def ok(self) -> bool:
        """Fresh data, no error."""
        return self.error is None

    @property
    def available(self) -> bool:
        """There is something to show: fresh, or last known."""
        return self.error is None or self.stale


@dataclass(frozen=True)
class SourceState:
    """How one backend answered for this card: for the context line."""

    source: str
    fetched_at: datetime | None
    error: str | None
    stale: bool

    @property
    def label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)


@dataclass(frozen=True)
class AccountStatus:
    """Everything a rep needs about one account, each section carrying its source."""

    deal_id: str
    deal: Section[Deal]
    escalations: Section[tuple[Escalation, ...]]
    communication: Section[Communication]
    delivery: Section[Delivery]
    money: Section[Money]
    generated_at: datetime
    today: date
    health: Health | None = None  # when the card service assessed it

    @property
    def name(self) -> str:
        """The deal name, or a neutral label when HubSpot could not say."""
        deal = self.deal.value
        return deal.name if deal else f"Deal {self.deal_id}"

    def sections(self) -> tuple[Section, ...]:
        return (self.deal, self.escalations, self.communication, self.delivery, self.money)

    def sources(self) -> list[SourceState]:
        """Per backend: the oldest fetch time and the first error among its sections."""
        states: dict[str, SourceState] = {}
        for section in self.sections():
            current = states.get(section.source)
            if current is None:
                states[section.source] = SourceState(section.source, section.fetched_at, section.error, section.stale)
                continue
            fetched = min((t for t in (current.fetched_at, section.fetched_at) if t), default=None)
            states[section.source] = SourceState(
                section.source, fetched, current.error or section.error, current.stale or section.stale
            )
        order = list(SOURCE_LABELS)
        return sorted(states.values(), key=lambda s: order.index(s.source) if s.source in order else 99)

    @property
    def partial(self) -> bool:
        """True when at least one source failed or is still on its way (the card says so)."""
        return any(s.error for s in self.sections())

    @property
    def pending(self) -> bool:
        """True when a section is still on its way (the card completes itself when it lands)."""
        return any(s.pending for s in self.sections())
