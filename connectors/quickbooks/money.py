"""Pure functions over QBO invoice and payment JSON: the deal field, and a deal's Money."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from connectors.types import Money, PaymentApplication, PaymentInfo

log = logging.getLogger(__name__)
CENT = Decimal("0.01")
DEFAULT_CURRENCY = "USD"  # a company without multicurrency may omit CurrencyRef
APP_URL = "https://app.qbo.intuit.com/app"


def amount(value: Any) -> Decimal:
    """A QBO amount (Decimal with use_decimal, or int) as Decimal, exact to the cent."""
    return Decimal(str(value if value is not None else 0)).quantize(CENT)


def deal_of(invoice: dict, field_name: str) -> str | None:
    """The invoice's deal ID: the StringValue of the custom field named `field_name` (trimmed)."""
    wanted = field_name.strip().lower()
    for field in invoice.get("CustomField") or ():
        if str(field.get("Name", "")).strip().lower() == wanted:
            value = str(field.get("StringValue") or "").strip()
            return value or None
    return None


def currency_of(invoice: dict) -> str:
    """The invoice currency code."""
    return str((invoice.get("CurrencyRef") or {}).get("value") or DEFAULT_CURRENCY)


def id_key(value: Any) -> tuple[int, str]:
    """Sort QBO Ids numerically."""
    text = str(value)
    return (int(text), "") if text.isdigit() else (1 << 62, text)


def linked(txn: dict, kind: str) -> Iterable[str]:
    """Ids of the transactions of type `kind` linked from `txn` (top-level LinkedTxn)."""
    return (str(link["TxnId"]) for link in txn.get("LinkedTxn") or () if link.get("TxnType") == kind)


def summarise(
    invoices: Sequence[dict], payments: Sequence[dict], *, today: date, app_url: str | None = APP_URL
) -> Money | None:
    """Totals over the deal's invoices; payments count only for what they applied to them.

    Mixed currencies cannot be added up: the totals cover the dominant currency (most
    invoices; a tie goes to the newest invoice's), `mixed_currencies` is set and the others
    are left out with a warning. `url` opens the sole invoice, else the sole customer.
    """
    if not invoices:
        return None
    newest = max(invoices, key=lambda inv: (str(inv.get("TxnDate") or ""), id_key(inv.get("Id"))))
    counts = Counter(currency_of(inv) for inv in invoices)
    currency = max(counts, key=lambda c: (counts[c], c == currency_of(newest)))
    if len(counts) > 1:
        others = sorted(set(counts) - {currency})
        log.warning(
            "QuickBooks invoices of one deal are in several currencies; totals cover %s only, leaving out %s",
            currency,
            ", ".join(f"{counts[c]} in {c}" for c in others),
        )
    mine = sorted((inv for inv in invoices if currency_of(inv) == currency), key=lambda inv: id_key(inv.get("Id")))
    invoiced = sum((amount(inv.get("TotalAmt")) for inv in mine), Decimal("0.00"))
    outstanding = sum((amount(inv.get("Balance")) for inv in mine), Decimal("0.00"))
    overdue_invoices = [
        inv
        for inv in mine
        if amount(inv.get("Balance")) > 0
        and inv.get("DueDate")
        and date.fromisoformat(str(inv["DueDate"])[:10]) < today
    ]
    overdue = sum((amount(inv.get("Balance")) for inv in overdue_invoices), Decimal("0.00"))
    oldest = min((date.fromisoformat(str(inv["DueDate"])[:10]) for inv in overdue_invoices), default=None)
    ids = {str(inv["Id"]) for inv in mine}
    newest_mine = max(mine, key=lambda inv: (str(inv.get("TxnDate") or ""), id_key(inv.get("Id"))))
    return Money(
        currency=currency,
        invoiced=invoiced,
        paid=invoiced - outstanding,
        outstanding=outstanding,
        overdue=overdue,
        invoice_count=len(mine),
        overdue_count=len(overdue_invoices),
        oldest_overdue_due=oldest,
        last_payment=last_payment(payments, ids),
        customer_name=(newest_mine.get("CustomerRef") or {}).get("name"),
        invoice_ids=tuple(str(inv["Id"]) for inv in mine),
        url=web_link(mine, app_url),
        mixed_currencies=len(counts) > 1,
    )


