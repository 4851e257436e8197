"""Which scopes each emulated endpoint needs, and HubSpot's 403 MISSING_SCOPES when a token lacks one.

Read from HubSpot's published OpenAPI specs (the `security` of each operation): object reads
and writes need `crm.objects.{type}.read|write`; tickets need `tickets`; notes, calls,
meetings and tasks go by the contact scopes; owners need `crm.objects.owners.read`;
properties need `crm.schemas.{type}.read|write`; pipelines are readable with the object's
or the schema's read scope. A requirement is a list of clauses, each satisfied by any one of
its scopes, as HubSpot's body says ("One or more of the following scopes are required").

Stricter than the specs, on purpose, as API_FACTS.md says: reading emails (records or
associations to them) needs `sales-email-read` as well, and reading properties needs the
schema scope (the spec also lists the object's read scope as enough: *unconfirmed*).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Final

from sandbox.hubspot.data import ALIASES

Clause = frozenset[str]
Requirement = tuple[Clause, ...]

SCOPES_URL: Final = "https://developers.hubspot.com/scopes"
# The bot's install: everything it reads and writes, engagement creation included.
DEFAULT_SCOPES: Final = frozenset(
    {
        "crm.objects.deals.read",
        "crm.objects.deals.write",
        "crm.objects.companies.read",
        "crm.objects.contacts.read",
        "crm.objects.contacts.write",
        "tickets",
        "crm.objects.owners.read",
        "sales-email-read",
        "crm.schemas.deals.read",
        "crm.schemas.deals.write",
    }
)


def _one(*scopes: str) -> Clause:
    return frozenset(scopes)


SCHEMA_TYPES: Final = ("deals", "companies", "contacts")
CONTACT_SCOPED: Final = ("contacts", "notes", "calls", "meetings", "tasks", "emails")
# object type -> (read requirement, write requirement)
OBJECT_SCOPES: Final[dict[str, tuple[Requirement, Requirement]]] = {
    **{t: ((_one("crm.objects.contacts.read"),), (_one("crm.objects.contacts.write"),)) for t in CONTACT_SCOPED},
    "emails": ((_one("crm.objects.contacts.read"), _one("sales-email-read")), (_one("crm.objects.contacts.write"),)),
    "deals": ((_one("crm.objects.deals.read"),), (_one("crm.objects.deals.write"),)),
    "companies": ((_one("crm.objects.companies.read"),), (_one("crm.objects.companies.write"),)),
    "tickets": ((_one("tickets"),), (_one("tickets"),)),
}
# route (method, canonical path) -> what it needs: "read" / "write" of the {type} (or {from} and {to}),
# "schema-read" / "schema-write" of the {type}, "pipelines" of the {type}, or fixed scopes.
SCOPE_TABLE: Final[dict[tuple[str, str], str | Requirement]] = {
    ("POST", "/crm/v3/objects/{type}/search"): "read",
    ("POST", "/crm/v3/objects/{type}/batch/read"): "read",
    ("GET", "/crm/v3/objects/{type}/{id}"): "read",
    ("POST", "/crm/v3/objects/{type}"): "write",
    ("PATCH", "/crm/v3/objects/{type}/{id}"): "write",
    ("POST", "/crm/v3/objects/{type}/batch/update"): "write",
    ("POST", "/crm/v4/associations/{from}/{to}/batch/read"): "read",
    ("GET", "/crm/v3/pipelines/{type}"): "pipelines",
    ("GET", "/crm/v3/pipelines/{type}/{pipeline}"): "pipelines",
    ("GET", "/crm/v3/owners"): (_one("crm.objects.owners.read"),),
    ("GET", "/crm/v3/owners/"): (_one("crm.objects.owners.read"),),
    ("GET", "/crm/v3/owners/{id}"): (_one("crm.objects.owners.read"),),
    ("GET", "/crm/v3/properties/{type}"): "schema-read",
    ("GET", "/crm/v3/properties/{type}/{name}"): "schema-read",
    ("GET", "/crm/v3/properties/{type}/groups"): "schema-read",
    ("GET", "/crm/v3/properties/{type}/groups/{name}"): "schema-read",
    ("POST", "/crm/v3/properties/{type}"): "schema-write",
    ("POST", "/crm/v3/properties/{type}/batch/create"): "schema-write",
    ("POST", "/crm/v3/properties/{type}/groups"): "schema-write",
    ("DELETE", "/crm/v3/properties/{type}/{name}"): "schema-write",
}


def required_scopes(method: str, route: str, params: Mapping[str, str]) -> Requirement:
    """The clauses a request needs, from its method, canonical route and path parameters."""
    rule = SCOPE_TABLE.get(("GET" if method == "HEAD" else method, route), ())
    if not isinstance(rule, str):
        return rule
    types = [ALIASES.get(params[k].lower()) for k in ("type", "from", "to") if k in params]
    if not all(types):
        return ()  # an unknown object type: the handler answers 400
    needs: list[Clause] = []
    for type_ in types:
        needs.extend(_for_type(rule, type_))  # type: ignore[arg-type]
    return tuple(dict.fromkeys(needs))


def _for_type(rule: str, type_: str) -> Requirement:
    read, write = OBJECT_SCOPES[type_]
    if rule in ("read", "write"):
        return read if rule == "read" else write
    if type_ == "tickets":
        return (_one("tickets"),)
    if rule == "pipelines":
        return (_one(f"crm.objects.{type_}.read", f"crm.schemas.{type_}.read"),)
    schema_type = type_ if type_ in SCHEMA_TYPES else "contacts"
    return (_one(f"crm.schemas.{schema_type}.{rule.removeprefix('schema-')}"),)


def inline_association_scopes(names: list[str]) -> Requirement:
    """What a record read's `associations=` adds: the read scope of each associated type.

    Stricter than HubSpot may be (*unconfirmed* whether it refuses or leaves the type out):
    a type the token can't read refuses the whole read, so a client must cope with either.
    """
    needs: list[Clause] = []
    for raw in names:
        for name in raw.split(","):
            type_ = ALIASES.get(name.strip().lower())
            if type_ is not None:
                needs.extend(OBJECT_SCOPES[type_][0])
    return tuple(dict.fromkeys(needs))


def unmet_clauses(granted: frozenset[str] | set[str], needs: Requirement) -> list[Clause]:
    """The clauses `granted` does not satisfy."""
    return [clause for clause in needs if clause and not clause & granted]


def missing_scopes_body(unmet: list[Clause]) -> dict:
    """HubSpot's 403: category MISSING_SCOPES, each unmet clause in errors[].context.requiredGranularScopes."""
    return {
        "status": "error",
        "message": "This app hasn't been granted all required scopes to make this call. "
        f"Read more about required scopes here: {SCOPES_URL}.",
        "correlationId": str(uuid.uuid4()),
        "errors": [
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": sorted(clause)},
            }
            for clause in unmet
        ],
        "links": {"scopes": SCOPES_URL},
        "category": "MISSING_SCOPES",
    }
