"""The shapes of the demo book: people, projects and their tasks, tickets, engagements, invoices, accounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Human:
    """A person of the selling company: HubSpot owner, Asana user and Slack member."""

    key: str
    first: str
    last: str
    email: str
    slack_id: str
    asana_gid: str
    hubspot_owner_id: str
    tz: str = "America/New_York"

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(frozen=True)
class Story:
    """An Asana task story: `due_date_changed` (old/new are day offsets) or `assigned`."""

    kind: str
    days_ago: int
    by: str  # Human key
    old_due: int | None = None
    new_due: int | None = None
    assignee: str | None = None  # Human key, for `assigned`
    text: str | None = None  # for `comment_added`


@dataclass(frozen=True)
class Task:
    name: str
    section: str
    completed: bool = False
    due: int | None = None  # days from today (negative: past)
    assignee: str | None = None
    milestone: bool = False
    stories: tuple[Story, ...] = ()


@dataclass(frozen=True)
class Project:
    name: str
    owner: str  # Human key: the PM
    sections: tuple[str, ...]
    tasks: tuple[Task, ...]
    archived: bool = False
    deal_field: str | None = None  # override (e.g. whitespace around the ID), else the deal ID


@dataclass(frozen=True)
class Ticket:
    subject: str
    priority: str  # LOW / MEDIUM / HIGH / URGENT
    stage: str  # ticket stage id in TICKET_STAGES
    days_ago: float


@dataclass(frozen=True)
class Engagement:
    kind: str  # email / call / meeting / note
    days_ago: float
    summary: str
    by: str  # Human key
    logged_by_bot: bool = False


@dataclass(frozen=True)
class Invoice:
    doc: str
    days_ago: int  # TxnDate
    terms_days: int  # DueDate = TxnDate + terms
    lines: tuple[tuple[str, Decimal], ...]
    payments: tuple[tuple[int, Decimal], ...] = ()  # (days_ago, amount)
    currency: str = "USD"

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount in self.lines), Decimal("0"))


@dataclass(frozen=True)
class Account:
    """One sold project as the three systems see it."""

    key: str
    deal_id: str
    deal_name: str
    company: str  # HubSpot company name
    stage: str  # deal stage id in DEAL_STAGES
    amount: Decimal
    close_days_ago: int
    owner: str  # Human key: the rep
    state: str  # what a rep should see: on track, slipped, ...
    pipeline: str = "default"
    currency: str = "USD"
    project: Project | None = None
    qbo_customer: str | None = None  # QuickBooks customer DisplayName
    invoices: tuple[Invoice, ...] = ()
    tickets: tuple[Ticket, ...] = ()
    engagements: tuple[Engagement, ...] = ()
