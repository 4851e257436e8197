"""The HubSpot emulator's CRM: objects, associations, pipelines and owners (seeded from the book by `seed`)."""

from __future__ import annotations

import time as wall
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from sandbox.book import DEAL_PIPELINES, TICKET_STAGES

# The first line of a note the bot logged as a client communication (connectors.hubspot
# writes it; the seed imitates it so that the demo shows one).
BOT_NOTE_MARKER: Final = "Client communication logged from Slack"

TYPE_IDS: Final = {
    "contacts": "0-1",
    "companies": "0-2",
    "deals": "0-3",
    "tickets": "0-5",
    "tasks": "0-27",
    "notes": "0-46",
    "meetings": "0-47",
    "calls": "0-48",
    "emails": "0-49",
}
SINGULAR: Final = {name: name[:-1] for name in TYPE_IDS} | {"companies": "company"}
ALIASES: Final = {
    **{n: n for n in TYPE_IDS},
    **{v: k for k, v in TYPE_IDS.items()},
    **{s: p for p, s in SINGULAR.items()},
}
ENGAGEMENTS: Final = ("notes", "calls", "emails", "meetings", "tasks")

# HUBSPOT_DEFINED association types per direction: (typeId, label); several = primary + unlabeled.
ASSOCIATION_TYPES: Final[dict[tuple[str, str], tuple[tuple[int, str | None], ...]]] = {
    ("deals", "companies"): ((5, "Primary"), (341, None)),
    ("companies", "deals"): ((6, "Primary"), (342, None)),
    ("deals", "tickets"): ((27, None),),
    ("tickets", "deals"): ((28, None),),
    ("deals", "calls"): ((205, None),),
    ("calls", "deals"): ((206, None),),
    ("deals", "emails"): ((209, None),),
    ("emails", "deals"): ((210, None),),
    ("deals", "meetings"): ((211, None),),
    ("meetings", "deals"): ((212, None),),
    ("deals", "notes"): ((213, None),),
    ("notes", "deals"): ((214, None),),
    ("deals", "tasks"): ((215, None),),
    ("tasks", "deals"): ((216, None),),
    ("companies", "notes"): ((189, None),),
    ("notes", "companies"): ((190, None),),
    ("companies", "tickets"): ((340, None),),
    ("tickets", "companies"): ((339, None),),
    ("tickets", "notes"): ((227, None),),
    ("notes", "tickets"): ((228, None),),
}

# What comes back when a request names no properties.
DEFAULT_PROPERTIES: Final = {
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "tickets": (
        "content",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
        "hs_pipeline",
        "hs_pipeline_stage",
        "hs_ticket_category",
        "hs_ticket_priority",
        "subject",
    ),
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
}
ENGAGEMENT_DEFAULTS: Final = ("hs_createdate", "hs_lastmodifieddate", "hs_object_id")
# Searched by `query` (HubSpot's "default searchable properties").
SEARCHABLE: Final = {
    "deals": ("dealname", "description"),
    "companies": ("name", "domain", "website"),
    "tickets": ("subject", "content"),
    "contacts": ("firstname", "lastname", "email"),
    "notes": ("hs_note_body",),
    "emails": ("hs_email_subject", "hs_email_text"),
    "calls": ("hs_call_title", "hs_call_body"),
    "meetings": ("hs_meeting_title", "hs_meeting_body"),
    "tasks": ("hs_task_subject",),
}
TICKET_PIPELINE: Final = ("0", "Support Pipeline")


