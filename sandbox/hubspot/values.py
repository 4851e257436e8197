"""Property values as HubSpot checks and stores them on create and update.

One bad value fails the whole request with 400 VALIDATION_ERROR. The body is HubSpot's
(seen in real answers): `message` "Property values were not valid: [...]" holding a compact
JSON array of {isValid, message, error, name, ...}, plus `errors[]` {message, code,
context.propertyName}. Confirmed error codes: PROPERTY_DOESNT_EXIST, INVALID_OPTION,
INVALID_DATE ("... UTC, not midnight!"), LEADING_TRAILING_WHITESPACE (non-string values,
since 2025). *Unconfirmed*, chosen here: READ_ONLY_VALUE's wording, INVALID_FLOAT for a
number that is not one, INVALID_DATE for an unreadable datetime, INVALID_OWNER_ID.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from sandbox.book import PORTAL_ID
from sandbox.hubspot.data import iso
from sandbox.hubspot.schema import PropertyDef, Schema

DAY_MS: Final = 86_400_000
ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Invalid:
    """Why one property value was refused."""

    name: str
    error: str
    message: str


def invalid_body(problems: list[Invalid]) -> tuple[str, dict[str, Any]]:
    """(message, extra fields) of HubSpot's 400 for refused property values."""
    detail = json.dumps(
        [
            {
                "isValid": False,
                "message": p.message,
                "error": p.error,
                "name": p.name,
                "localizedErrorMessage": p.message,
                "portalId": int(PORTAL_ID),
            }
            for p in problems
        ],
        separators=(",", ":"),
    )
    errors = [{"message": p.message, "code": p.error, "context": {"propertyName": [p.name]}} for p in problems]
    return f"Property values were not valid: {detail}", {"errors": errors}


def as_text(value: Any) -> str | None:
    """A JSON property value as HubSpot stores it: a string, None for empty (clears the property)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def normalize(
    schema: Schema, type_: str, raw: Mapping[str, Any], owners: Container[str]
) -> tuple[dict[str, str | None], list[Invalid]]:
    """(stored values, problems) for properties sent on a create or an update."""
    values: dict[str, str | None] = {}
    problems: list[Invalid] = []
    for name, value in raw.items():
        prop = schema.get(type_, str(name))
        if prop is None:
            problems.append(Invalid(str(name), "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
            continue
        if prop.read_only:
            problems.append(
                Invalid(
                    prop.name, "READ_ONLY_VALUE", f'"{prop.name}" is a read only property; its value cannot be set.'
                )
            )
            continue
        text = as_text(value)
        problem = None if text is None else check(prop, text, owners)
        if problem:
            problems.append(problem)
        else:
            values[prop.name] = None if text is None else stored(prop, text)
    return values, problems


def check(prop: PropertyDef, text: str, owners: Container[str]) -> Invalid | None:
    """Why `text` is not a valid value of `prop`, or None."""

    def bad(error: str, message: str) -> Invalid:
        return Invalid(prop.name, error, message)

    if prop.type != "string" and text != text.strip():
        return bad("LEADING_TRAILING_WHITESPACE", f'"{text}" includes leading or trailing whitespace.')
    checks: dict[str, Callable[[], Invalid | None]] = {
        "number": lambda: None if _number(text) else bad("INVALID_FLOAT", f"{text} was not a valid number."),
        "date": lambda: _date_problem(prop, text),
        "datetime": lambda: None if _moment(text) else bad("INVALID_DATE", f"{text} was not a valid datetime."),
        "enumeration": lambda: _option_problem(prop, text, owners),
        "bool": lambda: (
            None
            if text in ("true", "false")
            else bad("INVALID_OPTION", f"{text} was not one of the allowed options: [true, false]")
        ),
    }
    return checks.get(prop.type, lambda: None)()


def stored(prop: PropertyDef, text: str) -> str:
    """A valid value as HubSpot returns it: dates `YYYY-MM-DD`, datetimes ISO with milliseconds and `Z`."""
    if prop.type == "date":
        return _day(text).isoformat()  # type: ignore[union-attr]
    if prop.type == "datetime":
        return iso(_moment(text))  # type: ignore[arg-type]
    return text


def _number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def _moment(text: str) -> datetime | None:
    """A datetime value: epoch milliseconds, an ISO date (midnight UTC) or an ISO datetime."""
    try:
        if re.fullmatch(r"-?\d+", text):
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        if ISO_DATE.fullmatch(text):
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(text: str) -> date | None:
    moment = _moment(text)
    return moment.date() if moment and _millis(moment) % DAY_MS == 0 else None


def _millis(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _date_problem(prop: PropertyDef, text: str) -> Invalid | None:
    """A date must be `YYYY-MM-DD` or epoch ms (or ISO) at midnight UTC."""
    moment = _moment(text)
    if moment is None:
        return Invalid(prop.name, "INVALID_DATE", f"{text} was not a valid date.")
    ms = _millis(moment)
    if ms % DAY_MS == 0:
        return None
    rest = ms % DAY_MS
    clock = f"{rest // 3_600_000}:{rest // 60_000 % 60}:{rest // 1000 % 60}.{rest % 1000}"
    return Invalid(prop.name, "INVALID_DATE", f"{ms} is at {clock} UTC, not midnight!")


def _option_problem(prop: PropertyDef, text: str, owners: Container[str]) -> Invalid | None:
    """Enumeration values match an option exactly (case-sensitive); checkboxes take `a;b`; owners are ids."""
    if prop.referenced_object_type == "OWNER":
        return None if text in owners else Invalid(prop.name, "INVALID_OWNER_ID", f"{text} is not a valid owner id.")
    chosen = text.split(";") if prop.field_type == "checkbox" else [text]
    for value in chosen:
        if value not in prop.values:
            return Invalid(
                prop.name, "INVALID_OPTION", f"{value} was not one of the allowed options: [{', '.join(prop.values)}]"
            )
    return None