def web_link(invoices: Sequence[dict], app_url: str | None) -> str | None:
    """The sole invoice, else the sole customer, in the QuickBooks web app."""
    if not app_url or not invoices:
        return None
    if len(invoices) == 1:
        return f"{app_url}/invoice?txnId={invoices[0]['Id']}"
    customers = {str((inv.get("CustomerRef") or {}).get("value") or "") for inv in invoices}
    return f"{app_url}/customerdetail?nameId={customers.pop()}" if len(customers) == 1 and "" not in customers else None


def last_payment(payments: Sequence[dict], invoice_ids: set[str]) -> PaymentInfo | None:
    """The newest payment applied to `invoice_ids`, with only the amount applied to them."""
    best: tuple[tuple, PaymentInfo] | None = None
    for payment in payments:
        applied = sum(
            (
                amount(line.get("Amount"))
                for line in payment.get("Line") or ()
                if any(i in invoice_ids for i in linked(line, "Invoice"))
            ),
            Decimal("0.00"),
        )
        if applied <= 0 or not payment.get("TxnDate"):
            continue
        on = date.fromisoformat(str(payment["TxnDate"])[:10])
        created = str((payment.get("MetaData") or {}).get("CreateTime") or "")
        rank = (on, created, id_key(payment.get("Id")))
        if best is None or rank > best[0]:
            best = (rank, PaymentInfo(id=str(payment["Id"]), on=on, amount=applied))
    return best[1] if best else None


def applied_amounts(payment: dict) -> dict[str, Decimal]:
    """Invoice id -> amount this payment applied to it (Line[].Amount of lines linking the invoice)."""
    out: dict[str, Decimal] = {}
    for line in payment.get("Line") or ():
        for invoice_id in dict.fromkeys(linked(line, "Invoice")):
            out[invoice_id] = out.get(invoice_id, Decimal("0.00")) + amount(line.get("Amount"))
    return out


def applications(payment: dict, invoices: Sequence[dict], field_name: str) -> list[PaymentApplication]:
    """One PaymentApplication per invoice of a deal that `payment` paid into (invoices without a deal: skipped)."""
    applied = applied_amounts(payment)
    raw_date = payment.get("TxnDate") or (payment.get("MetaData") or {}).get("CreateTime")
    if not raw_date:
        log.warning("QuickBooks payment %s has no TxnDate; ignored", payment.get("Id"))
        return []
    paid_on = date.fromisoformat(str(raw_date)[:10])
    recorded = _moment((payment.get("MetaData") or {}).get("CreateTime"))
    out = []
    for invoice in sorted(invoices, key=lambda inv: id_key(inv.get("Id"))):
        deal_id, invoice_id = deal_of(invoice, field_name), str(invoice["Id"])
        if deal_id is None or invoice_id not in applied:
            continue
        due = invoice.get("DueDate")
        out.append(
            PaymentApplication(
                payment_id=str(payment["Id"]),
                deal_id=deal_id,
                invoice_id=invoice_id,
                doc_number=str(invoice["DocNumber"]) if invoice.get("DocNumber") else None,
                amount=applied[invoice_id],
                invoice_total=amount(invoice.get("TotalAmt")),
                balance=amount(invoice.get("Balance")),
                due_on=date.fromisoformat(str(due)[:10]) if due else None,
                paid_on=paid_on,
                currency=currency_of(invoice),
                customer_name=(invoice.get("CustomerRef") or {}).get("name")
                or (payment.get("CustomerRef") or {}).get("name"),
                recorded_at=recorded,
            )
        )
    return out


def _moment(value: Any) -> datetime | None:
    """A QBO timestamp ("2026-11-25T10:00:00-08:00") as an aware datetime; None if absent or unreadable."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)
