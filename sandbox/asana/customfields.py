"""Custom fields of the emulated workspace: definitions, the settings that put them on a project,
the values a project holds, and how a written value is checked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sandbox.asana.errors import AsanaError


@dataclass(frozen=True)
class FieldDef:
    """A workspace custom field: `kind` is text, number or enum (with its options)."""

    gid: str
    name: str
    kind: str
    description: str = ""
    options: tuple[dict[str, Any], ...] = ()
    precision: int = 0


@dataclass
class Setting:
    """A custom field setting: the field is on the project (it has a column there)."""

    gid: str
    field: str  # custom field gid
    is_important: bool = False


def field_view(f: FieldDef, value: Any) -> dict[str, Any]:
    """The full custom field record as a project (or a setting) carries it, with `value`."""
    option = next((o for o in f.options if o["gid"] == value), None) if f.kind == "enum" else None
    number = value if f.kind == "number" else None
    text = value if f.kind == "text" else None
    if f.kind == "enum":
        display = option["name"] if option else None
    elif f.kind == "number":
        display = None if number is None else f"{number:.{f.precision}f}"
    else:
        display = text
    record: dict[str, Any] = {
        "gid": f.gid,
        "resource_type": "custom_field",
        "name": f.name,
        "type": f.kind,
        "resource_subtype": f.kind,
        "text_value": text,
        "display_value": display,
        "number_value": number,
        "enum_value": option,
        "enabled": True,
        "description": f.description,
        "is_global_to_workspace": True,
    }
    if f.kind == "enum":
        record["enum_options"] = list(f.options)
    if f.kind == "number":
        record["precision"] = f.precision
    return record


def setting_view(s: Setting, f: FieldDef, parent: dict[str, Any]) -> dict[str, Any]:
    """A custom field setting record; `parent` (and the deprecated `project`) is the project, compact."""
    return {
        "gid": s.gid,
        "resource_type": "custom_field_setting",
        "custom_field": field_view(f, None),
        "is_important": s.is_important,
        "parent": parent,
        "project": parent,
    }


def coerce(f: FieldDef, value: Any) -> Any:
    """The value to store for a write of `value` to field `f`; null clears. 400 for the wrong type.

    The wording of these refusals is *unconfirmed*: Asana documents that a text field takes a
    string, a number field a number and an enum field one of its option gids, not its words.
    """
    if value is None:
        return None
    shown = json.dumps(value)
    if f.kind == "text":
        if not isinstance(value, str):
            raise AsanaError(400, f"custom_fields: {f.gid}: Value is not a string: {shown}")
        return value
    if f.kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise AsanaError(400, f"custom_fields: {f.gid}: Value is not a number: {shown}")
        return value
    if not isinstance(value, str) or all(o["gid"] != value for o in f.options):
        raise AsanaError(400, f"custom_fields: {f.gid}: Not a valid enum option: {shown}")
    return value
