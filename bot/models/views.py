"""What the services hand the blocks for lists and answers: a query's result, subscriptions, the rep's book."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from bot.models import AccountStatus
from connectors.types import DealMatch

Outcome = Literal["card", "picker", "no_match", "message", "gone"]  # gone: no deal has that ID
BookLevel = Literal["green", "yellow", "red", "unknown"]


@dataclass(frozen=True)
class QueryResult:
    """What to show for a query: the card, a picker, suggestions, or a short message."""

    outcome: Outcome
    query: str
    status: AccountStatus | None = None
    matches: tuple[DealMatch, ...] = field(default=())
    message: str = ""
    more: bool = False  # the picker's list was cut: more deals match than it shows


@dataclass(frozen=True)
class Subscription:
    """A channel's alert subscription: one account (or "*" for every account) and the kinds it wants."""

    id: int
    channel_id: str
    deal_id: str  # "*" for every account
    deal_name: str
    kinds: frozenset[str]
    min_amount: str | None
    created_by: str
    created_at: float
    broken_reason: str | None = None
    broken_at: float | None = None


@dataclass(frozen=True)
class BookLine:
    """One account of the rep's book as App Home shows it (raw facts: blocks format them)."""

    deal_id: str
    name: str
    level: BookLevel
    reasons: tuple[str, ...]
    phase: str | None
    progress: float | None  # share of the project's tasks done, 0..1
    outstanding: Decimal | None
    currency: str | None
    upsell: bool
    upsell_reason: str | None
    assessed_at: datetime | None = None  # when the snapshot behind the line was taken
    stale: bool = False  # older than the book refreshes: show its age
