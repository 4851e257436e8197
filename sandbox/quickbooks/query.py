"""QBO's SQL-like query grammar: SELECT * | COUNT(*) | fields FROM entity WHERE ... (no OR, no joins)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

PACIFIC = timezone(timedelta(hours=-8))  # the company's time zone, as QBO stamps MetaData
ENTITIES = ("Invoice", "Payment", "Customer", "Preferences")
# Filterable (and sortable) fields per entity, with how their values compare.
FILTERABLE: dict[str, dict[str, str]] = {
    "Invoice": {
        "Id": "id",
        "CustomerRef": "id",
        "DocNumber": "str",
        "TxnDate": "date",
        "DueDate": "date",
        "Balance": "num",
        "TotalAmt": "num",
        "MetaData.CreateTime": "ts",
        "MetaData.LastUpdatedTime": "ts",
    },
    "Payment": {
        "Id": "id",
        "CustomerRef": "id",
        "TxnDate": "date",
        "TotalAmt": "num",
        "MetaData.CreateTime": "ts",
        "MetaData.LastUpdatedTime": "ts",
    },
    "Customer": {
        "Id": "id",
        "DisplayName": "str",
        "CompanyName": "str",
        "Active": "bool",
        "Balance": "num",
        "MetaData.CreateTime": "ts",
        "MetaData.LastUpdatedTime": "ts",
    },
    "Preferences": {"Id": "id", "MetaData.LastUpdatedTime": "ts"},  # one object per company
}
_TOKEN = re.compile(
    r"\s*(?:('(?:[^'\\]|\\.)*')|(-?\d+(?:\.\d+)?)(?![\w.])|(<=|>=|!=|<>|=|<|>|\(|\)|,|\*)"
    r"|([A-Za-z_][\w.]*))"
)


class QueryError(Exception):
    """A query QBO refuses; becomes a 400 ValidationFault."""

    def __init__(self, detail: str, code: str = "4000", message: str = "Error parsing query") -> None:
        super().__init__(detail)
        self.detail, self.code, self.message = detail, code, message


@dataclass
class Query:
    """A parsed query: SELECT what FROM entity WHERE conds ORDERBY STARTPOSITION MAXRESULTS."""

    entity: str
    count: bool
    fields: list[str] | None
    conds: list[tuple[str, str, Any]]
    order: tuple[str, bool] | None
    start: int = 1
    max: int = 100


def parse_query(text: str) -> Query:
    """Parse QBO's SQL-like grammar (no OR, no joins); raise QueryError like QBO does."""
    toks: list[tuple[str, str]] = []
    text = text.strip()
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise QueryError(f'QueryParserError: Encountered "{text[pos : pos + 12]}" at line 1, column {pos + 1}.')
        s, n, op, w = m.groups()
        toks.append(
            ("str", s[1:-1].replace("\\'", "'")) if s else ("num", n) if n else ("op", op) if op else ("word", w)
        )
        pos = m.end()
    i = 0

    def peek(kind: str | None = None, value: str | None = None) -> bool:
        if i >= len(toks):
            return False
        k, v = toks[i]
        return (kind is None or k == kind) and (value is None or v.upper() == value)

    def take(kind: str | None = None, value: str | None = None, what: str = "") -> str:
        nonlocal i
        if not peek(kind, value):
            got = toks[i][1] if i < len(toks) else "<EOF>"
            raise QueryError(f'QueryParserError: Encountered "{got}" at token {i + 1}; expected {what or value}.')
        i += 1
        return toks[i - 1][1]

    def field(entity: str) -> str:
        name = take("word", what="a property")
        for known in FILTERABLE[entity]:
            if known.lower() == name.lower():
                return known
        raise QueryError(f"QueryParserError: property '{name}' is not queryable for entity {entity}.")

    def literal() -> Any:
        if peek("str") or peek("num"):
            return take()
        if peek("word", "TRUE") or peek("word", "FALSE"):
            return take().lower()
        return take("str", what="a value")

    take("word", "SELECT")
    count, fields = False, None
    if peek("op", "*"):
        take()
    elif peek("word", "COUNT"):
        take()
        take("op", "(")
        take("op", "*")
        take("op", ")")
        count = True
    else:
        fields = [take("word", what="a property")]
        while peek("op", ","):
            take()
            fields.append(take("word", what="a property"))
    take("word", "FROM")
    name = take("word", what="an entity")
    entity = next((e for e in ENTITIES if e.lower() == name.lower()), None)
    if entity is None:
        raise QueryError(f"QueryParserError: Invalid entity '{name}'.", "4001", "Invalid query")
    q = Query(entity, count, fields, [], None)
    if peek("word", "WHERE"):
        take()
        while True:
            f = field(entity)
            if peek("word", "IN"):
                take()
                take("op", "(")
                values = [literal()]
                while peek("op", ","):
                    take()
                    values.append(literal())
                take("op", ")")
                q.conds.append((f, "IN", values))
            elif peek("word", "LIKE"):
                take()
                q.conds.append((f, "LIKE", take("str", what="a quoted pattern")))
            else:
                op = take("op", what="an operator")
                if op not in ("=", "<", ">", "<=", ">="):
                    raise QueryError(f"QueryParserError: operator '{op}' is not supported.")
                q.conds.append((f, op, literal()))
            if not peek("word", "AND"):
                break
            take()
    if peek("word", "ORDERBY") or peek("word", "ORDER"):
        if take().upper() == "ORDER":
            take("word", "BY")
        f = field(entity)
        desc = peek("word", "DESC")
        if desc or peek("word", "ASC"):
            take()
        q.order = (f, desc)
    while peek("word", "STARTPOSITION") or peek("word", "MAXRESULTS"):
        key = take().upper()
        value = int(take("num", what="a number").split(".")[0])
        if key == "STARTPOSITION":
            if value < 1:
                raise QueryError("QueryValidationError: STARTPOSITION must be 1 or more.", "4001", "Invalid query")
            q.start = value
        else:
            if not 1 <= value <= 1000:
                raise QueryError(
                    f"QueryValidationError: value {value} for MAXRESULTS exceeds the limit of 1000.",
                    "4001",
                    "Invalid query",
                )
            q.max = value
    if i < len(toks):
        raise QueryError(
            f'QueryParserError: Encountered "{toks[i][1]}" at token {i + 1}; '
            "only AND joins conditions (no OR, no joins)."
        )
    return q


