"""Pure functions over SuiteQL rows: typed invoices and payment links, a deal's Money, applications."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connectors.types import Money, PaymentApplication, PaymentInfo

log = logging.getLogger(__name__)
CENT = Decimal("0.01")


def amount(value: Any) -> Decimal:
    """A SuiteQL amount (a float with binary noise, e.g. 10136.970000000001) rounded to the cent."""
    return Decimal(str(value if value is not None else 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def day(value: Any) -> date | None:
    """A `TO_CHAR(..., 'YYYY-MM-DD')` value as a date (None when the column was null, so absent)."""
    return date.fromisoformat(str(value)) if value else None


@dataclass(frozen=True)
class InvoiceRow:
    """One invoice as the connector's queries select it."""

    id: str
    tranid: str | None
    trandate: date | None
    duedate: date | None
    total: Decimal
    unpaid: Decimal
    currency_id: str
    entity_id: str | None
    customer: str | None
    deal_id: str | None

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> InvoiceRow:
        """From a SuiteQL item (null columns are absent; ids may be strings or numbers)."""
        return cls(
            id=str(item["id"]),
            tranid=_text(item.get("tranid")),
            trandate=day(item.get("trandate")),
            duedate=day(item.get("duedate")),
            total=amount(item.get("foreigntotal")),
            unpaid=amount(item.get("foreignamountunpaid")),
            currency_id=str(item.get("currency") or ""),
            entity_id=_text(item.get("entity")),
            customer=_text(item.get("customer")),
            deal_id=_text(item.get("deal")),
        )


@dataclass(frozen=True)
class PaymentLink:
    """What one payment applied to one invoice (a NextTransactionLineLink joined to its payment)."""

    payment_id: str
    invoice_id: str
    amount: Decimal
    paid_on: date | None

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> PaymentLink:
        """From a SuiteQL item of queries.LINK_COLUMNS."""
        return cls(
            str(item["id"]), str(item["previousdoc"]), amount(item.get("foreignamount")), day(item.get("trandate"))
        )


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def id_key(value: str) -> tuple[int, str]:
    """Sort internal ids numerically."""
    return (int(value), "") if value.isdigit() else (1 << 62, value)


def summarise(
    invoices: Sequence[InvoiceRow],
    links: Sequence[PaymentLink],
    currencies: Mapping[str, str],
    *,
    today: date,
    app_url: str | None,
) -> Money | None:
    """A deal's totals, exact to the cent: invoiced = sum of foreigntotal, outstanding = sum of
    foreignamountunpaid, paid = the difference, overdue = open balance past the due date.

    Mixed currencies cannot be added up: the totals cover the dominant currency (most invoices;
    a tie goes to the newest invoice's), `mixed_currencies` is set and the others are left out.
    """
    if not invoices:
        return None
    code = {inv.id: currencies.get(inv.currency_id, inv.currency_id or "USD") for inv in invoices}
    newest = max(invoices, key=lambda inv: (inv.trandate or date.min, id_key(inv.id)))
    counts = Counter(code.values())
    currency = max(counts, key=lambda c: (counts[c], c == code[newest.id]))
    if len(counts) > 1:
        log.warning(
            "NetSuite invoices of one deal are in several currencies; totals cover %s only, leaving out %s",
            currency,
            ", ".join(f"{counts[c]} in {c}" for c in sorted(set(counts) - {currency})),
        )
    mine = sorted((inv for inv in invoices if code[inv.id] == currency), key=lambda inv: id_key(inv.id))
    invoiced = sum((inv.total for inv in mine), Decimal("0.00"))
    outstanding = sum((inv.unpaid for inv in mine), Decimal("0.00"))
    late = [inv for inv in mine if inv.unpaid > 0 and inv.duedate is not None and inv.duedate < today]
    newest_mine = max(mine, key=lambda inv: (inv.trandate or date.min, id_key(inv.id)))
    return Money(
        currency=currency,
        invoiced=invoiced,
        paid=invoiced - outstanding,
        outstanding=outstanding,
        overdue=sum((inv.unpaid for inv in late), Decimal("0.00")),
        invoice_count=len(mine),
        overdue_count=len(late),
        oldest_overdue_due=min((inv.duedate for inv in late if inv.duedate), default=None),
        last_payment=last_payment(links, {inv.id for inv in mine}),
        customer_name=newest_mine.customer,
        invoice_ids=tuple(inv.id for inv in mine),
        url=web_link(mine, app_url),
        mixed_currencies=len(counts) > 1,
    )


def last_payment(links: Sequence[PaymentLink], invoice_ids: set[str]) -> PaymentInfo | None:
    """The newest payment into `invoice_ids`, with only the amount it applied to them."""
    applied: dict[str, Decimal] = {}
    received: dict[str, date] = {}
    for link in links:
        if link.invoice_id in invoice_ids and link.paid_on is not None:
            applied[link.payment_id] = applied.get(link.payment_id, Decimal("0.00")) + link.amount
            received[link.payment_id] = link.paid_on
    paying = [pid for pid, total in applied.items() if total > 0]
    if not paying:
        return None
    newest = max(paying, key=lambda pid: (received[pid], id_key(pid)))
    return PaymentInfo(id=newest, on=received[newest], amount=applied[newest])


def web_link(invoices: Sequence[InvoiceRow], app_url: str | None) -> str | None:
    """The sole invoice, else the sole customer, in the NetSuite UI."""
    if not app_url or not invoices:
        return None
    if len(invoices) == 1:
        return f"{app_url}/app/accounting/transactions/custinvc.nl?id={invoices[0].id}"
    customers = {inv.entity_id for inv in invoices}
    if len(customers) == 1 and None not in customers:
        return f"{app_url}/app/common/entity/custjob.nl?id={customers.pop()}"
    return None


def applications(
    links: Sequence[PaymentLink], invoices: Sequence[InvoiceRow], currencies: Mapping[str, str]
) -> list[PaymentApplication]:
    """One PaymentApplication per invoice with a deal ID that the payment paid into."""
    by_id = {inv.id: inv for inv in invoices}
    applied: dict[str, Decimal] = {}
    for link in links:
        applied[link.invoice_id] = applied.get(link.invoice_id, Decimal("0.00")) + link.amount
    out = []
    for invoice_id in sorted(applied, key=id_key):
        inv = by_id.get(invoice_id)
        paid_on = next((link.paid_on for link in links if link.paid_on), None)
        if inv is None or inv.deal_id is None or paid_on is None:
            continue
        out.append(
            PaymentApplication(
                payment_id=links[0].payment_id,
                deal_id=inv.deal_id,
                invoice_id=inv.id,
                doc_number=inv.tranid,
                amount=applied[invoice_id],
                invoice_total=inv.total,
                balance=inv.unpaid,
                due_on=inv.duedate,
                paid_on=paid_on,
                currency=currencies.get(inv.currency_id, inv.currency_id or "USD"),
                customer_name=inv.customer,
            )
        )
    return out
