"""The portal's property definitions: HubSpot's built-in properties per object type, groups, custom ones.

What `GET /crm/v3/properties/{type}` lists, what search compares by type, and what every
write is validated against. Built-in names, types and field types follow HubSpot's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from sandbox.book import DEAL_PIPELINES, TICKET_STAGES
from sandbox.hubspot.data import ENGAGEMENTS, SINGULAR, TICKET_PIPELINE, TYPE_IDS

# Property type -> the field types a new property of that type may have.
FIELD_TYPES: Final = {
    "string": frozenset({"text", "textarea"}),
    "number": frozenset({"number"}),
    "date": frozenset({"date"}),
    "datetime": frozenset({"date"}),
    "enumeration": frozenset({"select", "radio", "checkbox"}),
    "bool": frozenset({"booleancheckbox"}),
}
CURRENCIES: Final = ("USD", "EUR", "GBP")
STAGE_DATES: Final = (("hs_v2_date_entered_", "Date entered"), ("hs_v2_date_exited_", "Date exited"))


@dataclass(frozen=True)
class Option:
    """One choice of an enumeration property."""

    label: str
    value: str
    display_order: int = 0
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        """The option as the properties API lists it."""
        return {
            "label": self.label,
            "value": self.value,
            "displayOrder": self.display_order,
            "description": self.description,
            "hidden": False,
        }


@dataclass(frozen=True)
class PropertyDef:
    """A property definition as the properties API describes it."""

    name: str
    label: str
    type: str
    field_type: str
    group: str
    description: str = ""
    options: tuple[Option, ...] = ()
    read_only: bool = False  # modificationMetadata.readOnlyValue: the API refuses to set it
    calculated: bool = False
    hubspot_defined: bool = True
    referenced_object_type: str | None = None  # "OWNER": values are owner ids
    display_order: int = -1
    created_at: str = ""

    @property
    def values(self) -> tuple[str, ...]:
        """The option values an enumeration accepts."""
        return tuple(o.value for o in self.options)

    def to_json(self) -> dict[str, Any]:
        """The definition as GET /crm/v3/properties/{type} returns it."""
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group,
            "options": [o.to_json() for o in self.options],
            "displayOrder": self.display_order,
            "calculated": self.calculated,
            "externalOptions": self.referenced_object_type is not None,
            "hasUniqueValue": self.name == "hs_object_id",
            "hidden": False,
            "formField": not self.hubspot_defined,
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
            "archived": False,
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined,
                "readOnlyValue": self.read_only,
            },
        }
        if self.hubspot_defined:
            body["hubspotDefined"] = True
        if self.referenced_object_type:
            body["referencedObjectType"] = self.referenced_object_type
        return body


@dataclass(frozen=True)
class Group:
    """A property group."""

    name: str
    label: str
    display_order: int = -1

    def to_json(self) -> dict[str, Any]:
        """The group as GET /crm/v3/properties/{type}/groups lists it."""
        return {"name": self.name, "label": self.label, "displayOrder": self.display_order, "archived": False}


def _options(pairs: Iterable[tuple[str, str]]) -> tuple[Option, ...]:
    return tuple(Option(label, value, n) for n, (value, label) in enumerate(pairs))


def _same(*values: str) -> tuple[Option, ...]:
    return _options((v, v.replace("_", " ").title()) for v in values)


def _text(name: str, label: str, field_type: str = "text") -> tuple:
    return name, label, "string", field_type


def _enum(name: str, label: str, options: tuple[Option, ...], field_type: str = "select") -> tuple:
    return name, label, "enumeration", field_type, options


def _when(name: str, label: str, read_only: bool = False) -> tuple:
    return name, label, "datetime", "date", (), read_only


def _common(type_: str) -> list[tuple]:
    """Record id, creation and modification times (read-only) and the owner."""
    created = "hs_createdate" if type_ in ENGAGEMENTS else "createdate"
    modified = "lastmodifieddate" if type_ == "contacts" else "hs_lastmodifieddate"
    return [
        ("hs_object_id", "Record ID", "number", "number", (), True),
        _when(created, "Create date", True),
        _when(modified, "Last modified date", True),
        ("hubspot_owner_id", "Owner", "enumeration", "select"),
    ]


def _deal_stages() -> tuple[Option, ...]:
    return _options((sid, label) for _, (_, stages) in DEAL_PIPELINES.items() for sid, (label, _, _) in stages.items())


def _stage_dates() -> list[tuple]:
    """hs_v2_date_entered_{stage} / hs_v2_date_exited_{stage}: read-only, set when a deal moves."""
    return [
        _when(prefix + sid, f'{label} "{slabel}" ({plabel})', True)
        for _, (plabel, stages) in DEAL_PIPELINES.items()
        for sid, (slabel, _, _) in stages.items()
        for prefix, label in STAGE_DATES
    ]


BUILTIN: Final[dict[str, list[tuple]]] = {
    "deals": [
        _text("dealname", "Deal Name"),
        ("amount", "Amount", "number", "number"),
        _when("closedate", "Close Date"),
        _enum("dealstage", "Deal Stage", _deal_stages(), "radio"),
        _enum("pipeline", "Pipeline", _options((pid, label) for pid, (label, _) in DEAL_PIPELINES.items())),
        _enum("deal_currency_code", "Currency", _same(*CURRENCIES)),
        _text("description", "Deal Description", "textarea"),
        _enum(
            "dealtype",
            "Deal Type",
            _options((("newbusiness", "New Business"), ("existingbusiness", "Existing Business"))),
            "radio",
        ),
        _enum("hs_priority", "Priority", _same("low", "medium", "high"), "radio"),
        *_stage_dates(),
    ],
    "companies": [
        _text("name", "Company name"),
        _text("domain", "Company Domain Name"),
        _text("website", "Website URL"),
        _text("description", "Description", "textarea"),
    ],
    "contacts": [_text("firstname", "First Name"), _text("lastname", "Last Name"), _text("email", "Email")],
    "tickets": [
        _text("subject", "Ticket name"),
        _text("content", "Ticket description", "textarea"),
        _enum("hs_pipeline", "Pipeline", _options([TICKET_PIPELINE])),
        _enum(
            "hs_pipeline_stage", "Ticket status", _options((sid, label) for sid, (label, _) in TICKET_STAGES.items())
        ),
        _enum("hs_ticket_priority", "Priority", _same("LOW", "MEDIUM", "HIGH", "URGENT")),
        _enum(
            "hs_ticket_category",
            "Category",
            _same("PRODUCT_ISSUE", "BILLING_ISSUE", "FEATURE_REQUEST", "GENERAL_INQUIRY"),
            "checkbox",
        ),
    ],
    "notes": [_text("hs_note_body", "Note body", "html")],
    "emails": [
        _text("hs_email_subject", "Email subject"),
        _text("hs_email_text", "Email body", "textarea"),
        _text("hs_email_html", "Email HTML body", "html"),
        _text("hs_email_headers", "Email headers", "textarea"),
        _enum("hs_email_direction", "Email direction", _same("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL")),
        _enum("hs_email_status", "Email send status", _same("BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT")),
    ],
    "calls": [
        _text("hs_call_title", "Call title"),
        _text("hs_call_body", "Call notes", "html"),
        ("hs_call_duration", "Call duration", "number", "number"),
        _text("hs_call_from_number", "From number"),
        _text("hs_call_to_number", "To number"),
        _enum("hs_call_direction", "Call direction", _same("INBOUND", "OUTBOUND")),
        _enum(
            "hs_call_status",
            "Call status",
            _same(
                "BUSY",
                "CALLING_CRM_USER",
                "CANCELED",
                "COMPLETED",
                "CONNECTING",
                "FAILED",
                "IN_PROGRESS",
                "NO_ANSWER",
                "QUEUED",
                "RINGING",
            ),
        ),
    ],
    "meetings": [
        _text("hs_meeting_title", "Meeting name"),
        _text("hs_meeting_body", "Meeting description", "html"),
        _text("hs_internal_meeting_notes", "Internal meeting notes", "html"),
        _text("hs_meeting_location", "Location"),
        _when("hs_meeting_start_time", "Start time"),
        _when("hs_meeting_end_time", "End time"),
        _enum(
            "hs_meeting_outcome",
            "Meeting outcome",
            _same("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"),
        ),
    ],
    "tasks": [
        _text("hs_task_subject", "Task title"),
        _text("hs_task_body", "Task notes", "html"),
        _enum("hs_task_status", "Task status", _same("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED")),
        _enum("hs_task_priority", "Priority", _same("NONE", "LOW", "MEDIUM", "HIGH")),
        _enum("hs_task_type", "Task type", _same("TODO", "CALL", "EMAIL")),
    ],
}
ENGAGEMENT_ONLY: Final = [_when("hs_timestamp", "Activity date")]


def _builtin(type_: str, stamp: str) -> dict[str, PropertyDef]:
    group = f"{SINGULAR[type_]}information"
    rows = [*_common(type_), *(ENGAGEMENT_ONLY if type_ in ENGAGEMENTS else []), *BUILTIN.get(type_, [])]
    props = {}
    for row in rows:
        name, label, kind, field_type, *rest = row
        options = rest[0] if rest else ()
        read_only = rest[1] if len(rest) > 1 else False
        owner = "OWNER" if name == "hubspot_owner_id" else None
        props[name] = PropertyDef(
            name,
            label,
            kind,
            field_type,
            group,
            options=options,
            read_only=read_only,
            calculated=name.startswith("hs_v2_date_"),
            referenced_object_type=owner,
            created_at=stamp,
        )
    return props


@dataclass
class Schema:
    """Every object type's property definitions and groups (built-in at first; custom ones added later)."""

    stamp: str  # createdAt of the built-in definitions
    properties: dict[str, dict[str, PropertyDef]] = field(default_factory=dict)
    groups: dict[str, dict[str, Group]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for type_ in TYPE_IDS:
            self.properties.setdefault(type_, _builtin(type_, self.stamp))
            name = f"{SINGULAR[type_]}information"
            self.groups.setdefault(type_, {name: Group(name, f"{SINGULAR[type_].title()} information")})
        self.groups["deals"].setdefault("deal_activity", Group("deal_activity", "Deal activity"))

    def get(self, type_: str, name: str) -> PropertyDef | None:
        """The definition of a property, None when the portal has no such property."""
        return self.properties[type_].get(name)

    def kind(self, type_: str, name: str) -> str | None:
        """The property's type (string, number, date, datetime, enumeration, bool), None when unknown."""
        prop = self.get(type_, name)
        return prop.type if prop else None

    def known(self, type_: str, names: Iterable[str]) -> list[str]:
        """The names among `names` that are properties of the type, in order."""
        return [n for n in names if n in self.properties[type_]]
