"""Record writes: create, PATCH and batch update, each validated against the portal's properties.

One bad value fails the whole request (batch included) with 400 VALIDATION_ERROR. A batch
update naming ids that do not exist answers 207 with an OBJECT_NOT_FOUND error for those
ids and updates the others (HubSpot's spec documents 207 for batch/update; whether it can
fail the whole batch instead is *unconfirmed*). Writes set hs_lastmodifieddate when a value
changed, the stage dates when a deal moves, and queue deal webhooks (changeSource
INTEGRATION, sourceId the app id).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from sandbox.hubspot.data import ASSOCIATION_TYPES, ENGAGEMENTS, SINGULAR, CrmObject, iso
from sandbox.hubspot.http import ApiError, batch_body, batch_inputs, object_type, read_json
from sandbox.hubspot.stages import stage_problem
from sandbox.hubspot.values import Invalid, invalid_body, normalize
from sandbox.hubspot.webhooks import APP_ID

if TYPE_CHECKING:
    from sandbox.hubspot.data import Crm
    from sandbox.hubspot.schema import Schema

API_SOURCE: Final = ("INTEGRATION", str(APP_ID))
MAX_BATCH: Final = 100
Source = tuple[str, str]  # (changeSource, sourceId) of a change, as webhooks report it


class RecordWrites:
    """Create, update and batch update of CRM records (mixed into HubSpotEmulator)."""

    crm: Crm
    schema: Schema
    created: list[dict]

    if TYPE_CHECKING:

        def queue_property_change(
            self, type_: str, object_id: str, name: str, value: str | None, *, source: Source, occurred_at_ms: int
        ) -> None: ...

    # -- HTTP -----------------------------------------------------------------------------

    async def _create(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        body = await read_json(request)
        raw = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(raw, dict):
            raise ApiError(400, "properties is required")
        values = self._validated(type_, raw)
        if type_ in ENGAGEMENTS and not values.get("hs_timestamp"):
            raise _refused([Invalid("hs_timestamp", "REQUIRED", "hs_timestamp is required")])
        links = [self._association(type_, item) for item in body.get("associations") or []]
        now = self.crm.moment()
        stored = {k: v for k, v in values.items() if v is not None}
        if type_ == "deals" and stored.get("dealstage"):
            stored[f"hs_v2_date_entered_{stored['dealstage']}"] = iso(now)
        obj = self.crm.add(type_, stored, created=now)
        for to_type, to_id, _ in links:
            self.crm.link(type_, obj.id, to_type, to_id)
        self.created.append({"type": type_, "id": obj.id, "properties": dict(obj.properties), "associations": links})
        return web.json_response(obj.to_json(sorted(values)), status=201)

    async def _patch(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        _id_property(request.query.get("idProperty"))
        obj = self.crm.get(type_, request.match_info["id"])
        if obj is None:
            raise ApiError(
                404, "Object not found.  objectId are usually numeric.", context={"id": [request.match_info["id"]]}
            )
        body = await read_json(request)
        raw = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(raw, dict):
            raise ApiError(400, "properties is required")
        values = self._validated(type_, raw, obj)
        self.write(type_, obj, values, API_SOURCE)
        return web.json_response(obj.to_json(sorted(values) or None))

    async def _batch_update(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        body = await read_json(request)
        inputs = batch_inputs(body, MAX_BATCH, "{id, properties}")
        _id_property(body.get("idProperty"))
        ids = [str(item.get("id") or "") for item in inputs]
        if not all(ids) or not all(isinstance(item.get("properties"), dict) for item in inputs):
            raise ApiError(400, "inputs must be a list of {id, properties}")
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:  # wording *unconfirmed*
            raise ApiError(400, f"Duplicate IDs found in batch input: {repeated}. IDs must be unique")
        problems: list[Invalid] = []
        planned: list[tuple[CrmObject, dict[str, str | None]]] = []
        for id_, item in zip(ids, inputs):
            obj = self.crm.get(type_, id_)
            values, found = self._check(type_, item["properties"], obj)
            problems.extend(found)
            if obj is not None:
                planned.append((obj, values))
        if problems:
            raise _refused(problems)
        for obj, values in planned:
            self.write(type_, obj, values, API_SOURCE)
        results = [obj.to_json(sorted(values) or None) for obj, values in planned]
        missing = [i for i in ids if self.crm.get(type_, i) is None]
        errors = (
            [
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "context": {"ids": missing},
                    "message": f"Could not get some {SINGULAR[type_].upper()} objects, they may be deleted or not "
                    "exist. Check that ids are valid.",
                }
            ]
            if missing
            else None
        )
        return web.json_response(batch_body(results, errors), status=207 if missing else 200)

    # -- writing ----------------------------------------------------------------------------

    def write(
        self, type_: str, obj: CrmObject, values: Mapping[str, str | None], source: Source
    ) -> dict[str, str | None]:
        """Apply validated values; returns what changed. Moves set stage dates; deal changes queue webhooks."""
        changes = {k: v for k, v in values.items() if (obj.properties.get(k) or None) != v}
        if not changes:
            return {}
        now = self.crm.moment()
        calculated: dict[str, str | None] = {}
        if type_ == "deals" and "dealstage" in changes:
            old = obj.properties.get("dealstage")
            calculated[f"hs_v2_date_entered_{changes['dealstage']}"] = iso(now)
            if old:
                calculated[f"hs_v2_date_exited_{old}"] = iso(now)
        self.crm.update(type_, obj.id, **changes, **calculated)
        at_ms = int(now.timestamp() * 1000)
        for name, value in changes.items():
            self.queue_property_change(type_, obj.id, name, value, source=source, occurred_at_ms=at_ms)
        return changes

    def _validated(self, type_: str, raw: Mapping[str, Any], obj: CrmObject | None = None) -> dict[str, str | None]:
        """Stored values of `raw`, or ApiError 400 with every problem found."""
        values, problems = self._check(type_, raw, obj)
        if problems:
            raise _refused(problems)
        return values

    def _check(
        self, type_: str, raw: Mapping[str, Any], obj: CrmObject | None
    ) -> tuple[dict[str, str | None], list[Invalid]]:
        values, problems = normalize(self.schema, type_, raw, self.crm.owners)
        if type_ == "deals" and not problems:
            current = obj.properties if obj else {}
            problem = stage_problem(
                values.get("pipeline", current.get("pipeline")),
                values.get("dealstage", current.get("dealstage")),
                touched=values,
            )
            problems.extend([problem] if problem else [])
        return values, problems

    def _association(self, type_: str, item: Any) -> tuple[str, str, int]:
        """(to type, to id, type id) of one create-time association, validated."""
        to_id = str(((item or {}).get("to") or {}).get("id") or "")
        specs = (item or {}).get("types") or []
        if not to_id or not specs:
            raise ApiError(400, "Each association needs to.id and at least one type")
        for spec in specs:
            category, type_id = spec.get("associationCategory"), spec.get("associationTypeId")
            if category != "HUBSPOT_DEFINED":
                raise ApiError(400, f"associationTypeId {type_id} of category {category} is not defined in this portal")
            targets = [
                to
                for (frm, to), types in ASSOCIATION_TYPES.items()
                if frm == type_ and any(t == type_id for t, _ in types)
            ]
            if not targets:
                raise ApiError(400, f"{type_id} is not a valid association type id for {SINGULAR[type_]} records")
            if self.crm.get(targets[0], to_id) is None:
                raise ApiError(
                    400,
                    f"One or more associations are invalid: {SINGULAR[targets[0]]} {to_id} does not exist",
                    context={"ids": [to_id]},
                )
        return targets[0], to_id, specs[0]["associationTypeId"]


def _refused(problems: list[Invalid]) -> ApiError:
    message, extra = invalid_body(problems)
    return ApiError(400, message, **extra)


def _id_property(name: Any) -> None:
    if name not in (None, "hs_object_id"):
        raise ApiError(400, f"Unknown idProperty {name!r}")
