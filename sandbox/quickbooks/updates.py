"""Invoice updates (`POST /v3/company/{realm}/invoice`): sparse and full, checked in QBO's order.

QBO first deserialises the body (unknown properties, malformed dates, enums and custom fields are
2010/2170 faults), then wants Id and SyncToken (2020), the object (610) and the current SyncToken
(5010 Stale Object Error), then applies the change. `sparse: true` changes only the properties
sent; without it the update is full: writable properties left out are emptied, and Line and
CustomerRef must be sent. Read-only properties (TotalAmt, Balance, MetaData, ...) are ignored.
The sandbox models the header fields and custom fields; a change to Line or CustomerRef is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.quickbooks import faults
from sandbox.quickbooks.fields import CustomFieldMode, requested_values, written

READ_ONLY = frozenset(
    {
        "Id",
        "SyncToken",
        "sparse",
        "domain",
        "MetaData",
        "TotalAmt",
        "Balance",
        "HomeBalance",
        "HomeTotalAmt",
        "LinkedTxn",
        "InvoiceLink",
        "TxnTaxDetail",
        "CurrencyRef",
        "ExchangeRate",
        "EInvoiceStatus",
        "TxnSource",
        "Deposit",
        "RecurDataRef",
    }
)
DATES = ("TxnDate", "DueDate", "ShipDate")
KEEP_WHEN_EMPTY = frozenset({"TxnDate", "DueDate"})  # an empty or missing TxnDate/DueDate leaves it (unconfirmed)
ENUMS = {
    "EmailStatus": ("NotSet", "NeedToSend", "EmailSent"),
    "PrintStatus": ("NotSet", "NeedToPrint", "PrintComplete"),
    "GlobalTaxCalculation": ("TaxExcluded", "TaxInclusive", "NotApplicable"),
}
BOOLEANS = (
    "AllowIPNPayment",
    "AllowOnlinePayment",
    "AllowOnlineCreditCardPayment",
    "AllowOnlineACHPayment",
    "ApplyTaxAfterDiscount",
    "FreeFormAddress",
)
LENGTHS = {"DocNumber": 21, "PrivateNote": 4000, "TrackingNum": 31}
STRINGS = tuple(LENGTHS)
OBJECTS = (
    "CustomerMemo",
    "BillEmail",
    "BillEmailCc",
    "BillEmailBcc",
    "BillAddr",
    "ShipAddr",
    "ShipMethodRef",
    "SalesTermRef",
    "ClassRef",
    "DepartmentRef",
    "DepositToAccountRef",
    "TaxExemptionRef",
    "ProjectRef",
    "DeliveryInfo",
)
STORED = frozenset((*DATES, *ENUMS, *BOOLEANS, *STRINGS, *OBJECTS, "TransactionLocationType"))
KNOWN = READ_ONLY | STORED | {"Line", "CustomerRef", "CustomField"}


@dataclass
class Update:
    """A deserialised invoice update."""

    invoice_id: str | None
    sync_token: str | None
    sparse: bool
    stored: dict[str, Any] = field(default_factory=dict)  # STORED properties sent, normalised
    custom: dict[str, str | None] | None = None  # DefinitionId -> value, when CustomField was sent
    lines: Any = None
    customer: Any = None
    sent: frozenset[str] = frozenset()


def parse_update(body: Any) -> Update:
    """Deserialise the body as QBO does; Refusal for what it cannot read."""
    if not isinstance(body, dict):
        raise faults.unparseable()
    for key in body:
        if key not in KNOWN:
            raise faults.unrecognized(key)
    sparse = body.get("sparse", False)
    if not isinstance(sparse, bool):
        raise faults.bad_value("sparse", sparse, "java.lang.Boolean")
    update = Update(
        _text(body.get("Id")),
        _text(body.get("SyncToken")),
        sparse,
        sent=frozenset(body),
        lines=body.get("Line"),
        customer=body.get("CustomerRef"),
    )
    for key in sorted(STORED & set(body)):
        update.stored[key] = _normalise(key, body[key])
    if "CustomField" in body:
        update.custom = requested_values(body["CustomField"])
    return update


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _normalise(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in DATES:
        if value == "":
            return None
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise faults.bad_value(key, value, "java.util.Date") from None
    if key in ENUMS and value not in ENUMS[key]:
        raise faults.bad_enum(key, value)
    if key in BOOLEANS:
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise faults.bad_value(key, value, "java.lang.Boolean")
    if key in LENGTHS:
        if not isinstance(value, (str, int)):
            raise faults.bad_value(key, value, "java.lang.String")
        if len(str(value)) > LENGTHS[key]:
            raise faults.too_long(key, LENGTHS[key], len(str(value)))
        return str(value)
    if key in OBJECTS and not isinstance(value, dict):
        raise faults.bad_value(key, value, f"com.intuit.schema.finance.v3.{key}")
    return value


def check_target(update: Update, invoice: dict | None) -> dict:
    """The invoice the update is for, or the fault QBO answers first (missing Id/SyncToken, 610, 5010)."""
    if update.invoice_id is None:  # without an Id the POST is a create
        for name in ("Line", "CustomerRef"):
            if name not in update.sent:
                raise faults.required(name)
        raise faults.not_modelled("creating invoices")
    if update.sync_token is None:
        raise faults.required("SyncToken")
    if invoice is None:
        raise faults.not_found()
    if update.sync_token != invoice["SyncToken"]:
        raise faults.stale()
    return invoice


def apply_update(invoice: dict, update: Update, *, mode: CustomFieldMode, include_enhanced: bool) -> None:
    """Write the update onto the stored invoice (checked whole first: nothing changes on a refusal)."""
    full = not update.sparse
    for name in ("Line", "CustomerRef"):
        if full and name not in update.sent:
            raise faults.required(name)
    if "Line" in update.sent:
        _check_lines(invoice, update.lines)
    if "CustomerRef" in update.sent and (
        not isinstance(update.customer, dict) or str(update.customer.get("value")) != invoice["CustomerRef"]["value"]
    ):
        raise faults.not_modelled("changing an invoice's CustomerRef")
    custom = invoice["CustomField"]
    if update.custom is not None or full:
        custom = written(custom, update.custom or {}, mode=mode, include_enhanced=include_enhanced, full=full)
    for key in sorted(STORED):
        value = update.stored.get(key)
        if key not in update.sent and not full:
            continue
        if value is None and key in KEEP_WHEN_EMPTY:
            continue
        if value is None:
            invoice.pop(key, None)
        else:
            invoice[key] = value
    invoice["CustomField"] = custom


def _check_lines(invoice: dict, lines: Any) -> None:
    if not isinstance(lines, list):
        raise faults.bad_value("Line", lines, "java.util.ArrayList")
    if not lines:
        raise faults.required("Line")
    if _sales_lines(lines) != _sales_lines(invoice["Line"]):
        raise faults.not_modelled("adding, removing or changing invoice lines")


def _sales_lines(lines: list) -> list[tuple[str, Decimal]] | None:
    try:
        return [
            (str(line.get("Id")), Decimal(str(line.get("Amount"))))
            for line in lines
            if line.get("DetailType") == "SalesItemLineDetail"
        ]
    except (AttributeError, InvalidOperation):
        return None
