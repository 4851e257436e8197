"""Typed results shared by the connectors; plain frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

CommunicationKind = Literal["email", "call", "meeting", "note", "other"]
ChangeKind = Literal["due_date_moved", "reassigned", "pm_changed", "phase_changed", "scope_added", "scope_removed"]


@dataclass(frozen=True)
class Person:
    """Someone in one of the systems; email is the cross-system key when known."""

    name: str
    email: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class DealMatch:
    """One candidate for a /account query, ranked by `score` (higher is better)."""

    deal_id: str
    name: str
    stage_label: str
    amount: Decimal | None
    close_date: date | None
    company_name: str | None = None
    score: float = 0.0
    currency: str | None = None


@dataclass(frozen=True)
class Deal:
    """The HubSpot deal, with its stage resolved through the pipeline metadata."""

    id: str
    name: str
    stage_id: str
    stage_label: str
    pipeline_label: str
    is_closed: bool
    is_won: bool
    amount: Decimal | None
    currency: str | None
    close_date: date | None
    owner: Person | None
    company_name: str | None
    url: str | None  # None while the portal id is unknown

    def as_match(self, *, score: float = 0.0) -> DealMatch:
        """This deal as a /account candidate (a deal read by id, or one the service already fetched)."""
        return DealMatch(
            self.id,
            self.name,
            self.stage_label,
            self.amount,
            self.close_date,
            self.company_name,
            score=score,
            currency=self.currency,
        )


@dataclass(frozen=True)
class DealBrief:
    """What an alert needs of a deal: its name and the owner to tell."""

    id: str
    name: str
    owner_email: str | None


@dataclass(frozen=True)
class Escalation:
    """An open HubSpot ticket associated with the deal."""

    id: str
    subject: str
    priority: str | None  # LOW / MEDIUM / HIGH / URGENT as HubSpot stores it
    created_at: datetime
    stage_label: str
    url: str | None = None


@dataclass(frozen=True)
class Communication:
    """A client-facing communication: HubSpot email, call, meeting, or a note the bot logged."""

    id: str
    kind: CommunicationKind
    at: datetime
    summary: str
    author: str | None = None


@dataclass(frozen=True)
class Phase:
    """The delivery phase derived from the work: the first section still holding open tasks."""

    name: str
    done: int  # tasks done in this section
    total: int  # tasks in this section
    project_done: int
    project_total: int
    is_last: bool = False  # the last section in board order that holds tasks


@dataclass(frozen=True)
class Deliverable:
    """The next deliverable: earliest-due incomplete task, milestones first."""

    id: str
    name: str
    due_on: date | None
    assignee: str | None
    is_milestone: bool

    def days_overdue(self, today: date) -> int:
        """Days past due as of `today` (0 when not overdue or undated)."""
        if self.due_on is None or self.due_on >= today:
            return 0
        return (today - self.due_on).days


@dataclass(frozen=True)
class Milestone:
    """A milestone task of the project, done or not: the scope that history compares."""

    id: str
    name: str
    due_on: date | None
    completed: bool


@dataclass(frozen=True)
class Change:
    """Something that changed recently: a due date moved, a reassignment, a new PM, a phase or the scope."""

    kind: ChangeKind
    at: datetime
    subject: str | None  # task or project name
    old: str | None
    new: str | None
    by: str | None


@dataclass(frozen=True)
class Delivery:
    """The Asana delivery project joined on the deal ID."""

    project_id: str
    project_name: str
    url: str
    pm: Person | None
    phase: Phase | None  # None when every task is done (or there are no tasks)
    next_deliverable: Deliverable | None
    changes: tuple[Change, ...] = ()
    completed: bool = False
    completed_on: date | None = None  # when the last task was completed, if all are done
    milestones: tuple[Milestone, ...] = ()  # every milestone task of the project, in Asana's order


@dataclass(frozen=True)
class PaymentInfo:
    """A payment applied to one of the deal's invoices."""

    id: str
    on: date
    amount: Decimal


@dataclass(frozen=True)
class Money:
    """Totals over all of the deal's QuickBooks invoices, exact to the cent."""

    currency: str
    invoiced: Decimal
    paid: Decimal
    outstanding: Decimal
    overdue: Decimal
    invoice_count: int
    overdue_count: int = 0
    oldest_overdue_due: date | None = None
    last_payment: PaymentInfo | None = None
    customer_name: str | None = None
    invoice_ids: tuple[str, ...] = field(default=())
    url: str | None = None  # the customer (or sole invoice) in the QuickBooks web app
    mixed_currencies: bool = False  # invoices in several currencies: totals are of `currency` only


@dataclass(frozen=True)
class TicketInfo:
    """A HubSpot ticket as the alert pipeline needs it: open or not, and its deals."""

    escalation: Escalation
    is_open: bool
    deal_ids: tuple[str, ...]


@dataclass(frozen=True)
class PaymentApplication:
    """One QuickBooks payment applied to one invoice of a deal."""

    payment_id: str
    deal_id: str
    invoice_id: str
    doc_number: str | None
    amount: Decimal  # applied to this invoice by this payment
    invoice_total: Decimal
    balance: Decimal  # what remains on the invoice now
    due_on: date | None
    paid_on: date
    currency: str
    customer_name: str | None = None
    recorded_at: datetime | None = None  # when the payment was entered (MetaData.CreateTime)


@dataclass(frozen=True)
class AccountFacts:
    """What HubSpot says of one account: the deal, its open escalations and its last communication."""

    deal: Deal | None  # None when HubSpot has no such deal
    escalations: tuple[Escalation, ...]
    communication: Communication | None


@dataclass(frozen=True)
class ProjectRef:
    """An Asana project as link repair sees it: the deal ID it carries, if any, and when it last moved."""

    gid: str
    name: str
    deal_id: str | None
    archived: bool
    modified_at: datetime | None
    url: str


@dataclass(frozen=True)
class InvoiceRef:
    """An accounting invoice as link repair sees it: its customer and the deal ID it carries, if any."""

    id: str
    doc_number: str | None
    txn_date: date | None
    total: Decimal
    currency: str
    customer_id: str
    customer_name: str
    deal_id: str | None
    url: str | None = None


@dataclass(frozen=True)
class LinkWrite:
    """What writing a deal ID did: `written` False when the record carried that deal ID already."""

    target: str
    written: bool
    detail: str = ""