def parse_ts(value: str) -> datetime:
    """A QBO timestamp (ISO, offset or Z, or a bare date) as an aware datetime."""
    dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=PACIFIC)


def _get(obj: dict, name: str) -> Any:
    if name == "CustomerRef":
        return (obj.get("CustomerRef") or {}).get("value")
    if "." in name:
        head, tail = name.split(".", 1)
        return (obj.get(head) or {}).get(tail)
    return obj.get(name)


def _key(kind: str, value: Any) -> Any:
    if value is None:
        return None
    try:
        if kind == "id":
            return (0, int(value), "") if str(value).isdigit() else (1, 0, str(value))
        if kind == "num":
            return Decimal(str(value))
        if kind == "ts":
            return parse_ts(value)
        if kind == "bool":
            return str(value).lower() == "true"
    except (ValueError, InvalidOperation):
        raise QueryError(f"QueryParserError: invalid value '{value}'.") from None
    return str(value)


_ID_ORDER: dict[tuple[str, bool, int], list[int]] = {}  # (entity, desc, hash of the Ids) -> row order by Id


def _order(rows: Sequence[dict], kind: str, name: str, desc: bool) -> list[int]:
    """Row positions sorted by the field (stable), rows without it last; each row's key computed once."""
    keyed: list[tuple[Any, int]] = []
    absent: list[int] = []
    for i, r in enumerate(rows):
        k = _key(kind, _get(r, name))
        if k is None:
            absent.append(i)
        else:
            keyed.append((k, i))
    keyed.sort(key=lambda pair: pair[0], reverse=desc)
    return [i for _, i in keyed] + absent


def check_columns(q: Query, rows: Sequence[dict]) -> None:
    """A column list names only properties the entity has (the dotted tail of MetaData.* aside)."""
    if q.fields is None:
        return
    known = {k.lower() for r in rows[:200] for k in r} | {f.split(".")[0].lower() for f in FILTERABLE[q.entity]}
    for name in q.fields:
        if rows and name.split(".")[0].lower() not in known:
            raise QueryError(f"QueryParserError: property '{name}' is not queryable for entity {q.entity}.")


def run_query(q: Query, rows: Sequence[dict]) -> dict:
    """Execute a parsed query over an entity's objects; the QueryResponse body."""
    check_columns(q, rows)
    kinds = FILTERABLE[q.entity]
    out = list(rows)
    for name, op, raw in q.conds:
        kind = kinds[name]
        if op == "LIKE":
            rx = re.compile(".*".join(re.escape(p) for p in str(raw).split("%")), re.I | re.S)
            out = [r for r in out if rx.fullmatch(str(_get(r, name) or ""))]
            continue
        wanted = [_key(kind, v) for v in raw] if op == "IN" else _key(kind, raw)
        test = {
            "IN": lambda a, w=wanted: a in w,
            "=": lambda a, w=wanted: a == w,
            "<": lambda a, w=wanted: a < w,
            ">": lambda a, w=wanted: a > w,
            "<=": lambda a, w=wanted: a <= w,
            ">=": lambda a, w=wanted: a >= w,
        }[op]
        out = [r for r in out if (k := _key(kind, _get(r, name))) is not None and test(k)]
    if q.count:
        return {"totalCount": len(out)}
    sort_name, desc = q.order or ("Id", False)
    if sort_name == "Id" and not q.conds:  # a full scan's pages: the order by Id is kept between pages
        ids = tuple(r.get("Id") for r in out)
        cache_key = (q.entity, desc, hash(ids))
        order = _ID_ORDER.get(cache_key)
        if order is None or len(order) != len(out):
            order = _order(out, kinds[sort_name], sort_name, desc)
            if len(_ID_ORDER) >= 8:
                _ID_ORDER.clear()
            _ID_ORDER[cache_key] = order
        out = [out[i] for i in order]
    else:
        out = [out[i] for i in _order(out, kinds[sort_name], sort_name, desc)]
    page = out[q.start - 1 : q.start - 1 + q.max]
    if q.fields is not None:
        wanted_fields = {f.split(".")[0].lower() for f in q.fields} | {"id"}
        page = [{k: v for k, v in r.items() if k.lower() in wanted_fields} | {"sparse": True} for r in page]
    if not page:
        return {}
    return {q.entity: page, "startPosition": q.start, "maxResults": len(page)}
