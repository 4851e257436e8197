"""The properties API: list, read, create (one or a batch), archive properties, and property groups.

Create takes name (lowercase letters, digits and `_`, starting with a letter), label, type,
fieldType (string: text/textarea; number: number; date and datetime: date; enumeration:
select/radio/checkbox with non-empty options [{label, value}]; bool: booleancheckbox with the
options true and false) and groupName (the group must exist); `description` is kept. A taken
name answers 409 category OBJECT_ALREADY_EXISTS; a batch create with some taken names answers
207 with an error per taken name and creates the rest (HubSpot's spec documents 207 for it).
*Unconfirmed*: the wording of these messages, and 400 for archiving a HubSpot-defined property.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from sandbox.hubspot.data import iso
from sandbox.hubspot.http import ApiError, batch_body, batch_inputs, object_type, read_json
from sandbox.hubspot.schema import FIELD_TYPES, Group, Option, PropertyDef

if TYPE_CHECKING:
    from sandbox.hubspot.data import Crm
    from sandbox.hubspot.schema import Schema

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
NAME_RE: Final = re.compile(r"^[a-z][a-z0-9_]*$")
BOOL_OPTIONS: Final = (
    "Boolean properties must have exactly two options; one with a value of 'true', the other with a value of 'false'."
)


class PropertiesApi:
    """Handlers of /crm/v3/properties/{type}... (mixed into HubSpotEmulator)."""

    crm: Crm
    schema: Schema

    def add_property_routes(self, app: web.Application, guard: Callable[[Handler], Handler]) -> None:
        """Register the properties endpoints, each through `guard` (auth, rate window, scopes)."""
        r = app.router
        base = "/crm/v3/properties/{type}"
        r.add_get(base, guard(self._list_properties))
        r.add_post(base, guard(self._create_property))
        r.add_post(base + "/batch/create", guard(self._create_properties))
        r.add_get(base + "/groups", guard(self._list_groups))
        r.add_post(base + "/groups", guard(self._create_group))
        r.add_get(base + "/groups/{name}", guard(self._get_group))
        r.add_get(base + "/{name}", guard(self._get_property))
        r.add_delete(base + "/{name}", guard(self._delete_property))

    async def _list_properties(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        archived = request.query.get("archived", "false").lower() == "true"
        props = [] if archived else self.schema.properties[type_].values()
        return web.json_response({"results": [p.to_json() for p in props]})

    async def _get_property(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        return web.json_response(self._existing(type_, request.match_info["name"]).to_json())

    async def _create_property(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        prop = self._definition(type_, await read_json(request))
        if self.schema.get(type_, prop.name):
            raise _exists(prop.name)
        self.schema.properties[type_][prop.name] = prop
        return web.json_response(prop.to_json(), status=201)

    async def _create_properties(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        defs = [self._definition(type_, item) for item in batch_inputs(await read_json(request), 100, "properties")]
        created, errors = [], []
        for prop in defs:
            if self.schema.get(type_, prop.name):
                exc = _exists(prop.name)
                errors.append({"status": "error", "message": exc.message, **exc.extra})
                continue
            self.schema.properties[type_][prop.name] = prop
            created.append(prop.to_json())
        return web.json_response(batch_body(created, errors), status=207 if errors else 201)

    async def _delete_property(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        prop = self._existing(type_, request.match_info["name"])
        if prop.hubspot_defined:
            raise ApiError(400, f"{prop.name} is a HubSpot-defined property and cannot be archived")
        del self.schema.properties[type_][prop.name]
        return web.Response(status=204)

    async def _list_groups(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        return web.json_response({"results": [g.to_json() for g in self.schema.groups[type_].values()]})

    async def _get_group(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        group = self.schema.groups[type_].get(request.match_info["name"])
        if group is None:
            raise ApiError(404, f"Property group {request.match_info['name']} does not exist for {type_}")
        return web.json_response(group.to_json())

    async def _create_group(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        body = _object(await read_json(request))
        name, label = _name(body), _label(body)
        if name in self.schema.groups[type_]:
            raise ApiError(
                409,
                f"A property group named {name} already exists",
                category="OBJECT_ALREADY_EXISTS",
                context={"name": [name]},
            )
        group = Group(name, label, _int(body.get("displayOrder", -1), "displayOrder"))
        self.schema.groups[type_][name] = group
        return web.json_response(group.to_json(), status=201)

    # -- definitions ----------------------------------------------------------------------

    def _existing(self, type_: str, name: str) -> PropertyDef:
        prop = self.schema.get(type_, name)
        if prop is None:
            raise ApiError(404, f"Unable to find property {name} for object type {type_}", context={"name": [name]})
        return prop

    def _definition(self, type_: str, raw: Any) -> PropertyDef:
        """A new property from a create body; 400 VALIDATION_ERROR naming the first bad field."""
        body = _object(raw)
        name, label = _name(body), _label(body)
        kind, field_type, group = body.get("type"), body.get("fieldType"), body.get("groupName")
        if kind not in FIELD_TYPES:
            raise _invalid("type", f"type must be one of {', '.join(FIELD_TYPES)}, not {kind!r}")
        if field_type not in FIELD_TYPES[kind]:
            raise _invalid(
                "fieldType",
                f"fieldType {field_type!r} is not valid for type {kind}; "
                f"use one of {', '.join(sorted(FIELD_TYPES[kind]))}",
            )
        if not isinstance(group, str) or not group:
            raise _invalid("groupName", "groupName is required")
        if group not in self.schema.groups[type_]:
            raise _invalid("groupName", f"Property group {group} does not exist for {type_}")
        description = body.get("description") or ""
        if not isinstance(description, str):
            raise _invalid("description", "description must be a string")
        return PropertyDef(
            name,
            label,
            kind,
            field_type,
            group,
            description=description,
            options=_options(kind, body.get("options")),
            hubspot_defined=False,
            display_order=_int(body.get("displayOrder", -1), "displayOrder"),
            created_at=iso(self.crm.moment()),
        )


def _object(raw: Any) -> dict:
    if not isinstance(raw, dict):
        raise ApiError(400, "Invalid input JSON: expected an object")
    return raw


def _name(body: dict) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise _invalid(
            "name",
            f"{name!r} is not a valid name: use lowercase letters, digits and underscores, starting with a letter",
        )
    return name


def _label(body: dict) -> str:
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise _invalid("label", "label is required")
    return label


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(field, f"{field} must be an integer")
    return value


def _options(kind: str, raw: Any) -> tuple[Option, ...]:
    """The options of an enumeration (required, non-empty, unique values) or a bool (true and false)."""
    if kind not in ("enumeration", "bool"):
        return ()
    if not isinstance(raw, list) or not raw:
        raise _invalid("options", BOOL_OPTIONS if kind == "bool" else "Enumeration properties need at least one option")
    options = []
    for n, item in enumerate(raw):
        label = item.get("label") if isinstance(item, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(label, str) or not label or not isinstance(value, str) or not value:
            raise _invalid("options", f"options[{n}] needs a label and a value")
        options.append(Option(label, value, item.get("displayOrder", n), item.get("description") or ""))
    values = [o.value for o in options]
    if len(set(values)) != len(values):
        raise _invalid("options", "Option values must be unique")
    if kind == "bool" and sorted(values) != ["false", "true"]:
        raise _invalid("options", BOOL_OPTIONS)
    return tuple(options)


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(400, message, errors=[{"message": message, "in": field}])


def _exists(name: str) -> ApiError:
    return ApiError(
        409, f"A property named {name} already exists", category="OBJECT_ALREADY_EXISTS", context={"name": [name]}
    )
