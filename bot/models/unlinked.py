"""What `/account unlinked` shows: the records the deal ID does not join yet, worst first, with suggested links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final


class IssueKind(StrEnum):
    """The kinds of missing or wrong links, in the order the list shows them (worst first)."""

    UNKNOWN_DEAL = "unknown_deal"  # a deal ID in Asana or the invoices that HubSpot does not know (a typo)
    SHARED_DEAL = "shared_deal"  # one deal ID on two delivery projects: the card shows only one
    INVOICES_WITHOUT_DEAL = "invoices_without_deal"  # money missing from a card
    DEAL_WITHOUT_PROJECT = "deal_without_project"  # a won deal no Asana project carries
    PROJECT_WITHOUT_DEAL = "project_without_deal"  # an active Asana project carrying no deal ID


KIND_ORDER: Final = tuple(IssueKind)


class LinkAction(StrEnum):
    """What a suggestion's button does."""

    LINK_PROJECT = "project"  # write the deal ID into the Asana project's field
    LINK_INVOICES = "invoice"  # write the deal ID into the invoices' custom field
    CREATE_PROJECT = "created"  # make the delivery project from the template (project on close)


@dataclass(frozen=True)
class Suggestion:
    """A proposed link: write `deal_id` into the targets, and why it is likely right."""

    action: LinkAction
    deal_id: str
    deal_name: str
    target_ids: tuple[str, ...]
    target_name: str
    evidence: str
    score: float = 0.0


@dataclass(frozen=True)
class UnlinkedItem:
    """One thing not joined: what it is, the facts, and the fix (with buttons when the bot can make it)."""

    kind: IssueKind
    key: str  # stable id of the record (deal, project, customer, deal ID)
    title: str
    facts: str
    fix: str
    url: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    suggestions: tuple[Suggestion, ...] = ()


@dataclass(frozen=True)
class LinkHistory:
    """A link made from the list: who, what, which deal, when."""

    action: LinkAction
    target_id: str
    target_name: str
    deal_id: str
    user_id: str
    at: datetime
    count: int = 1  # invoices linked by one click


@dataclass(frozen=True)
class UnlinkedReport:
    """Everything not joined, worst first; the counts per kind; recent links; sources that failed."""

    items: tuple[UnlinkedItem, ...]
    counts: dict[IssueKind, int]
    generated_at: datetime
    history: tuple[LinkHistory, ...] = ()
    errors: tuple[str, ...] = ()
    can_create: bool = False
    scope: dict[str, str] = field(default_factory=dict)  # what was looked at, in words, per system
    books: str = "QuickBooks"  # the accounting system the invoices are in, in words ("NetSuite")


@dataclass(frozen=True)
class LinkOutcome:
    """What a Link or Create click did, in words; `written` False when nothing more was written."""

    text: str
    written: bool
    deal_id: str
