"""The body of `POST /project_templates/{gid}/instantiateProject`, checked the way Asana checks it.

Documented (developers.asana.com/reference/instantiateproject and Asana's OpenAPI document):
`name` is required; `requested_dates` maps the template's date variables (gid "1" is the
project start date, "2" its due date) to `YYYY-MM-DD` dates; with `is_strict` every date
variable needs a value, otherwise the current date stands in; `requested_roles` maps template
roles to users. The exact wording of each refusal below is *unconfirmed* except "x: Missing
input" and the ISO-8601 date sentence, which Asana uses for other fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sandbox.asana.errors import AsanaError, check_gid, missing

KEYS: Final = frozenset(
    {"name", "team", "public", "privacy_setting", "is_strict", "requested_dates", "requested_roles"}
)
PRIVACY_SETTINGS: Final = ("public_to_workspace", "private_to_team", "private")
ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Instantiation:
    """What a valid request asks for."""

    name: str
    team: str | None  # as sent (checked against the workspace's teams by the caller)
    is_strict: bool
    dates: dict[str, date]  # date variable gid -> date, as sent
    roles: dict[str, str]  # template role gid -> user gid


def parse(
    data: dict[str, Any], *, date_vars: Collection[str], roles: Collection[str], users: Collection[str], caller: str
) -> Instantiation:
    """Check `data` against the template's date variables and roles; 400 for the first fault."""
    for key in data:
        if key not in KEYS:
            raise AsanaError(400, f"{key}: Unrecognized request field")
    name = data.get("name")
    if name is None or name == "":
        raise missing("name")
    _expect("name", name, str, "string")
    team = data.get("team")
    if team is not None:
        check_gid("team", team)
    for flag in ("public", "is_strict"):
        if flag in data:
            _expect(flag, data[flag], bool, "boolean")
    privacy = data.get("privacy_setting")
    if privacy is not None and privacy not in PRIVACY_SETTINGS:
        raise AsanaError(400, f"privacy_setting: Not a valid enum value: {json.dumps(privacy)}")
    is_strict = bool(data.get("is_strict", False))
    dates = _mapping(data, "requested_dates", date_vars, "date variable", _date)
    if is_strict:
        for gid in date_vars:
            if gid not in dates:
                raise AsanaError(400, f"requested_dates: No value for date variable {gid}, and is_strict is true")
    chosen = _mapping(
        data, "requested_roles", roles, "template role", lambda where, value: _user(where, value, users, caller)
    )
    return Instantiation(name, team, is_strict, dates, chosen)


def _expect(where: str, value: Any, kind: type, label: str) -> None:
    if not isinstance(value, kind):
        raise AsanaError(400, f"{where}: Value is not a {label}: {json.dumps(value)}")


def _mapping(
    data: dict[str, Any], key: str, known: Collection[str], what: str, read: Callable[[str, Any], Any]
) -> dict[str, Any]:
    """[{gid, value}] -> {gid: read(value)}, each gid one of `known`, none twice."""
    items = data.get(key, [])
    _expect(key, items, list, "array")
    out: dict[str, Any] = {}
    for n, item in enumerate(items):
        where = f"{key}: [{n}]"
        _expect(where, item, dict, "JSON object")
        gid = item.get("gid")
        if gid is None:
            raise missing(f"{where}: gid")
        _expect(f"{where}: gid", gid, str, "string")
        if gid not in known:
            raise AsanaError(400, f"{where}: gid: Not a {what} of this template: {gid}")
        if gid in out:
            raise AsanaError(400, f"{where}: gid: Given twice: {gid}")
        if "value" not in item or item["value"] is None:
            raise missing(f"{where}: value")
        out[gid] = read(f"{where}: value", item["value"])
    return out


def _date(where: str, value: Any) -> date:
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise AsanaError(400, f"{where}: Date must be in ISO-8601 (yyyy-mm-dd) format, not: {value}")


def _user(where: str, value: Any, users: Collection[str], caller: str) -> str:
    if value == "me":
        return caller
    if not isinstance(value, str) or value not in users:
        raise AsanaError(400, f"{where}: Not a user in Organization: {value}")
    return value
