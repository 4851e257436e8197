"""The tables SuiteQL reads (`transaction`, `NextTransactionLineLink`, `currency`) and how a
parsed query runs over them, with NetSuite's output traps: a bare date in the account's date
format, a null column left out of the item, amounts as floats with binary noise."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from datetime import time as dtime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from sandbox.netsuite.ledger import INVOICE, STATUS_LABELS, Ledger
from sandbox.netsuite.suiteql import TO_DATE_FORMATS, Cond, Item, Query, Ref, SuiteQLError, Value

BASE_COLUMNS: dict[str, dict[str, str]] = {  # table -> column -> kind
    "transaction": {
        "id": "int",
        "tranid": "text",
        "type": "text",
        "trandate": "date",
        "duedate": "date",
        "foreigntotal": "amount",
        "foreignamountunpaid": "amount",
        "foreignamountpaid": "amount",
        "status": "text",
        "entity": "int",
        "currency": "int",
        "lastmodifieddate": "datetime",
        "memo": "text",
    },
    "nexttransactionlinelink": {
        "previousdoc": "int",
        "nextdoc": "int",
        "linktype": "text",
        "foreignamount": "amount",
        "lastmodifieddate": "datetime",
    },
    "currency": {"id": "int", "symbol": "text", "name": "text"},
}
# Columns BUILTIN.DF resolves to a display name (list/record references).
REFERENCES = {
    ("transaction", "entity"),
    ("transaction", "currency"),
    ("transaction", "status"),
    ("nexttransactionlinelink", "previousdoc"),
    ("nexttransactionlinelink", "nextdoc"),
}
# The role permission a table needs; without it NetSuite answers "Record 'x' was not found".
TABLE_PERMISSIONS = {
    "transaction": "Find Transaction",
    "nexttransactionlinelink": "Find Transaction",
    "currency": "Currency",
}
Row = dict[str, Any]  # column -> raw value, plus "df:column" -> display name


@dataclass
class Output:
    """How values are written: the account's date format and time zone."""

    tz: timezone
    date_format: str = "%m/%d/%Y"  # the account's date preference (11/25/2026)


class Catalog:
    """The tables of one account, as rows built from the ledger on each query."""

    def __init__(self, ledger: Ledger, custom_fields: Sequence[str], allowed: Callable[[str], bool]) -> None:
        self.ledger = ledger
        self.custom_fields = tuple(custom_fields)
        self.allowed = allowed  # permission name -> does the role have it

    def columns(self, table: str) -> dict[str, str]:
        """Column kinds of `table`; SuiteQLError when the role cannot see it (or it does not exist)."""
        if table not in BASE_COLUMNS or not self.allowed(TABLE_PERMISSIONS[table]):
            raise SuiteQLError(f"Record '{table}' was not found.")
        extra = dict.fromkeys(self.custom_fields, "text") if table == "transaction" else {}
        return BASE_COLUMNS[table] | extra

    def rows(self, table: str) -> list[Row]:
        """Every visible row of `table`."""
        if table == "currency":
            return self.ledger.currency_rows()
        if table == "transaction":
            return [self._txn_row(t) for t in self.ledger.txns.values()]
        txns = self.ledger.txns
        return [
            {
                "previousdoc": link.previousdoc,
                "nextdoc": link.nextdoc,
                "linktype": link.linktype,
                "foreignamount": link.amount,
                "lastmodifieddate": link.modified,
                "df:previousdoc": f"Invoice #{txns[link.previousdoc].tranid}",
                "df:nextdoc": f"Payment #{txns[link.nextdoc].tranid}",
            }
            for link in self.ledger.links
        ]

    def _txn_row(self, t: Any) -> Row:
        row: Row = {
            "id": t.id,
            "tranid": t.tranid,
            "type": t.type,
            "trandate": t.trandate,
            "duedate": t.duedate,
            "foreigntotal": t.total,
            "foreignamountunpaid": t.unpaid,
            "foreignamountpaid": t.total - t.unpaid if t.type == INVOICE and t.unpaid is not None else None,
            "status": t.status,
            "entity": t.entity,
            "currency": t.currency,
            "lastmodifieddate": t.modified,
            "memo": t.memo,
            "df:entity": self.ledger.customers[t.entity],
            "df:currency": self.ledger.currency_name(t.currency),
            "df:status": STATUS_LABELS[(t.type, t.status)],
        }
        for name in self.custom_fields:
            row[name] = t.custom.get(name)
        return row


