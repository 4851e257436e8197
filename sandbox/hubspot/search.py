"""CRM search as HubSpot does it: validation of the request, filters, text query, sort, paging.

Values compare by the property's type: numbers and dates as numbers, enumerations exactly
(case-sensitive), text case-insensitively. The limits are the current search reference's:
5 filter groups, 6 filters per group, 18 filters in all (the wording of the 400s is ours).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from sandbox.hubspot.data import SEARCHABLE, CrmObject

Kinds = Callable[[str], "str | None"]  # property name -> its type (string, number, date, ...)
MAX_GROUPS: Final = 5
MAX_GROUP_FILTERS: Final = 6
MAX_FILTERS: Final = 18
MAX_LIMIT: Final = 200
MAX_RESULTS: Final = 10_000
OPERATORS: Final = frozenset(
    {
        "EQ",
        "NEQ",
        "LT",
        "LTE",
        "GT",
        "GTE",
        "BETWEEN",
        "IN",
        "NOT_IN",
        "HAS_PROPERTY",
        "NOT_HAS_PROPERTY",
        "CONTAINS_TOKEN",
        "NOT_CONTAINS_TOKEN",
    }
)
TOKEN_RE: Final = re.compile(r"\w+")


class SearchError(ValueError):
    """A request HubSpot answers with 400 VALIDATION_ERROR."""


@dataclass(frozen=True)
class Filter:
    prop: str
    kind: str | None
    operator: str
    value: Any = None
    high: Any = None
    values: tuple = ()


@dataclass(frozen=True)
class SearchRequest:
    groups: tuple[tuple[Filter, ...], ...]
    query: str | None
    sort: tuple[str, bool] | None  # (property, descending)
    properties: tuple[str, ...] | None
    limit: int
    after: int
    kinds: Kinds


def parse(body: Any, kinds: Kinds) -> SearchRequest:
    """Validate a search body the way HubSpot does; SearchError says what is wrong."""
    if not isinstance(body, dict):
        raise SearchError("Invalid input JSON: expected an object")
    groups_raw = body.get("filterGroups") or []
    if not isinstance(groups_raw, list):
        raise SearchError("filterGroups must be a list")
    if len(groups_raw) > MAX_GROUPS:
        raise SearchError(f"Too many filter groups ({len(groups_raw)}); the maximum is {MAX_GROUPS}")
    groups = tuple(tuple(_filter(f, kinds) for f in (g or {}).get("filters") or []) for g in groups_raw)
    for n, group in enumerate(groups):
        if len(group) > MAX_GROUP_FILTERS:
            raise SearchError(
                f"Too many filters in filterGroups[{n}] ({len(group)}); "
                f"the maximum is {MAX_GROUP_FILTERS} per filter group"
            )
    if sum(len(g) for g in groups) > MAX_FILTERS:
        raise SearchError(f"Too many filters; the maximum is {MAX_FILTERS} across all filter groups")
    limit = _int(body.get("limit", 10), "limit")
    if limit > MAX_LIMIT or limit < 0:
        raise SearchError(f"limit must be between 0 and {MAX_LIMIT}, not {limit}")
    after = _int(body.get("after") or 0, "after")
    if after >= MAX_RESULTS or after < 0:
        raise SearchError(f"Paging beyond {MAX_RESULTS} results is not supported (after={after})")
    sorts = body.get("sorts") or []
    if not isinstance(sorts, list) or len(sorts) > 1:
        raise SearchError("Only one sort is supported")
    props = body.get("properties")
    if props is not None and (not isinstance(props, list) or not all(isinstance(p, str) for p in props)):
        raise SearchError("properties must be a list of property names")
    query = body.get("query")
    if query is not None and not isinstance(query, str):
        raise SearchError("query must be a string")
    return SearchRequest(
        groups,
        query or None,
        _sort(sorts[0]) if sorts else None,
        None if props is None else tuple(props),
        limit,
        after,
        kinds,
    )


def run(request: SearchRequest, objects: Iterable[CrmObject], type_: str) -> tuple[list[CrmObject], int, int | None]:
    """(page, total, next `after` or None) for the request over `objects`."""
    matches = [o for o in objects if _matches(request, o, type_)]
    if request.sort:
        prop, descending = request.sort
        present = [o for o in matches if o.properties.get(prop) not in (None, "")]
        missing = [o for o in matches if o.properties.get(prop) in (None, "")]
        kind = request.kinds(prop)
        present.sort(key=lambda o: _sort_key(kind, o.properties[prop] or ""), reverse=descending)
        matches = present + missing
    else:
        matches.sort(key=lambda o: int(o.id))
    end = request.after + request.limit
    page = matches[request.after : end]
    more = end < len(matches) and end < MAX_RESULTS
    return page, len(matches), end if more else None


def tokens(text: str) -> list[str]:
    """Lower-case word tokens, as the search index splits text."""
    return TOKEN_RE.findall(text.casefold())


def _filter(raw: Any, kinds: Kinds) -> Filter:
    if not isinstance(raw, dict) or not isinstance(raw.get("propertyName"), str):
        raise SearchError("Each filter needs a propertyName")
    op = raw.get("operator")
    if op not in OPERATORS:
        raise SearchError(f"Unknown filter operator {op!r}; expected one of {', '.join(sorted(OPERATORS))}")
    prop = raw["propertyName"]
    kind = kinds(prop)
    if op in ("IN", "NOT_IN"):
        values = raw.get("values")
        if not isinstance(values, list) or not values:
            raise SearchError(f"{op} on {prop} needs a non-empty values list")
        return Filter(prop, kind, op, values=tuple(_coerce(kind, prop, v) for v in values))
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        return Filter(prop, kind, op)
    if raw.get("value") is None:
        raise SearchError(f"{op} on {prop} needs a value")
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        patterns = re.findall(r"[\w*]+", str(raw["value"]).casefold())
        return Filter(prop, kind, op, value=tuple(_wildcard(p) for p in patterns))
    high = None
    if op == "BETWEEN":
        if raw.get("highValue") is None:
            raise SearchError(f"BETWEEN on {prop} needs a highValue")
        high = _coerce(kind, prop, raw["highValue"])
    return Filter(prop, kind, op, value=_coerce(kind, prop, raw["value"]), high=high)


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SearchError(f"{name} must be an integer, not {value!r}") from None


def _sort(raw: Any) -> tuple[str, bool]:
    if isinstance(raw, str) and raw:
        return (raw[1:], True) if raw.startswith("-") else (raw, False)
    if isinstance(raw, dict) and isinstance(raw.get("propertyName"), str):
        direction = raw.get("direction", "ASCENDING")
        if direction not in ("ASCENDING", "DESCENDING"):
            raise SearchError(f"Unknown sort direction {direction!r}")
        return raw["propertyName"], direction == "DESCENDING"
    raise SearchError("A sort is a property name or {propertyName, direction}")


def _coerce(kind: str | None, prop: str, raw: Any) -> float | str:
    """A filter value as the property's type compares it; SearchError when it cannot be."""
    try:
        if kind in ("date", "datetime"):
            return millis(str(raw))
        if kind == "number":
            return float(raw)
    except ValueError:
        raise SearchError(f"{raw!r} is not a valid value for {prop}") from None
    return str(raw) if kind in ("enumeration", "bool") else str(raw).casefold()


