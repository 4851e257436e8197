"""The account's records: customers, invoices and payments (`transaction`), and the links
between them (`NextTransactionLineLink`), seeded with the same money as the QuickBooks emulator."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from sandbox.book import Account, filler_invoices

INVOICE, PAYMENT = "CustInvc", "CustPymt"
CURRENCIES: dict[str, tuple[int, str]] = {  # ISO code (currency.symbol) -> (internal id, name)
    "USD": (1, "US Dollar"),
    "EUR": (2, "Euro"),
    "GBP": (3, "British pound"),
    "CAD": (4, "Canadian Dollar"),
}
# status letter -> BUILTIN.DF label, per transaction type (*unconfirmed* beyond Open / Paid In Full)
STATUS_LABELS = {
    (INVOICE, "A"): "Invoice : Open",
    (INVOICE, "B"): "Invoice : Paid In Full",
    (PAYMENT, "C"): "Payment : Deposited",
}
OTHER_FIELD = "custbody_po_number"  # another custom body field, so the deal field is one of several


@dataclass
class Txn:
    """One `transaction` row: an invoice or a customer payment."""

    id: int
    type: str
    tranid: str
    trandate: date
    duedate: date | None
    total: Decimal
    unpaid: Decimal | None  # invoices only
    entity: int
    currency: int
    modified: datetime  # aware, whole seconds
    custom: dict[str, str] = field(default_factory=dict)
    lines: tuple[tuple[str, Decimal], ...] = ()
    memo: str | None = None

    @property
    def status(self) -> str:
        """The status letter: invoices Open (A) or Paid In Full (B); payments Deposited (C)."""
        if self.type == PAYMENT:
            return "C"
        return "A" if (self.unpaid or 0) > 0 else "B"


@dataclass
class Link:
    """One `NextTransactionLineLink` row: payment `nextdoc` paid `amount` into invoice `previousdoc`."""

    previousdoc: int
    nextdoc: int
    amount: Decimal
    modified: datetime
    linktype: str = "Payment"  # *unconfirmed*: the value NetSuite uses for invoice -> payment links


@dataclass
class LatePayment:
    """A payment already stamped but not yet visible to queries (see Ledger.add_payment)."""

    payment_id: int
    applied: list[tuple[int, Decimal]]
    on: date
    stamp: datetime


class Ledger:
    """Every record of one NetSuite account, in memory."""

    def __init__(self, deal_field: str, tz: timezone, clock: Callable[[], datetime]) -> None:
        self.deal_field = deal_field
        self.tz = tz
        self.clock = clock
        self.customers: dict[int, str] = {}
        self.txns: dict[int, Txn] = {}
        self.links: list[Link] = []
        self.late: dict[int, LatePayment] = {}
        self._next_txn = 1000
        self._customer_ids: dict[str, int] = {}

    # -- seeding --------------------------------------------------------------------------

    def seed(self, accounts: Sequence[Account], today: date, fillers: int) -> None:
        """The book's invoices and payments (the QuickBooks emulator's money), plus filler invoices."""
        entries: list[tuple[str, str | None, Any]] = []
        for account in accounts:
            entries += [(account.qbo_customer or account.company, account.deal_id, inv) for inv in account.invoices]
        entries += [(customer, None, inv) for customer, inv in filler_invoices(fillers)]
        entries.sort(key=lambda e: -e[2].days_ago)
        payments = []
        for customer, deal, inv in entries:
            txn = today - timedelta(days=inv.days_ago)
            iid = self.make_invoice(customer, deal, inv.lines, txn, inv.terms_days, inv.currency, inv.doc, self.at(txn))
            payments += [(days, iid, amount) for days, amount in inv.payments]
        for days, iid, amount in sorted(payments, key=lambda p: -p[0]):
            on = today - timedelta(days=days)
            self.apply_payment(self.reserve_id(), [(iid, amount)], on, self.at(on))

    def at(self, day: date) -> datetime:
        """10:00 in the account's time zone on `day`: when seeded records were entered."""
        return datetime.combine(day, dtime(10, 0), tzinfo=self.tz)

    def reserve_id(self) -> int:
        """The next internal id of a transaction (one sequence for every transaction type)."""
        self._next_txn += 1
        return self._next_txn

    def _customer(self, name: str) -> int:
        if name not in self._customer_ids:
            cid = 100 + len(self.customers) + 1
            self.customers[cid] = name
            self._customer_ids[name] = cid
        return self._customer_ids[name]

    # -- changes --------------------------------------------------------------------------

    def make_invoice(
        self,
        customer: str,
        deal: str | None,
        lines: Sequence[tuple[str, Decimal]],
        txn: date,
        terms: int,
        currency: str,
        doc: str | None,
        at: datetime,
    ) -> int:
        """A new open invoice; its internal id."""
        iid = self.reserve_id()
        total = sum((Decimal(a) for _, a in lines), Decimal("0"))
        custom = {OTHER_FIELD: f"PO-{4400 + iid}"} if iid % 3 == 0 else {}
        if deal:  # NetSuite keeps no empty strings: an empty field is null
            custom[self.deal_field] = deal
        self.txns[iid] = Txn(
            iid,
            INVOICE,
            doc or f"INV{iid}",
            txn,
            txn + timedelta(days=terms),
            total,
            total,
            self._customer(customer),
            CURRENCIES[currency][0],
            _whole(at),
            custom,
            tuple((d, Decimal(a)) for d, a in lines),
        )
        return iid

    def invoice(self, invoice_id: int) -> Txn:
        """The invoice with this internal id (KeyError otherwise)."""
        txn = self.txns[invoice_id]
        if txn.type != INVOICE:
            raise KeyError(invoice_id)
        return txn

    def check_payment(self, applied: Sequence[tuple[int, Decimal]]) -> None:
        """Raise ValueError unless every amount fits its invoice's open balance."""
        for iid, amount in applied:
            inv = self.invoice(iid)
            if amount <= 0 or amount > (inv.unpaid or 0):
                raise ValueError(f"payment of {amount} does not fit invoice {iid} (unpaid {inv.unpaid})")

    def apply_payment(self, pid: int, applied: Sequence[tuple[int, Decimal]], on: date, at: datetime) -> None:
        """Record payment `pid`: its row, one link per invoice, and the invoices' lower balances."""
        self.check_payment(applied)
        first = self.invoice(applied[0][0])
        stamp = _whole(at)
        total = sum((a for _, a in applied), Decimal("0"))
        self.txns[pid] = Txn(pid, PAYMENT, f"PYMT{pid}", on, None, total, None, first.entity, first.currency, stamp)
        for iid, amount in applied:
            inv = self.invoice(iid)
            inv.unpaid = (inv.unpaid or Decimal("0")) - amount
            inv.modified = max(inv.modified, stamp)
            self.links.append(Link(iid, pid, amount, stamp))

    def hold_payment(self, applied: Sequence[tuple[int, Decimal]], on: date, stamp: datetime) -> int:
        """A payment stamped `stamp` that queries see only after `publish_late()`; its id."""
        self.check_payment(applied)
        pid = self.reserve_id()
        self.late[pid] = LatePayment(pid, list(applied), on, stamp)
        return pid

    def publish_late(self) -> list[int]:
        """Make every held payment visible, with the (older) stamps it was given; their ids."""
        released = sorted(self.late)
        for pid in released:
            late = self.late.pop(pid)
            self.apply_payment(pid, late.applied, late.on, late.stamp)
        return released

    def set_field(self, invoice_id: int, name: str, value: str | None) -> None:
        """Set (or clear, with None or '') a custom body field; moves lastmodifieddate."""
        inv = self.invoice(invoice_id)
        if value:
            inv.custom[name] = value
        else:
            inv.custom.pop(name, None)
        inv.modified = _whole(self.clock())

    # -- rows for SuiteQL -----------------------------------------------------------------

    def currency_rows(self) -> list[dict[str, Any]]:
        """The `currency` table: id, symbol (the ISO code), name."""
        return [{"id": cid, "symbol": code, "name": name} for code, (cid, name) in CURRENCIES.items()]

    def currency_name(self, currency_id: int) -> str:
        """What BUILTIN.DF(currency) shows: the currency record's name, not its ISO code."""
        return next(name for cid, name in CURRENCIES.values() if cid == currency_id)

    def currency_code(self, currency_id: int) -> str:
        """The ISO code of a currency id."""
        return next(code for code, (cid, _) in CURRENCIES.items() if cid == currency_id)


def _whole(at: datetime) -> datetime:
    """NetSuite keeps lastmodifieddate to the second."""
    return at.replace(microsecond=0)
