"""Custom fields of the emulated company: the legacy string fields and the newer (enhanced) kind.

What Intuit documents (developer.intuit.com "Custom fields" get-started and use cases, and Intuit's own
sample apps and prompt library for the Custom Fields API):
- Legacy string custom fields (at most three, DefinitionId "1".."3", Type "StringType") come back in
  `CustomField[]` on every v3 read; Preferences lists them under SalesFormsPrefs.CustomField.
- Fields made with the newer custom-field feature come back in the same `CustomField[]` array only
  when the request says `include=enhancedAllCustomFields` (documented with minorversion=70; since
  August 2025 every minorversion below 75 is ignored and served as 75, so the parameter works
  whatever minorversion is sent). Their DefinitionId is the definition's `legacyIDV2`, a bare number
  such as "1000000001" (the GraphQL id is "udcf_" + it); a string field has Type "StringType" and
  `StringValue`. They are written the same way: {DefinitionId, Type: "StringType", StringValue}.
- A written entry whose DefinitionId matches no definition of the entity is dropped silently: HTTP
  200 without it. Using the GraphQL id as DefinitionId, or a value field that does not match the
  Type, is a 400.
*Unconfirmed* and chosen here as the stricter reading: an enhanced field written without
`include=enhancedAllCustomFields` is dropped as unknown; enhanced fields do not show in Preferences;
CDC honours `include` like the other reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from multidict import MultiMapping

from sandbox.quickbooks import faults

CustomFieldMode = Literal["legacy", "enhanced"]
MODES: tuple[CustomFieldMode, ...] = ("legacy", "enhanced")
INCLUDE_ENHANCED = "enhancedAllCustomFields"
DEAL_FIELD = "Deal ID"
LEGACY_MAX_LENGTH = 31  # characters a legacy string custom field holds
VALUE_OF_TYPE = {
    "StringType": "StringValue",
    "NumberType": "NumberValue",
    "DateType": "DateValue",
    "BooleanType": "BooleanValue",
}


@dataclass(frozen=True)
class Definition:
    """One custom field definition of the company's invoices."""

    definition_id: str
    name: str
    enhanced: bool


PO_NUMBER = Definition("1", "PO Number", enhanced=False)
LEGACY_DEAL = Definition("2", DEAL_FIELD, enhanced=False)
ENHANCED_DEAL = Definition("1000000001", DEAL_FIELD, enhanced=True)
DEAL_IDS = frozenset({LEGACY_DEAL.definition_id, ENHANCED_DEAL.definition_id})
ENHANCED_IDS = frozenset({ENHANCED_DEAL.definition_id})


def check_mode(mode: str) -> CustomFieldMode:
    """`mode` if it is one of MODES, else ValueError."""
    for known in MODES:
        if mode == known:
            return known
    raise ValueError(f"custom_fields must be one of {MODES}, not {mode!r}")


def deal_definition(mode: CustomFieldMode) -> Definition:
    """How the company defines the deal field in this mode."""
    return ENHANCED_DEAL if mode == "enhanced" else LEGACY_DEAL


def definitions(mode: CustomFieldMode) -> dict[str, Definition]:
    """The company's invoice custom field definitions by DefinitionId."""
    return {d.definition_id: d for d in (PO_NUMBER, deal_definition(mode))}


def entry(definition: Definition, value: str | None) -> dict:
    """An invoice's CustomField entry as QBO returns it (no StringValue when the field is empty)."""
    return {"DefinitionId": definition.definition_id, "Name": definition.name, "Type": "StringType"} | (
        {"StringValue": value} if value else {}
    )


def wants_enhanced(query: MultiMapping[str]) -> bool:
    """Whether the request asks for the enhanced custom fields (`include=enhancedAllCustomFields`)."""
    return any(INCLUDE_ENHANCED in (part.strip() for part in value.split(",")) for value in query.getall("include", []))


def visible(fields: Sequence[dict], *, include_enhanced: bool) -> list[dict]:
    """The entries a read returns: enhanced ones only when the request included them."""
    return [f for f in fields if include_enhanced or f["DefinitionId"] not in ENHANCED_IDS]


def deal_value(fields: Sequence[dict]) -> str | None:
    """The stored deal ID, whichever kind of field holds it."""
    found = next((f for f in fields if f["DefinitionId"] in DEAL_IDS), None)
    return (found or {}).get("StringValue") or None


