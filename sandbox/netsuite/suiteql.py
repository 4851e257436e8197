"""The SuiteQL subset the emulator understands: exactly what connectors.netsuite sends.

    SELECT item [, item]* FROM table [alias] [JOIN table [alias] ON ref = ref]
      [WHERE cond [AND cond]*] [ORDER BY ref [ASC|DESC] [, ...]*]
    item  := (ref | TO_CHAR(ref, 'fmt') | BUILTIN.DF(ref) | COUNT(*)) [AS name]
    cond  := ref = value | ref >= value | ref IN (value, ...) | ref IS [NOT] NULL
    value := 'text' | number | TO_DATE('text', 'fmt')

Anything else (OR, parentheses, other functions and operators, GROUP BY, sub-queries...)
is refused with NetSuite's 400 INVALID_PARAMETER, as an unsupported query would be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TO_CHAR_FORMATS = ("YYYY-MM-DD", 'YYYY-MM-DD"T"HH24:MI:SS')
TO_DATE_FORMATS = {"YYYY-MM-DD": "%Y-%m-%d", "YYYY-MM-DD HH24:MI:SS": "%Y-%m-%d %H:%M:%S"}
IN_LIST_MAX = 1000  # Oracle's ORA-01795
_TOKEN = re.compile(
    r"\s*(?:('(?:[^']|'')*')|(\d+(?:\.\d+)?)(?![\w.])|(>=|<=|<>|!=|=|<|>|\(|\)|,|\*|;)"
    r"|([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*))"
)
_KEYWORDS = {
    "SELECT",
    "FROM",
    "JOIN",
    "INNER",
    "ON",
    "WHERE",
    "AND",
    "OR",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "AS",
    "IN",
    "IS",
    "NOT",
    "NULL",
    "GROUP",
    "HAVING",
    "UNION",
    "LEFT",
    "RIGHT",
    "OUTER",
    "FETCH",
    "LIKE",
}


class SuiteQLError(Exception):
    """A query NetSuite would refuse; `detail` follows "Search error occurred: "."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Ref:
    """A column, `alias.column` or bare."""

    alias: str | None
    column: str


@dataclass(frozen=True)
class Item:
    """One SELECT item: kind is col, to_char, df or count."""

    kind: str
    ref: Ref | None
    fmt: str | None = None
    name: str | None = None  # the AS alias, lowercased


@dataclass(frozen=True)
class Value:
    """A literal: kind str, num or date (TO_DATE text and its format)."""

    kind: str
    text: str
    fmt: str | None = None


@dataclass(frozen=True)
class Cond:
    """One condition of the WHERE conjunction."""

    ref: Ref
    op: str  # =, >=, IN, IS NULL, IS NOT NULL
    values: tuple[Value, ...] = ()


@dataclass(frozen=True)
class Source:
    """A table in FROM or JOIN, with its alias (the table name when none is given)."""

    table: str
    alias: str


@dataclass
class Query:
    """A parsed query."""

    items: list[Item]
    sources: list[Source]
    join_on: tuple[Ref, Ref] | None = None
    where: list[Cond] = field(default_factory=list)
    order: list[tuple[Ref, bool]] = field(default_factory=list)  # (ref, descending)


def tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: str, num, op, word."""
    tokens, pos, text = [], 0, text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise SuiteQLError(f"Invalid or unsupported search. Unexpected character at position {pos + 1}.")
        s, n, op, w = match.groups()
        tokens.append(
            ("str", s[1:-1].replace("''", "'"))
            if s is not None
            else ("num", n)
            if n
            else ("op", op)
            if op
            else ("word", w)
        )
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, kind: str | None = None, value: str | None = None) -> bool:
        if self.i >= len(self.tokens):
            return False
        k, v = self.tokens[self.i]
        return (kind is None or k == kind) and (value is None or v.upper() == value)

    def take(self, kind: str | None = None, value: str | None = None, what: str = "") -> str:
        if not self.peek(kind, value):
            got = self.tokens[self.i][1] if self.i < len(self.tokens) else "end of query"
            raise SuiteQLError(f"Invalid or unsupported search. Expected {what or value} but found '{got}'.")
        self.i += 1
        return self.tokens[self.i - 1][1]

    def name(self, what: str) -> str:
        word = self.take("word", what=what)
        if word.upper() in _KEYWORDS:
            raise SuiteQLError(f"Invalid or unsupported search. Expected {what} but found '{word}'.")
        return word

    def ref(self) -> Ref:
        word = self.name("a column")
        parts = word.lower().split(".")
        if len(parts) > 2:
            raise SuiteQLError(f"Invalid or unsupported search. Unknown identifier '{word}'.")
        return Ref(parts[0], parts[1]) if len(parts) == 2 else Ref(None, parts[0])

    def item(self) -> Item:
        if self.peek("word", "TO_CHAR"):
            self.take()
            self.take("op", "(")
            ref = self.ref()
            self.take("op", ",")
            fmt = self.take("str", what="a format")
            self.take("op", ")")
            if fmt not in TO_CHAR_FORMATS:
                raise SuiteQLError(f"Invalid or unsupported search. Unsupported TO_CHAR format '{fmt}'.")
            item = Item("to_char", ref, fmt)
        elif self.peek("word", "BUILTIN.DF"):
            self.take()
            self.take("op", "(")
            item = Item("df", self.ref())
            self.take("op", ")")
        elif self.peek("word", "COUNT"):
            self.take()
            self.take("op", "(")
            self.take("op", "*")
            self.take("op", ")")
            item = Item("count", None)
        elif self.peek("word") and self.i + 1 < len(self.tokens) and self.tokens[self.i + 1] == ("op", "("):
            raise SuiteQLError(f"Invalid or unsupported search. Unsupported function '{self.tokens[self.i][1]}'.")
        else:
            item = Item("col", self.ref())
        if self.peek("word", "AS"):
            self.take()
            return Item(item.kind, item.ref, item.fmt, self.name("a column alias").lower())
        return item

    def source(self) -> Source:
        table = self.name("a table")
        alias = table
        if self.peek("word") and self.tokens[self.i][1].upper() not in _KEYWORDS:
            alias = self.name("an alias")
        if "." in table or "." in alias:
            raise SuiteQLError(f"Invalid or unsupported search. Unknown identifier '{table}'.")
        return Source(table.lower(), alias.lower())

    def value(self) -> Value:
        if self.peek("str"):
            return Value("str", self.take())
        if self.peek("num"):
            return Value("num", self.take())
        if self.peek("word", "TO_DATE"):
            self.take()
            self.take("op", "(")
            text = self.take("str", what="a date")
            self.take("op", ",")
            fmt = self.take("str", what="a format")
            self.take("op", ")")
            if fmt not in TO_DATE_FORMATS:
                raise SuiteQLError(f"Invalid or unsupported search. Unsupported TO_DATE format '{fmt}'.")
            return Value("date", text, fmt)
        return Value("str", self.take("str", what="a value"))

    def cond(self) -> Cond:
        ref = self.ref()
        if self.peek("word", "IS"):
            self.take()
            negate = self.peek("word", "NOT")
            if negate:
                self.take()
            self.take("word", "NULL")
            return Cond(ref, "IS NOT NULL" if negate else "IS NULL")
        if self.peek("word", "IN"):
            self.take()
            self.take("op", "(")
            values = [self.value()]
            while self.peek("op", ","):
                self.take()
                values.append(self.value())
            self.take("op", ")")
            if len(values) > IN_LIST_MAX:
                raise SuiteQLError("ORA-01795: maximum number of expressions in a list is 1000")
            return Cond(ref, "IN", tuple(values))
        op = self.take("op", what="an operator")
        if op not in ("=", ">="):
            raise SuiteQLError(f"Invalid or unsupported search. Unsupported operator '{op}'.")
        return Cond(ref, op, (self.value(),))

    def query(self) -> Query:
        self.take("word", "SELECT")
        items = [self.item()]
        while self.peek("op", ","):
            self.take()
            items.append(self.item())
        self.take("word", "FROM")
        q = Query(items, [self.source()])
        if self.peek("word", "INNER") or self.peek("word", "JOIN"):
            if self.take().upper() == "INNER":
                self.take("word", "JOIN")
            q.sources.append(self.source())
            self.take("word", "ON")
            left = self.ref()
            self.take("op", "=")
            q.join_on = (left, self.ref())
        if self.peek("word", "WHERE"):
            self.take()
            q.where.append(self.cond())
            while self.peek("word", "AND"):
                self.take()
                q.where.append(self.cond())
        if self.peek("word", "ORDER"):
            self.take()
            self.take("word", "BY")
            q.order.append(self.order_item())
            while self.peek("op", ","):
                self.take()
                q.order.append(self.order_item())
        if self.i < len(self.tokens):
            raise SuiteQLError(f"Invalid or unsupported search. Unexpected '{self.tokens[self.i][1]}'.")
        return q

    def order_item(self) -> tuple[Ref, bool]:
        ref = self.ref()
        desc = self.peek("word", "DESC")
        if desc or self.peek("word", "ASC"):
            self.take()
        return ref, desc


def parse(text: str) -> Query:
    """Parse one query of the subset; SuiteQLError for anything else."""
    if not text or not text.strip():
        raise SuiteQLError("Invalid or unsupported search. The query is empty.")
    return _Parser(text).query()
