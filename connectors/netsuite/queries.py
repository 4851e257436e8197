"""The SuiteQL the connector sends, built from checked parts only (ids are digits, text is quoted).

Dates are asked as TO_CHAR(...) text: a bare date column comes back in the account's date
format (11/25/2026), a bare datetime without its time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from connectors.errors import ConfigError
from connectors.netsuite.auth import SYSTEM

DAY = "'YYYY-MM-DD'"
MOMENT = "'YYYY-MM-DD\"T\"HH24:MI:SS'"
_FIELD = re.compile(r"^custbody[a-z0-9_]+$")
INVOICE_COLUMNS = (
    "t.id, t.tranid, TO_CHAR(t.trandate, {day}) AS trandate, TO_CHAR(t.duedate, {day}) AS duedate, "
    "t.foreigntotal, t.foreignamountunpaid, t.currency, t.entity, BUILTIN.DF(t.entity) AS customer, "
    "t.{field} AS deal"
)
LINK_COLUMNS = f"p.id, TO_CHAR(p.trandate, {DAY}) AS trandate, l.previousdoc, l.foreignamount"
CURRENCIES = "SELECT c.id, c.symbol FROM currency c"


def check_field(name: str) -> str:
    """The deal field's script id (custbody_...), or ConfigError: it goes into the query text."""
    name = (name or "").strip()
    if not _FIELD.match(name):
        raise ConfigError(
            SYSTEM,
            f"NETSUITE_DEAL_FIELD {name!r} is not a transaction body field id "
            "(custbody followed by lowercase letters, digits or _)",
        )
    return name


def text(value: str) -> str:
    """A quoted SuiteQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def ids(values: Iterable[str]) -> str:
    """A comma-separated list of internal ids (ValueError for anything but digits)."""
    out = []
    for value in values:
        value = str(value).strip()
        if not value.isdigit():
            raise ValueError(f"{value!r} is not an internal id")
        out.append(value)
    return ", ".join(out)


def to_date(moment: str) -> str:
    """TO_DATE of `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS` text (read in the account's time zone)."""
    if "T" in moment:
        return f"TO_DATE({text(moment.replace('T', ' '))}, 'YYYY-MM-DD HH24:MI:SS')"
    return f"TO_DATE({text(moment)}, 'YYYY-MM-DD')"


def _invoices_where(field: str, condition: str) -> str:
    """The invoice columns of every invoice meeting `condition` (SuiteQL over `transaction t`), by id."""
    return (
        f"SELECT {INVOICE_COLUMNS.format(day=DAY, field=field)} FROM transaction t "
        f"WHERE t.type = 'CustInvc' AND {condition} ORDER BY t.id"
    )


def invoices_of_deals(field: str, deal_ids: Iterable[str]) -> str:
    """The invoices whose deal field is one of `deal_ids` (the custom field filters directly)."""
    return _invoices_where(field, f"t.{field} IN ({', '.join(text(d) for d in deal_ids)})")


def invoices_by_id(field: str, invoice_ids: Iterable[str]) -> str:
    """These invoices (whatever their deal field)."""
    return _invoices_where(field, f"t.id IN ({ids(invoice_ids)})")


def payments_into(invoice_ids: Iterable[str]) -> str:
    """What each payment applied to these invoices, and when it was received."""
    return (
        f"SELECT {LINK_COLUMNS} FROM transaction p JOIN NextTransactionLineLink l ON l.nextdoc = p.id "
        f"WHERE p.type = 'CustPymt' AND l.linktype = 'Payment' AND l.previousdoc IN ({ids(invoice_ids)}) "
        "ORDER BY p.id"
    )


def applications_of(payment_id: str) -> str:
    """What one payment applied to each invoice."""
    return (
        f"SELECT {LINK_COLUMNS} FROM transaction p JOIN NextTransactionLineLink l ON l.nextdoc = p.id "
        f"WHERE p.type = 'CustPymt' AND l.linktype = 'Payment' AND p.id = {ids([payment_id])} "
        "ORDER BY l.previousdoc"
    )


def applications_of_many(payment_ids: Iterable[str]) -> str:
    """What each of these payments applied to each invoice."""
    return (
        f"SELECT {LINK_COLUMNS} FROM transaction p JOIN NextTransactionLineLink l ON l.nextdoc = p.id "
        f"WHERE p.type = 'CustPymt' AND l.linktype = 'Payment' AND p.id IN ({ids(payment_ids)}) "
        "ORDER BY p.id"
    )


def linked_invoices(field: str) -> str:
    """Every invoice carrying a deal ID: (id, deal, lastmodifieddate) for the store's index."""
    return (
        f"SELECT t.id, t.{field} AS deal, TO_CHAR(t.lastmodifieddate, {MOMENT}) AS modified FROM transaction t "
        f"WHERE t.type = 'CustInvc' AND t.{field} IS NOT NULL ORDER BY t.id"
    )


def payments_changed(since: str | None) -> str:
    """Payments by lastmodifieddate (to the second, in NetSuite's zone), oldest first."""
    bound = f" AND t.lastmodifieddate >= {to_date(since)}" if since else ""
    return (
        f"SELECT t.id, TO_CHAR(t.lastmodifieddate, {MOMENT}) AS modified FROM transaction t "
        f"WHERE t.type = 'CustPymt'{bound} ORDER BY t.lastmodifieddate, t.id"
    )


def newest_payment() -> str:
    """The newest payment change first (read one row): NetSuite's own clock, in its own zone."""
    return (
        f"SELECT t.id, TO_CHAR(t.lastmodifieddate, {MOMENT}) AS modified FROM transaction t "
        "WHERE t.type = 'CustPymt' ORDER BY t.lastmodifieddate DESC, t.id DESC"
    )


def invoices_without_deal(field: str, since: date) -> str:
    """Invoices dated `since` or later with an empty deal field."""
    return _invoices_where(field, f"t.{field} IS NULL AND t.trandate >= {to_date(since.isoformat())}")


def linked_invoice_count(field: str) -> str:
    """How many invoices carry a deal ID at all."""
    return f"SELECT COUNT(*) AS invoices FROM transaction t WHERE t.type = 'CustInvc' AND t.{field} IS NOT NULL"


def invoices_since(field: str, since: date) -> str:
    """Invoices dated `since` or later, with or without a deal ID (link repair's window)."""
    return _invoices_where(field, f"t.trandate >= {to_date(since.isoformat())}")


def invoices_of_customers(field: str, customer_ids: Iterable[str]) -> str:
    """Every invoice of these customers (entity internal ids), whatever its date."""
    return _invoices_where(field, f"t.entity IN ({ids(customer_ids)})")


INVOICE_COUNT = "SELECT COUNT(*) AS invoices FROM transaction t WHERE t.type = 'CustInvc'"
