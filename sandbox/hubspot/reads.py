"""Record reads: search, batch read, one record with its associations, pipelines, owners, v4 associations."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from sandbox.hubspot import search
from sandbox.hubspot.data import ALIASES, ASSOCIATION_TYPES, SINGULAR, deal_pipelines_json, ticket_pipelines_json
from sandbox.hubspot.http import ApiError, batch_body, batch_inputs, object_type, read_json

INLINE_ASSOCIATIONS: Final = 100  # associations of one type a v3 record read returns inline

if TYPE_CHECKING:
    from sandbox.hubspot.data import Crm
    from sandbox.hubspot.schema import Schema


class ReadApi:
    """The read endpoints of the CRM (mixed into HubSpotEmulator)."""

    crm: Crm
    schema: Schema
    association_page_size: int
    base_url: str

    if TYPE_CHECKING:

        def known(self, type_: str, names: list[str] | None) -> list[str] | None: ...

    async def _search(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        try:
            query = search.parse(await read_json(request), lambda name: self.schema.kind(type_, name))
        except search.SearchError as exc:
            raise ApiError(400, str(exc)) from None
        now = self.crm.clock()
        visible = [v for o in list(self.crm.objects[type_].values()) if (v := o.indexed(now)) is not None]
        page, total, after = search.run(query, visible, type_)
        props = self.known(type_, None if query.properties is None else list(query.properties))
        body: dict[str, Any] = {"total": total, "results": [o.to_json(props) for o in page]}
        if after is not None:
            body["paging"] = {"next": {"after": str(after)}}
        return web.json_response(body)

    async def _batch_read(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        body = await read_json(request)
        inputs = batch_inputs(body, 100)
        if not all(i.get("id") for i in inputs):
            raise ApiError(400, "inputs must be a list of {id}")
        if body.get("idProperty") not in (None, "hs_object_id"):
            raise ApiError(400, f"Unknown idProperty {body['idProperty']!r}")
        props = self.known(type_, body.get("properties") or None)
        found: list[dict[str, Any]] = []
        missing: list[str] = []
        for item in inputs:
            obj = self.crm.get(type_, str(item["id"]))
            if obj:
                found.append(obj.to_json(props))
            else:
                missing.append(str(item["id"]))
        errors = (
            [
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "context": {"ids": missing},
                    "message": f"Could not get some {SINGULAR[type_].upper()} objects, they may be deleted or "
                    "not exist. Check that ids are valid.",
                }
            ]
            if missing
            else None
        )
        return web.json_response(batch_body(found, errors), status=207 if missing else 200)

    async def _get_object(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        obj = self.crm.get(type_, request.match_info["id"])
        if obj is None:
            raise ApiError(
                404, "Object not found.  objectId are usually numeric.", context={"id": [request.match_info["id"]]}
            )
        body = obj.to_json(self.known(type_, _list_param(request, "properties")))
        associations: dict[str, Any] = {}
        for name in _list_param(request, "associations") or []:
            to_type = ALIASES.get(name.lower())
            if to_type is None:
                continue  # unknown types are ignored, as HubSpot does
            items = [
                {"id": to_id, "type": f"{SINGULAR[type_]}_to_{SINGULAR[to_type]}" + ("_unlabeled" if k else "")}
                for to_id, type_ids in self.crm.associated(type_, obj.id, to_type)
                for k, _ in enumerate(type_ids)
            ]
            if items:
                # Inline associations stop at INLINE_ASSOCIATIONS per type; the rest is paged (v4 reads them).
                associations[to_type] = {"results": items[:INLINE_ASSOCIATIONS]}
                if len(items) > INLINE_ASSOCIATIONS:
                    after = _encode_after(INLINE_ASSOCIATIONS)
                    link = f"{self.base_url}/crm/v3/objects/{type_}/{obj.id}/associations/{to_type}?after={after}"
                    associations[to_type]["paging"] = {"next": {"after": after, "link": link}}
        if associations:
            body["associations"] = associations
        return web.json_response(body)

    async def _pipelines(self, request: web.Request) -> web.Response:
        type_ = object_type(request.match_info["type"])
        all_ = {"deals": deal_pipelines_json, "tickets": ticket_pipelines_json}.get(type_, lambda at: [])(self.crm.now)
        wanted = request.match_info.get("pipeline")
        if wanted is None:
            return web.json_response({"results": all_})
        for pipeline in all_:
            if pipeline["id"] == wanted:
                return web.json_response(pipeline)
        raise ApiError(404, f"Unable to find pipeline {wanted} for object type {type_}")

    async def _owners(self, request: web.Request) -> web.Response:
        limit = _int_param(request, "limit", 100)
        if not 1 <= limit <= 500:
            raise ApiError(400, f"limit must be between 1 and 500, not {limit}")
        after = _int_param(request, "after", 0)
        owners = sorted(self.crm.owners.values(), key=lambda o: int(o.id))
        if request.query.get("email"):
            owners = [o for o in owners if o.email.lower() == request.query["email"].lower()]
        if request.query.get("archived", "false").lower() == "true":
            owners = []
        page = owners[after : after + limit]
        body: dict[str, Any] = {"results": [o.to_json(self.crm.now - timedelta(days=700)) for o in page]}
        if after + limit < len(owners):
            body["paging"] = {"next": {"after": str(after + limit)}}
        return web.json_response(body)

    async def _owner(self, request: web.Request) -> web.Response:
        key, by = request.match_info["id"], request.query.get("idProperty", "id")
        if by not in ("id", "userId"):
            raise ApiError(400, f"idProperty must be id or userId, not {by!r}")
        for owner in self.crm.owners.values():
            if (owner.id if by == "id" else str(owner.user_id)) == key:
                return web.json_response(owner.to_json(self.crm.now - timedelta(days=700)))
        raise ApiError(404, f"No owner found with {by} {key}")

    async def _associations(self, request: web.Request) -> web.Response:
        from_type = object_type(request.match_info["from"])
        to_type = object_type(request.match_info["to"])
        labels = dict(ASSOCIATION_TYPES.get((from_type, to_type), ()))
        if not labels:
            raise ApiError(400, f"No association types exist between {from_type} and {to_type}")
        inputs = batch_inputs(await read_json(request), 1000, "{id, after?}")
        if not all(i.get("id") for i in inputs):
            raise ApiError(400, "inputs must be a list of {id, after?}")
        results, errors = [], []
        size = self.association_page_size
        for item in inputs:
            from_id = str(item["id"])
            start = _decode_after(item.get("after"))
            links = self.crm.associated(from_type, from_id, to_type)
            if not links:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "context": {"fromObjectId": [from_id]},
                        "message": f"No {SINGULAR[to_type]} is associated with {SINGULAR[from_type]} {from_id}.",
                    }
                )
                continue
            page = links[start : start + size]
            result: dict[str, Any] = {
                "from": {"id": from_id},
                "to": [
                    {
                        "toObjectId": int(to_id),  # a number on the wire, though the SDK models a string
                        "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": t, "label": labels.get(t)} for t in type_ids
                        ],
                    }
                    for to_id, type_ids in page
                ],
            }
            if start + size < len(links):
                result["paging"] = {"next": {"after": _encode_after(start + size)}}
            results.append(result)
        return web.json_response(batch_body(results, errors), status=207 if errors else 200)


def _list_param(request: web.Request, name: str) -> list[str] | None:
    """A list query parameter, repeated (`?p=a&p=b`, as the SDK sends it) or comma-separated."""
    values = [v for raw in request.query.getall(name, []) for v in raw.split(",") if v]
    return values or None


def _int_param(request: web.Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, default))
    except ValueError:
        raise ApiError(400, f"{name} must be an integer") from None


def _encode_after(offset: int) -> str:
    """Association paging tokens are opaque, as HubSpot's are."""
    return base64.urlsafe_b64encode(f"offset-{offset}".encode()).decode().rstrip("=")


def _decode_after(token: Any) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4)).decode()
        return int(text.removeprefix("offset-"))
    except ValueError:
        raise ApiError(400, f"Invalid paging token {token!r}") from None
