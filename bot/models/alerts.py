"""The alert pipeline's contracts: the kinds of alert, and the payload each kind carries.

The engine builds these payloads, the outbox keeps them as JSON, and `blocks.alerts` renders
them: TypedDicts, so that the stored JSON and the typed value are the same thing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NotRequired, TypedDict


class AlertKind(StrEnum):
    """What an alert is about; subscriptions name the first two."""

    ESCALATIONS = "escalations"
    PAYMENTS = "payments"
    UPSELL = "upsell"
    DIGEST = "digest"
    PROJECTS = "projects"


SUBSCRIBABLE: Final = frozenset({AlertKind.ESCALATIONS, AlertKind.PAYMENTS, AlertKind.PROJECTS})
# Kinds whose bursts over several accounts may share one message in a busy channel.
COALESCING: Final = frozenset({AlertKind.ESCALATIONS, AlertKind.PAYMENTS})


class InvoicePaid(TypedDict):
    """One invoice a payment paid into; amounts as exact decimal strings."""

    id: str
    doc: str | None
    amount: str
    total: str
    balance: str
    due_on: str | None


class PaymentAlert(TypedDict):
    """A payment received on one account's invoices."""

    deal_id: str
    deal_name: str | None
    payment_id: str
    paid_on: str  # YYYY-MM-DD
    currency: str
    amount: str
    invoices: list[InvoicePaid]
    source: NotRequired[str]  # the accounting system: "quickbooks" (when absent) or "netsuite"


class EscalationAlert(TypedDict):
    """An escalation (HubSpot ticket) opened on an account."""

    deal_id: str
    deal_name: str | None
    ticket_id: str
    subject: str
    priority: str | None
    created_at: str  # ISO 8601
    stage: str
    url: str | None


class UpsellAlert(TypedDict):
    """An upsell moment, for the rep."""

    deal_id: str
    deal_name: str
    reason: str | None


class DigestAttention(TypedDict):
    deal_id: str
    name: str
    level: str
    reasons: list[str]


class DigestUpsell(TypedDict):
    deal_id: str
    name: str
    reason: str | None


class DigestPaid(TypedDict):
    """A payment of last week, from its PaymentAlert."""

    deal_id: str
    name: str | None
    amount: str
    currency: str | None
    paid_on: str  # YYYY-MM-DD


class DigestAlert(TypedDict):
    """A rep's weekly digest."""

    week: str
    attention: list[DigestAttention]
    upsell: list[DigestUpsell]
    paid: list[DigestPaid]
    accounts: int


class ProjectAlert(TypedDict):
    """A delivery project made for a won deal (or, with `failed`, why it could not be made)."""

    deal_id: str
    deal_name: str
    project_name: str | None
    project_url: str | None
    first_milestone: str | None
    first_milestone_due: str | None  # YYYY-MM-DD
    field_added: bool
    failed: str | None


AlertPayload = PaymentAlert | EscalationAlert | UpsellAlert | DigestAlert | ProjectAlert