def with_deal(fields: Sequence[dict], mode: CustomFieldMode, value: str | None) -> list[dict]:
    """The entries with the deal field set to `value` (removed when None) in this mode's shape."""
    kept = [f for f in fields if f["DefinitionId"] not in DEAL_IDS]
    return kept + ([entry(deal_definition(mode), value)] if value is not None else [])


def requested_values(items: Any) -> dict[str, str | None]:
    """DefinitionId -> value of a request's CustomField array, checked as QBO deserialises it."""
    if not isinstance(items, list):
        raise faults.bad_value("CustomField", items, "java.util.ArrayList")
    values: dict[str, str | None] = {}
    for item in items:
        if not isinstance(item, dict):
            raise faults.bad_value("CustomField", item, "com.intuit.schema.finance.v3.CustomField")
        for key in item:
            if key not in ("DefinitionId", "Name", "Type", *VALUE_OF_TYPE.values()):
                raise faults.unrecognized(key, "CustomField")
        if item.get("DefinitionId") is None:
            continue  # QBO ignores an entry without DefinitionId (Name alone no longer identifies a field)
        definition_id = str(item["DefinitionId"])
        if not definition_id.isdigit():  # e.g. the GraphQL id "udcf_…" instead of legacyIDV2 (code unconfirmed)
            raise faults.bad_value("CustomField.DefinitionId", definition_id, "a custom field DefinitionId")
        values[definition_id] = _string_value(item)
    return values


def _string_value(item: dict) -> str | None:
    kind = item.get("Type")
    given = [key for key in VALUE_OF_TYPE.values() if key in item]
    if kind is not None and kind not in VALUE_OF_TYPE:
        raise faults.bad_value("CustomField.Type", kind, "com.intuit.schema.finance.v3.CustomFieldTypeEnum")
    if kind is not None and any(key != VALUE_OF_TYPE[kind] for key in given):
        raise faults.unparseable(f"CustomField {given[0]} does not match Type {kind}")
    if kind not in (None, "StringType") or given not in ([], ["StringValue"]):  # the company's fields are strings
        raise faults.unparseable(f"CustomField {item['DefinitionId']} is a StringType field")
    value = item.get("StringValue")
    if value is not None and not isinstance(value, (str, int)):
        raise faults.bad_value("CustomField.StringValue", value, "java.lang.String")
    return str(value) if value not in (None, "") else None


def written(
    stored: Sequence[dict], values: dict[str, str | None], *, mode: CustomFieldMode, include_enhanced: bool, full: bool
) -> list[dict]:
    """The invoice's entries after an update: writable definitions take the values sent; unknown ones drop.

    A sparse update touches only the fields it names; a full update also empties the fields it can
    see (legacy ones, and enhanced ones when it included them) but left out.
    """
    writable = {i: d for i, d in definitions(mode).items() if include_enhanced or not d.enhanced}
    for definition_id, value in values.items():
        if (
            definition_id in writable
            and value is not None
            and not writable[definition_id].enhanced
            and len(value) > LEGACY_MAX_LENGTH
        ):
            raise faults.too_long(f"CustomField {definition_id}", LEGACY_MAX_LENGTH, len(value))
    out = []
    for field in stored:
        definition = writable.get(field["DefinitionId"])
        if definition is None:
            out.append(field)
        elif field["DefinitionId"] in values:
            out.append(entry(definition, values[field["DefinitionId"]]))
        else:
            out.append(entry(definition, None) if full else field)
    have = {f["DefinitionId"] for f in stored}
    out += [entry(writable[i], v) for i, v in values.items() if i in writable and i not in have]
    return out


def preferences_custom_fields(mode: CustomFieldMode) -> list[dict]:
    """SalesFormsPrefs.CustomField as QBO's Preferences shows it: one group of flags, one of names."""
    slots = {int(d.definition_id): d for d in definitions(mode).values() if not d.enhanced}
    flags = [
        {"Name": f"SalesFormsPrefs.UseSalesCustom{n}", "Type": "BooleanType", "BooleanValue": n in slots}
        for n in (1, 2, 3)
    ]
    names = [
        {"Name": f"SalesFormsPrefs.SalesCustomName{n}", "Type": "StringType", "StringValue": d.name}
        for n, d in sorted(slots.items())
    ]
    return [{"CustomField": flags}, {"CustomField": names}]
