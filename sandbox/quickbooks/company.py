"""The emulated QBO company: customers, invoices and payments seeded from the book, its clock, and the
control methods tests use to change it as someone working in QuickBooks would."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from sandbox.book import Account, filler_invoices
from sandbox.quickbooks import fields
from sandbox.quickbooks.fields import CustomFieldMode
from sandbox.quickbooks.query import PACIFIC
from sandbox.quickbooks.updates import Update, apply_update, check_target
from sandbox.quickbooks.webhooks import QuickBooksWebhooks

CURRENCY_NAMES = {"USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound Sterling"}


def stamp(dt: datetime) -> str:
    """QBO's MetaData format: seconds and the company's UTC offset."""
    return dt.astimezone(PACIFIC).replace(microsecond=0).isoformat()


class QuickBooksCompany(QuickBooksWebhooks):
    """Mixin for QuickBooksEmulator: the company's objects, seeded by `_open_company`."""

    today: date
    edited_before_next_updates: int

    def _open_company(self, accounts: Sequence[Account], fillers: int, custom_fields: CustomFieldMode) -> None:
        # QuickBooks' clock is the real one; a sandbox set on another day runs from noon of that day.
        self._anchor = (
            datetime.now(PACIFIC)
            if self.today == date.today()
            else datetime.combine(self.today, dtime(12, 0), tzinfo=PACIFIC)
        )
        self._started = time.monotonic()
        self.clock_offset = timedelta()
        self._custom_fields = fields.check_mode(custom_fields)
        self.customers: dict[str, dict] = {}
        self._customer_ids: dict[str, str] = {}  # DisplayName -> Id
        self.invoices: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self.deleted: list[tuple[str, str, str]] = []  # (entity, id, LastUpdatedTime)
        self.webhook_changes: list[tuple[str, str, str]] = []  # changes made through the control methods
        self._next = 0
        self._seed(accounts, fillers)

    # -- clock, ids and the custom-field switch ---------------------------------------------

    def now(self) -> datetime:
        """The company's clock: real time on the real date, else noon of `today` (Pacific) plus the time elapsed."""
        return self._anchor + timedelta(seconds=time.monotonic() - self._started) + self.clock_offset

    def _id(self) -> str:
        self._next += 1
        return str(self._next)

    @property
    def custom_fields(self) -> CustomFieldMode:
        """How the company defines the deal field: "legacy" string field or "enhanced" (newer) field."""
        return self._custom_fields

    @custom_fields.setter
    def custom_fields(self, mode: CustomFieldMode) -> None:
        self._custom_fields = fields.check_mode(mode)
        for inv in self.invoices.values():  # the deal values stay; only the field that holds them changes
            if any(f["DefinitionId"] in fields.DEAL_IDS for f in inv["CustomField"]):
                inv["CustomField"] = fields.with_deal(
                    inv["CustomField"], mode, fields.deal_value(inv["CustomField"]) or ""
                )

    # -- seeding --------------------------------------------------------------------------

    def _seed(self, accounts: Sequence[Account], fillers: int) -> None:
        entries: list[tuple[str, str | None, Any]] = []
        for account in accounts:
            entries += [(account.qbo_customer or account.company, account.deal_id, inv) for inv in account.invoices]
        for n, (customer, inv) in enumerate(filler_invoices(fillers)):
            entries.append((customer, None if n % 2 else "", inv))  # no deal field, or an empty one
        entries.sort(key=lambda e: -e[2].days_ago)
        payments = []
        for customer, deal, inv in entries:
            txn = self.today - timedelta(days=inv.days_ago)
            at = datetime.combine(txn, dtime(10, 0), tzinfo=PACIFIC)
            iid = self._make_invoice(customer, deal, inv.lines, txn, inv.terms_days, inv.currency, inv.doc, at)
            payments += [(days, iid, amount) for days, amount in inv.payments]
        for days, iid, amount in sorted(payments, key=lambda p: -p[0]):
            on = self.today - timedelta(days=days)
            self._make_payment([(iid, amount)], on, datetime.combine(on, dtime(10, 0), tzinfo=PACIFIC))

    def _customer(self, name: str, currency: str, at: datetime) -> dict:
        if name in self._customer_ids:
            return self.customers[self._customer_ids[name]]
        cid = str(len(self.customers) + 1)
        self.customers[cid] = {
            "Id": cid,
            "SyncToken": "0",
            "domain": "QBO",
            "DisplayName": name,
            "CompanyName": name,
            "Active": True,
            "Balance": Decimal("0"),
            "CurrencyRef": {"value": currency, "name": CURRENCY_NAMES.get(currency, currency)},
            "MetaData": {"CreateTime": stamp(at), "LastUpdatedTime": stamp(at)},
        }
        self._customer_ids[name] = cid
        return self.customers[cid]

    def _make_invoice(
        self,
        customer: str,
        deal: str | None,
        lines: Sequence[tuple[str, Decimal]],
        txn: date,
        terms: int,
        currency: str,
        doc: str | None,
        at: datetime,
    ) -> str:
        cust = self._customer(customer, currency, at)
        iid = self._id()
        total = sum((Decimal(a) for _, a in lines), Decimal("0"))
        custom = []
        if int(iid) % 3 == 0:  # another custom field, listed first: the deal field must be found by name
            custom.append(fields.entry(fields.PO_NUMBER, f"PO-{4400 + int(iid)}"))
        custom = fields.with_deal(custom, self.custom_fields, deal)
        line_json: list[dict] = [
            {
                "Id": str(n),
                "LineNum": n,
                "Description": desc,
                "Amount": Decimal(amt),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "1", "name": "Services"},
                    "Qty": 1,
                    "UnitPrice": Decimal(amt),
                },
            }
            for n, (desc, amt) in enumerate(lines, 1)
        ]
        line_json.append({"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
        self.invoices[iid] = {
            "Id": iid,
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "DocNumber": doc or str(1000 + int(iid)),
            "TxnDate": txn.isoformat(),
            "DueDate": (txn + timedelta(days=terms)).isoformat(),
            "TotalAmt": total,
            "Balance": total,
            "CustomerRef": {"value": cust["Id"], "name": cust["DisplayName"]},
            "CurrencyRef": {"value": currency, "name": CURRENCY_NAMES.get(currency, currency)},
            "ExchangeRate": 1,
            "CustomField": custom,
            "Line": line_json,
            "LinkedTxn": [],
            "EmailStatus": "EmailSent",
            "MetaData": {"CreateTime": stamp(at), "LastUpdatedTime": stamp(at)},
        }
        return iid

    def _make_payment(self, applied: Sequence[tuple[str, Decimal]], on: date, at: datetime) -> str:
        invoices = [self.invoices[iid] for iid, _ in applied]
        for inv, (_, amount) in zip(invoices, applied):
            if Decimal(amount) <= 0 or Decimal(amount) > inv["Balance"]:
                raise ValueError(f"payment of {amount} does not fit invoice {inv['Id']} (balance {inv['Balance']})")
        pid = self._id()
        total = sum((Decimal(a) for _, a in applied), Decimal("0"))
        self.payments[pid] = {
            "Id": pid,
            "SyncToken": "0",
            "domain": "QBO",
            "TxnDate": on.isoformat(),
            "TotalAmt": total,
            "UnappliedAmt": Decimal("0"),
            "CustomerRef": dict(invoices[0]["CustomerRef"]),
            "CurrencyRef": dict(invoices[0]["CurrencyRef"]),
            "Line": [{"Amount": Decimal(a), "LinkedTxn": [{"TxnId": iid, "TxnType": "Invoice"}]} for iid, a in applied],
            "MetaData": {"CreateTime": stamp(at), "LastUpdatedTime": stamp(at)},
        }
        for inv, (_, amount) in zip(invoices, applied):
            inv["Balance"] -= Decimal(amount)
            inv["LinkedTxn"].append({"TxnId": pid, "TxnType": "Payment"})
            self._touch(inv, at)
        return pid

    @staticmethod
    def _touch(obj: dict, at: datetime) -> None:
        obj["SyncToken"] = str(int(obj["SyncToken"]) + 1)
        obj["MetaData"]["LastUpdatedTime"] = stamp(at)

    # -- what the API reads and writes ------------------------------------------------------

    def _rows(self, entity: str, *, include_enhanced: bool = False) -> list[dict]:
        if entity == "Customer":
            balances: dict[str, Decimal] = {}
            for inv in self.invoices.values():
                cid = inv["CustomerRef"]["value"]
                balances[cid] = balances.get(cid, Decimal("0")) + inv["Balance"]
            for c in self.customers.values():
                c["Balance"] = balances.get(c["Id"], Decimal("0"))
        if entity == "Preferences":
            return [self._preferences()]
        rows = list({"Invoice": self.invoices, "Payment": self.payments, "Customer": self.customers}[entity].values())
        if entity == "Invoice" and self.custom_fields == "enhanced" and not include_enhanced:
            return [self._invoice_view(inv, include_enhanced=False) for inv in rows]
        return rows

    @staticmethod
    def _invoice_view(inv: dict, *, include_enhanced: bool) -> dict:
        return inv | {"CustomField": fields.visible(inv["CustomField"], include_enhanced=include_enhanced)}

    def _preferences(self) -> dict:
        at = stamp(self._anchor - timedelta(days=400))
        return {
            "Id": "1",
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "SalesFormsPrefs": {
                "CustomField": fields.preferences_custom_fields(self.custom_fields),
                "CustomTxnNumbers": True,
                "AllowDeposit": False,
                "AllowDiscount": True,
                "AllowEstimates": True,
                "AllowShipping": False,
                "DefaultTerms": {"value": "3"},
                "ETransactionEnabledStatus": "NotApplicable",
            },
            "CurrencyPrefs": {"MultiCurrencyEnabled": True, "HomeCurrency": {"value": "USD"}},
            "MetaData": {"CreateTime": at, "LastUpdatedTime": at},
        }

    def _update_invoice(self, update: Update, *, include_enhanced: bool) -> dict:
        """Apply an API update (Refusal if QBO would refuse it); the invoice as the response shows it."""
        if self.edited_before_next_updates > 0 and update.invoice_id in self.invoices:
            self.edited_before_next_updates -= 1  # someone saved it in QuickBooks a moment before this update
            self.edit_invoice_elsewhere(update.invoice_id)
        inv = check_target(update, self.invoices.get(update.invoice_id or ""))
        apply_update(inv, update, mode=self.custom_fields, include_enhanced=include_enhanced)
        self._touch(inv, self.now())
        self.record_change("Invoice", inv["Id"], "Update")
        return self._invoice_view(inv, include_enhanced=include_enhanced)

    # -- control interface (tests) --------------------------------------------------------

    def add_payment(
        self,
        invoice_id: str,
        amount: Decimal | str,
        on: date | None = None,
        *,
        also: Sequence[tuple[str, Decimal | str]] = (),
    ) -> str:
        """Receive a payment applied to `invoice_id` (and the `also` invoices); its Id."""
        pid = self._make_payment(
            [(invoice_id, Decimal(amount)), *[(i, Decimal(a)) for i, a in also]], on or self.today, self.now()
        )
        self.record_change("Payment", pid, "Create")  # webhooks: see pending_webhook_delivery
        for iid in (invoice_id, *[i for i, _ in also]):
            self.record_change("Invoice", iid, "Update")
        return pid

    def add_invoice(
        self,
        customer: str,
        deal_id: str | None,
        amount: Decimal | str,
        *,
        days_ago: int = 0,
        terms_days: int = 30,
        currency: str = "USD",
        doc: str | None = None,
    ) -> str:
        """Create an invoice (deal field set unless `deal_id` is None); its Id."""
        txn = self.today - timedelta(days=days_ago)
        return self._make_invoice(
            customer, deal_id, (("Services", Decimal(amount)),), txn, terms_days, currency, doc, self.now()
        )

    def set_deal(self, invoice_id: str, deal_id: str | None) -> None:
        """Change (or clear) an invoice's deal field, in the company's kind of custom field."""
        inv = self.invoices[invoice_id]
        inv["CustomField"] = fields.with_deal(inv["CustomField"], self.custom_fields, deal_id)
        self._touch(inv, self.now())

    def deal_of(self, invoice_id: str) -> str | None:
        """The deal ID stored on the invoice, whichever kind of custom field holds it."""
        return fields.deal_value(self.invoices[invoice_id]["CustomField"])

    def edit_invoice_elsewhere(self, invoice_id: str) -> None:
        """Someone saves the invoice in QuickBooks: SyncToken +1, so an update with the old token gets 5010."""
        self._touch(self.invoices[invoice_id], self.now())
        self.record_change("Invoice", invoice_id, "Update")

    def delete_invoice(self, invoice_id: str) -> None:
        """Delete an invoice; CDC reports it with status Deleted."""
        del self.invoices[invoice_id]
        self.deleted.append(("Invoice", invoice_id, stamp(self.now())))
        self.record_change("Invoice", invoice_id, "Delete")  # webhooks: see pending_webhook_delivery

    def delete_payment(self, payment_id: str) -> None:
        """Delete a payment: its invoices owe the amounts again; CDC reports it with status Deleted."""
        payment = self.payments.pop(payment_id)
        at = self.now()
        for line in payment["Line"]:
            for link in line["LinkedTxn"]:
                inv = self.invoices.get(link["TxnId"]) if link["TxnType"] == "Invoice" else None
                if inv is None:
                    continue
                inv["Balance"] += Decimal(line["Amount"])
                inv["LinkedTxn"] = [t for t in inv["LinkedTxn"] if t != {"TxnId": payment_id, "TxnType": "Payment"}]
                self._touch(inv, at)
                self.record_change("Invoice", inv["Id"], "Update")
        self.deleted.append(("Payment", payment_id, stamp(at)))
        self.record_change("Payment", payment_id, "Delete")

    def find_invoice(self, doc: str) -> str:
        """The Id of the invoice with DocNumber `doc`."""
        return next(i for i, inv in self.invoices.items() if inv["DocNumber"] == doc)