def iso(moment: datetime) -> str:
    """HubSpot's timestamp format: UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class CrmObject:
    """One CRM record; property values are strings (or None), as HubSpot stores them."""

    type: str
    id: str
    properties: dict[str, str | None]
    created_at: datetime
    updated_at: datetime
    # (visible to search from, the record as written then): search lags writes (Crm.search_lag)
    versions: list[tuple[float, CrmObject]] = field(default_factory=list, repr=False, compare=False)

    def indexed(self, now: float) -> CrmObject | None:
        """The record as search sees it at `now` (clock seconds): the last version visible by then, or None."""
        visible = [n for n, (at, _) in enumerate(self.versions) if at <= now]
        if not visible:
            return None
        del self.versions[: visible[-1]]  # older versions are never seen again
        return self if len(self.versions) == 1 else self.versions[0][1]

    def to_json(self, properties: Sequence[str] | None) -> dict:
        """The record as the v3 API returns it, with the requested (or default) properties."""
        names = self.property_names(properties)
        return {
            "id": self.id,
            "properties": {n: self.properties.get(n) for n in names},
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "archived": False,
        }

    def property_names(self, requested: Sequence[str] | None) -> list[str]:
        always = ENGAGEMENT_DEFAULTS if self.type in ENGAGEMENTS else DEFAULT_PROPERTIES.get(self.type, ())
        if not requested:
            return sorted(always)
        base = {"hs_object_id", "hs_lastmodifieddate", "hs_createdate" if self.type in ENGAGEMENTS else "createdate"}
        return sorted(base | {n for n in requested if n})


@dataclass
class Owner:
    """A HubSpot user who can own records."""

    id: str
    user_id: int
    first: str
    last: str
    email: str

    def to_json(self, at: datetime) -> dict:
        return {
            "id": self.id,
            "email": self.email,
            "firstName": self.first,
            "lastName": self.last,
            "userId": self.user_id,
            "userIdIncludingInactive": self.user_id,
            "type": "PERSON",
            "createdAt": iso(at),
            "updatedAt": iso(at),
            "archived": False,
            "teams": [],
        }


@dataclass
class Crm:
    """Every record of the portal and the links between them."""

    now: datetime
    objects: dict[str, dict[str, CrmObject]] = field(default_factory=lambda: {t: {} for t in TYPE_IDS})
    # (from type, from id, to type) -> {to id: type ids}
    links: dict[tuple[str, str, str], dict[str, tuple[int, ...]]] = field(default_factory=dict)
    owners: dict[str, Owner] = field(default_factory=dict)
    next_id: int = 9_811_000_001  # companies first (seed order), then records created later
    clock: Callable[[], float] = wall.time  # wall clock of writes (tests move it instead of sleeping)
    search_lag: float = 0.0  # seconds before a write shows in search results

    # -- records --------------------------------------------------------------------------

    def add(
        self,
        type_: str,
        properties: Mapping[str, str | None],
        *,
        id: str | None = None,
        created: datetime | None = None,
        updated: datetime | None = None,
    ) -> CrmObject:
        """Store a new record; its id comes from the portal's counter unless given."""
        if id is None:
            id, self.next_id = str(self.next_id), self.next_id + 1
        created = created or self.now
        props = dict(properties)
        props["hs_object_id"] = id
        props.setdefault("hs_createdate" if type_ in ENGAGEMENTS else "createdate", iso(created))
        props.setdefault("hs_lastmodifieddate", iso(created))
        obj = CrmObject(type_, id, props, created, updated or created)
        self.objects[type_][id] = obj
        self._written(obj)
        return obj

    def get(self, type_: str, id: str) -> CrmObject | None:
        return self.objects[type_].get(id)

    def update(self, type_: str, id: str, **properties: str | None) -> CrmObject:
        """Change properties; the record is modified now (by `clock`, the wall clock), as pollers expect."""
        obj = self.objects[type_][id]
        obj.properties.update(properties)
        obj.updated_at = max(self.moment(), obj.updated_at)
        obj.properties["hs_lastmodifieddate"] = iso(obj.updated_at)
        self._written(obj)
        return obj

    def moment(self) -> datetime:
        """Now, by the CRM's clock, to the millisecond (as HubSpot keeps time)."""
        return datetime.fromtimestamp(round(self.clock() * 1000) / 1000, UTC)

    def _written(self, obj: CrmObject) -> None:
        """Remember the record as written now, for search to show once `search_lag` has passed."""
        now = self.clock()
        obj.indexed(now)  # forget versions search will not show again
        obj.versions.append((now + self.search_lag, replace(obj, properties=dict(obj.properties), versions=[])))

    def remove(self, type_: str, id: str) -> None:
        """Delete a record and every association it has."""
        self.objects[type_].pop(id, None)
        for key in [k for k in self.links if k[0] == type_ and k[1] == id]:
            for other in self.links.pop(key):
                self.links.get((key[2], other, type_), {}).pop(id, None)

    # -- associations ---------------------------------------------------------------------

    def link(self, a_type: str, a_id: str, b_type: str, b_id: str) -> None:
        """Associate two records with the default HUBSPOT_DEFINED types, both directions."""
        forward = tuple(t for t, _ in ASSOCIATION_TYPES[(a_type, b_type)])
        backward = tuple(t for t, _ in ASSOCIATION_TYPES[(b_type, a_type)])
        self.links.setdefault((a_type, a_id, b_type), {})[b_id] = forward
        self.links.setdefault((b_type, b_id, a_type), {})[a_id] = backward

    def associated(self, from_type: str, from_id: str, to_type: str) -> list[tuple[str, tuple[int, ...]]]:
        """(to id, type ids) pairs, in id order."""
        found = self.links.get((from_type, from_id, to_type), {})
        return sorted(found.items(), key=lambda item: int(item[0]))


def deal_pipelines_json(at: datetime) -> list[dict]:
    """GET /crm/v3/pipelines/deals results: metadata values are strings, as HubSpot sends them."""
    return [
        _pipeline(
            pid,
            label,
            [
                (sid, slabel, {"isClosed": "true" if closed else "false", "probability": str(float(prob))})
                for sid, (slabel, closed, prob) in stages.items()
            ],
            order,
            at,
        )
        for order, (pid, (label, stages)) in enumerate(DEAL_PIPELINES.items())
    ]


def ticket_pipelines_json(at: datetime) -> list[dict]:
    """GET /crm/v3/pipelines/tickets results: ticketState decides open/closed."""
    stages = [(sid, label, {"ticketState": state}) for sid, (label, state) in TICKET_STAGES.items()]
    return [_pipeline(TICKET_PIPELINE[0], TICKET_PIPELINE[1], stages, 0, at)]


def _pipeline(pid: str, label: str, stages: list[tuple[str, str, dict]], order: int, at: datetime) -> dict:
    stamp = iso(at - timedelta(days=900))
    return {
        "id": pid,
        "label": label,
        "displayOrder": order,
        "archived": False,
        "createdAt": stamp,
        "updatedAt": stamp,
        "stages": [
            {
                "id": sid,
                "label": slabel,
                "displayOrder": i,
                "metadata": meta,
                "archived": False,
                "createdAt": stamp,
                "updatedAt": stamp,
                "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
            }
            for i, (sid, slabel, meta) in enumerate(stages)
        ],
    }