def run(q: Query, catalog: Catalog, out: Output, offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """Execute `q`: (total matching rows, the rendered rows of the page)."""
    kinds = {s.alias: catalog.columns(s.table) for s in q.sources}
    if len(kinds) != len(q.sources):
        raise SuiteQLError("ORA-00918: column ambiguously defined")
    tables = {s.alias: s.table for s in q.sources}
    resolve = _resolver(kinds, tables)
    joined = _join(q, catalog, resolve)
    for cond in q.where:
        alias, column = resolve(cond.ref)
        test = _condition(cond, kinds[alias][column], out)
        joined = [r for r in joined if test(r[alias].get(column))]
    counts = [item for item in q.items if item.kind == "count"]
    if counts:
        if len(q.items) > 1:
            raise SuiteQLError("ORA-00937: not a single-group group function")
        return 1, [{"links": [], counts[0].name or "expr1": len(joined)}]
    for ref, desc in reversed(q.order):  # stable sorts, last key first
        alias, column = resolve(ref)
        joined.sort(key=partial(_sort_key, alias, column), reverse=desc)
    page = joined[offset : offset + limit]
    return len(joined), [_render(q.items, row, resolve, kinds, tables, out) for row in page]


def _sort_key(alias: str, column: str, row: dict[str, Row]) -> tuple[bool, Any]:
    """Oracle's default: nulls last ascending, first descending."""
    value = row[alias].get(column)
    return (value is None, value if value is not None else 0)


def _resolver(kinds: dict[str, dict[str, str]], tables: dict[str, str]) -> Callable[[Ref], tuple[str, str]]:
    def resolve(ref: Ref) -> tuple[str, str]:
        if ref.alias is not None:
            if ref.alias not in kinds:
                raise SuiteQLError(
                    f"Unknown identifier '{ref.alias}.{ref.column}'. "
                    f"Available identifiers are: {{{', '.join(f'{a}={t}' for a, t in tables.items())}}}."
                )
            if ref.column not in kinds[ref.alias]:
                raise SuiteQLError(f"Field '{ref.column}' for record '{tables[ref.alias]}' was not found.")
            return ref.alias, ref.column
        owners = [alias for alias, cols in kinds.items() if ref.column in cols]
        if len(owners) != 1:
            raise SuiteQLError(
                "ORA-00918: column ambiguously defined" if owners else f"Unknown identifier '{ref.column}'."
            )
        return owners[0], ref.column

    return resolve


def _join(q: Query, catalog: Catalog, resolve: Callable[[Ref], tuple[str, str]]) -> list[dict[str, Row]]:
    first = q.sources[0]
    rows = [{first.alias: r} for r in catalog.rows(first.table)]
    if q.join_on is None:
        return rows
    second = q.sources[1]
    (la, lc), (ra, rc) = resolve(q.join_on[0]), resolve(q.join_on[1])
    if {la, ra} != {first.alias, second.alias}:
        raise SuiteQLError("Invalid or unsupported search. The join condition must compare the two tables.")
    if la == second.alias:
        (la, lc), (ra, rc) = (ra, rc), (la, lc)
    index: dict[Any, list[Row]] = {}
    for r in catalog.rows(second.table):
        index.setdefault(r.get(rc), []).append(r)
    return [
        {**row, second.alias: other}
        for row in rows
        for other in index.get(row[la].get(lc), ())
        if row[la].get(lc) is not None
    ]


def _condition(cond: Cond, kind: str, out: Output) -> Callable[[Any], bool]:
    if cond.op == "IS NULL":
        return lambda v: v is None
    if cond.op == "IS NOT NULL":
        return lambda v: v is not None
    if cond.op == "IN" and kind not in ("int", "text"):
        raise SuiteQLError("Invalid or unsupported search. IN lists compare ids and text only.")
    if cond.op == ">=" and kind == "text":
        raise SuiteQLError("Invalid or unsupported search. >= compares numbers and dates only.")
    wanted = [_literal(v, kind, out) for v in cond.values]
    as_compared: Callable[[Any], Any] = (lambda v: _day_start(v, out.tz)) if kind == "date" else (lambda v: v)
    if cond.op == ">=":
        return lambda v: v is not None and as_compared(v) >= wanted[0]
    return lambda v: v is not None and as_compared(v) in wanted


def _literal(value: Value, kind: str, out: Output) -> Any:
    """A literal as the column's type, the way Oracle converts it (or refuses to)."""
    if kind in ("date", "datetime"):
        if value.kind != "date":  # a bare string converts with the account's format: '2026-11-25' does not
            raise SuiteQLError("ORA-01861: literal does not match format string")
        try:
            return datetime.strptime(value.text, TO_DATE_FORMATS[value.fmt or ""]).replace(tzinfo=out.tz)
        except ValueError:
            raise SuiteQLError("ORA-01861: literal does not match format string") from None
    if value.kind == "date":
        raise SuiteQLError("ORA-00932: inconsistent datatypes: expected NUMBER got DATE")
    if kind == "text":
        if value.kind != "str":
            raise SuiteQLError("Invalid or unsupported search. Compare text columns with quoted text.")
        return value.text
    try:
        number = Decimal(value.text)
    except InvalidOperation:
        raise SuiteQLError("ORA-01722: invalid number") from None
    return int(number) if kind == "int" and number == int(number) else number


def _day_start(day: date, tz: timezone) -> datetime:
    return datetime.combine(day, dtime(0, 0), tzinfo=tz)


def _render(
    items: list[Item],
    row: dict[str, Row],
    resolve: Callable[[Ref], tuple[str, str]],
    kinds: dict[str, dict[str, str]],
    tables: dict[str, str],
    out: Output,
) -> dict[str, Any]:
    item_out: dict[str, Any] = {"links": []}
    unnamed = 0
    for item in items:
        assert item.ref is not None
        alias, column = resolve(item.ref)
        kind, raw = kinds[alias][column], row[alias].get(column)
        if item.kind == "col":
            key = item.name or column
            value = _plain(raw, kind, out, row[alias])
        else:
            unnamed += item.name is None
            key = item.name or f"expr{unnamed}"  # *unconfirmed*: NetSuite's key for an unnamed expression
            value = _function(item, raw, kind, out, row[alias], (tables[alias], column))
        if value is not None:  # NetSuite leaves null columns out of the item
            item_out[key] = value
    return item_out


def _plain(raw: Any, kind: str, out: Output, row: Row) -> Any:
    if raw is None:
        return None
    if kind == "int":
        return str(raw)  # *unconfirmed*: ids may come back as JSON numbers too
    if kind == "amount":
        return noisy(raw, int(row.get("id") or row.get("nextdoc") or 0))
    if kind == "date":
        return raw.strftime(out.date_format)
    if kind == "datetime":  # a bare datetime shows only its date, in the account's format (*unconfirmed*)
        return raw.astimezone(out.tz).strftime(out.date_format)
    return raw


def _function(item: Item, raw: Any, kind: str, out: Output, row: Row, where: tuple[str, str]) -> Any:
    if item.kind == "df":
        if where not in REFERENCES:
            raise SuiteQLError(
                f"Invalid or unsupported search. BUILTIN.DF needs a list or record field, not '{where[1]}'."
            )
        return row.get(f"df:{where[1]}") if raw is not None else None
    if kind not in ("date", "datetime"):
        raise SuiteQLError(f"ORA-01722: invalid number (TO_CHAR of '{where[1]}' with a date format)")
    if raw is None:
        return None
    moment = _day_start(raw, out.tz) if kind == "date" else raw.astimezone(out.tz)
    return moment.strftime("%Y-%m-%d" if item.fmt == "YYYY-MM-DD" else "%Y-%m-%dT%H:%M:%S")


def noisy(value: Decimal, salt: int) -> float:
    """An amount as NetSuite writes it: a float one ulp off the cents (10136.970000000001)."""
    as_float = float(value)
    if as_float == 0:
        return 0.0
    return math.nextafter(as_float, math.inf if salt % 2 else -math.inf)