def millis(text: str) -> float:
    """Epoch milliseconds of a HubSpot timestamp: epoch ms, an ISO date or an ISO datetime."""
    if re.fullmatch(r"-?\d+", text):
        return float(text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        moment = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    else:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() * 1000


def _sort_key(kind: str | None, raw: str) -> tuple:
    try:
        value = _coerce(kind, "", raw)
    except SearchError:
        value = raw.casefold()
    return (0, value) if isinstance(value, float) else (1, value)


def _matches(request: SearchRequest, obj: CrmObject, type_: str) -> bool:
    if request.query and not _query_matches(request.query, obj, type_):
        return False
    if not request.groups:
        return True
    return any(all(_test(f, obj.properties.get(f.prop)) for f in group) for group in request.groups)


def _query_matches(query: str, obj: CrmObject, type_: str) -> bool:
    """Every query word is a prefix of some word in the default searchable properties."""
    words = [t for prop in SEARCHABLE.get(type_, ()) for t in tokens(obj.properties.get(prop) or "")]
    return all(any(w.startswith(q) for w in words) for q in tokens(query))


def _test(f: Filter, raw: str | None) -> bool:
    has = raw not in (None, "")
    if f.operator == "HAS_PROPERTY":
        return has
    if f.operator == "NOT_HAS_PROPERTY":
        return not has
    if f.operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        words = tokens(raw or "")
        found = has and all(any(p.fullmatch(w) for w in words) for p in f.value)
        return found if f.operator == "CONTAINS_TOKEN" else not found
    if not has:
        return f.operator in ("NEQ", "NOT_IN")
    try:
        value = _coerce(f.kind, f.prop, raw)
    except SearchError:
        return False
    compare: dict[str, Callable[[], bool]] = {
        "EQ": lambda: value == f.value,
        "NEQ": lambda: value != f.value,
        "LT": lambda: value < f.value,
        "LTE": lambda: value <= f.value,
        "GT": lambda: value > f.value,
        "GTE": lambda: value >= f.value,
        "BETWEEN": lambda: f.value <= value <= f.high,
        "IN": lambda: value in f.values,
        "NOT_IN": lambda: value not in f.values,
    }
    try:
        return compare[f.operator]()
    except TypeError:  # a number compared with text: no match, as HubSpot's index has it
        return False
