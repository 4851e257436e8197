"""HTTP emulator of the HubSpot CRM API, on the points the bot touches (see API_FACTS.md)."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Awaitable, Callable, Final, Sequence

from aiohttp import web

from sandbox.book import PORTAL_ID, Account
from sandbox.core import Emulator, RateWindow, bearer_token
from sandbox.hubspot import search
from sandbox.hubspot.data import (ALIASES, ASSOCIATION_TYPES, DATETIME_PROPERTIES, ENGAGEMENTS, SINGULAR,
                                  TICKET_PIPELINE, Crm, deal_pipelines_json, iso, ticket_pipelines_json)
from sandbox.hubspot.webhooks import HubSpotWebhooks

DEFAULT_TOKEN: Final = "pat-na1-sandbox-0000-4471203"
DEFAULT_APP_SECRET: Final = "sandbox-hubspot-app-secret"
CATEGORIES: Final = {400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 403: "MISSING_SCOPES",
                     404: "OBJECT_NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 409: "CONFLICT"}
NO_CREDENTIALS: Final = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and "
                         "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """Answer with HubSpot's error envelope."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


class HubSpotEmulator(HubSpotWebhooks, Emulator):
    """The CRM of portal PORTAL_ID: deals, companies, tickets, engagements, pipelines, owners."""

    name = "hubspot"

    def __init__(self, accounts: Sequence[Account], *, today: date | None = None, access_token: str = DEFAULT_TOKEN,
                 app_secret: str = DEFAULT_APP_SECRET, fillers: bool = True) -> None:
        super().__init__(today)
        self.accounts = tuple(accounts)
        self.access_token = access_token
        self.app_secret = app_secret
        self.crm = Crm.seeded(self.accounts, self.today, fillers=fillers)
        self.general_window = RateWindow(190, 10.0)  # per token, Professional/Enterprise
        self.search_window = RateWindow(5, 1.0)  # the search endpoints' own limit
        self.association_page_size = 500  # v4 batch read: associations per source per page
        self.created: list[dict] = []  # records created through the API, in order

    def env(self) -> dict[str, str]:
        """Variables that point accountbot at this emulator."""
        return {"HUBSPOT_ACCESS_TOKEN": self.access_token, "HUBSPOT_PORTAL_ID": PORTAL_ID,
                "HUBSPOT_BASE_URL": self.base_url, "HUBSPOT_APP_SECRET": self.app_secret}

    # -- control (tests, demo) -------------------------------------------------------------

    def add_deal(self, deal_id: str, name: str, *, company: str | None = None, stage: str = "closedwon",
                 pipeline: str = "default", amount: str | None = "1000.00", close_days_ago: float = 0,
                 owner: str | None = "maya") -> None:
        """Add a deal (and its company, when named)."""
        self.crm.seed_deal(id=deal_id, name=name, company=company, stage=stage, pipeline=pipeline,
                           amount=None if amount is None else Decimal(amount), currency="USD",
                           close=self.crm.now - timedelta(days=close_days_ago), owner=owner)

    def remove_deal(self, deal_id: str) -> None:
        """Delete a deal and its associations."""
        self.crm.remove("deals", deal_id)

    def add_ticket(self, deal_id: str, subject: str, *, priority: str = "HIGH", stage: str = "1",
                   days_ago: float = 0.0) -> str:
        """Open a ticket on the deal; returns its id."""
        ticket = self.crm.add("tickets", {
            "subject": subject, "content": subject, "hs_pipeline": TICKET_PIPELINE[0],
            "hs_pipeline_stage": stage, "hs_ticket_priority": priority, "hs_ticket_category": None,
        }, created=self.crm.now - timedelta(days=days_ago))
        self.crm.link("tickets", ticket.id, "deals", deal_id)
        return ticket.id

    def set_ticket_stage(self, ticket_id: str, stage: str) -> None:
        """Move a ticket to another stage of the support pipeline."""
        self.crm.update("tickets", ticket_id, hs_pipeline_stage=stage)

    def associated_ids(self, from_type: str, from_id: str, to_type: str) -> list[str]:
        """Ids of the `to_type` records associated with a record."""
        return [i for i, _ in self.crm.associated(ALIASES[from_type], from_id, ALIASES[to_type])]

    # -- HTTP -----------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/crm/v3/objects/{type}/search", self._guard(self._search, search=True))
        r.add_post("/crm/v3/objects/{type}/batch/read", self._guard(self._batch_read))
        r.add_get("/crm/v3/objects/{type}/{id}", self._guard(self._get_object))
        r.add_post("/crm/v3/objects/{type}", self._guard(self._create))
        r.add_get("/crm/v3/pipelines/{type}", self._guard(self._pipelines))
        r.add_get("/crm/v3/pipelines/{type}/{pipeline}", self._guard(self._pipelines))
        r.add_get("/crm/v3/owners", self._guard(self._owners))
        r.add_get("/crm/v3/owners/", self._guard(self._owners))
        r.add_get("/crm/v3/owners/{id}", self._guard(self._owner))
        r.add_post("/crm/v4/associations/{from}/{to}/batch/read", self._guard(self._associations))

    def error_response(self, status: int, message: str, **extra: Any) -> web.Response:
        """HubSpot's error envelope."""
        body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                "category": CATEGORIES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")}
        body.update(extra)
        return web.json_response(body, status=status)

    def rate_limited_response(self, retry_after: float, policy: str = "SECONDLY") -> web.Response:
        """HubSpot's 429: errorType RATE_LIMIT, the policy that tripped, and Retry-After."""
        label = "secondly" if policy == "SECONDLY" else policy.lower()
        response = web.json_response({
            "status": "error", "message": f"You have reached your {label} limit.", "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()), "policyName": policy}, status=429)
        response.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
        return response

    def _guard(self, handler: Handler, *, search: bool = False) -> Handler:
        """Bearer auth, then the token's rate window, then the handler; ApiError -> envelope."""
        async def guarded(request: web.Request) -> web.StreamResponse:
            token = bearer_token(request)
            if not token:
                return self.error_response(401, NO_CREDENTIALS)
            if token != self.access_token:
                return self.error_response(401, "The OAuth token used to make this call is not valid.")
            window = self.search_window if search else self.general_window
            wait = window.hit(token)
            if wait is not None:
                return self.rate_limited_response(wait, "SECONDLY" if search else "TEN_SECONDLY_ROLLING")
            try:
                response = await handler(request)
            except ApiError as exc:
                response = self.error_response(exc.status, exc.message, **exc.extra)
            if not search:
                used = len(window.hits[token])
                response.headers["X-HubSpot-RateLimit-Max"] = str(window.limit)
                response.headers["X-HubSpot-RateLimit-Remaining"] = str(max(0, window.limit - used))
                response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(int(window.window * 1000))
            return response
        return guarded

    async def _search(self, request: web.Request) -> web.Response:
        type_ = _object_type(request.match_info["type"])
        try:
            query = search.parse(await _json(request))
        except search.SearchError as exc:
            raise ApiError(400, str(exc)) from None
        page, total, after = search.run(query, self.crm.objects[type_].values(), type_)
        body: dict[str, Any] = {"total": total, "results": [o.to_json(query.properties) for o in page]}
        if after is not None:
            body["paging"] = {"next": {"after": str(after)}}
        return web.json_response(body)

    async def _batch_read(self, request: web.Request) -> web.Response:
        type_ = _object_type(request.match_info["type"])
        body = await _json(request)
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not all(isinstance(i, dict) and i.get("id") for i in inputs):
            raise ApiError(400, "inputs must be a list of {id}")
        if len(inputs) > 100:
            raise ApiError(400, f"Batch input size {len(inputs)} exceeds the limit of 100")
        if body.get("idProperty") not in (None, "hs_object_id"):
            raise ApiError(400, f"Unknown idProperty {body['idProperty']!r}")
        props = body.get("properties") or None
        found, missing = [], []
        for item in inputs:
            obj = self.crm.get(type_, str(item["id"]))
            (found if obj else missing).append(obj.to_json(props) if obj else str(item["id"]))
        result = _batch(found)
        if missing:
            result["numErrors"] = 1
            result["errors"] = [{
                "status": "error", "category": "OBJECT_NOT_FOUND", "context": {"ids": missing},
                "message": f"Could not get some {SINGULAR[type_].upper()} objects, they may be deleted or "
                           "not exist. Check that ids are valid."}]
        return web.json_response(result, status=207 if missing else 200)

    async def _get_object(self, request: web.Request) -> web.Response:
        type_ = _object_type(request.match_info["type"])
        obj = self.crm.get(type_, request.match_info["id"])
        if obj is None:
            raise ApiError(404, "Object not found.  objectId are usually numeric.",
                           context={"id": [request.match_info["id"]]})
        body = obj.to_json(_list_param(request, "properties"))
        associations: dict[str, Any] = {}
        for name in _list_param(request, "associations") or []:
            to_type = ALIASES.get(name.lower())  # unknown types are ignored, as HubSpot does
            links = self.crm.associated(type_, obj.id, to_type) if to_type else []
            if links:
                associations[to_type] = {"results": [
                    {"id": to_id, "type": f"{SINGULAR[type_]}_to_{SINGULAR[to_type]}" + ("_unlabeled" if k else "")}
                    for to_id, type_ids in links for k, _ in enumerate(type_ids)]}
        if associations:
            body["associations"] = associations
        return web.json_response(body)

    async def _create(self, request: web.Request) -> web.Response:
        type_ = _object_type(request.match_info["type"])
        body = await _json(request)
        props = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(props, dict):
            raise ApiError(400, "properties is required")
        props = {str(k): None if v is None else str(v) for k, v in props.items()}
        if type_ in ENGAGEMENTS:
            stamp = props.get("hs_timestamp")
            if not stamp:
                raise ApiError(400, _invalid("hs_timestamp", "REQUIRED", "hs_timestamp is required"))
        for name in DATETIME_PROPERTIES & props.keys():
            if props[name]:
                try:
                    props[name] = iso(datetime.fromtimestamp(search.millis(props[name]) / 1000, timezone.utc))
                except ValueError:
                    raise ApiError(400, _invalid(name, "INVALID_DATE", f"{props[name]!r} is not a valid date")) from None
        links = [self._association(type_, item) for item in body.get("associations") or []]
        obj = self.crm.add(type_, props, created=datetime.now(timezone.utc))
        for to_type, to_id, _ in links:
            self.crm.link(type_, obj.id, to_type, to_id)
        self.created.append({"type": type_, "id": obj.id, "properties": dict(obj.properties),
                             "associations": links})
        return web.json_response(obj.to_json(sorted(props)), status=201)

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
            targets = [to for (frm, to), types in ASSOCIATION_TYPES.items()
                       if frm == type_ and any(t == type_id for t, _ in types)]
            if not targets:
                raise ApiError(400, f"{type_id} is not a valid association type id for {SINGULAR[type_]} records")
            if self.crm.get(targets[0], to_id) is None:
                raise ApiError(400, f"One or more associations are invalid: {SINGULAR[targets[0]]} {to_id} does not exist",
                               context={"ids": [to_id]})
        return targets[0], to_id, specs[0]["associationTypeId"]

    async def _pipelines(self, request: web.Request) -> web.Response:
        type_ = _object_type(request.match_info["type"])
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
        page = owners[after:after + limit]
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
        from_type = _object_type(request.match_info["from"])
        to_type = _object_type(request.match_info["to"])
        labels = dict(ASSOCIATION_TYPES.get((from_type, to_type), ()))
        if not labels:
            raise ApiError(400, f"No association types exist between {from_type} and {to_type}")
        body = await _json(request)
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not all(isinstance(i, dict) and i.get("id") for i in inputs):
            raise ApiError(400, "inputs must be a list of {id, after?}")
        if len(inputs) > 1000:
            raise ApiError(400, f"Batch input size {len(inputs)} exceeds the limit of 1000")
        results, errors = [], []
        size = self.association_page_size
        for item in inputs:
            from_id = str(item["id"])
            start = _decode_after(item.get("after"))
            links = self.crm.associated(from_type, from_id, to_type)
            if not links:
                errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                               "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                               "context": {"fromObjectId": [from_id]},
                               "message": f"No {SINGULAR[to_type]} is associated with {SINGULAR[from_type]} {from_id}."})
                continue
            page = links[start:start + size]
            result: dict[str, Any] = {"from": {"id": from_id}, "to": [
                {"toObjectId": int(to_id),  # a number on the wire, though the SDK models a string
                 "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": t, "label": labels.get(t)}
                                      for t in type_ids]}
                for to_id, type_ids in page]}
            if start + size < len(links):
                result["paging"] = {"next": {"after": _encode_after(start + size)}}
            results.append(result)
        out = _batch(results)
        if errors:
            out.update(numErrors=len(errors), errors=errors)
        return web.json_response(out, status=207 if errors else 200)


def _object_type(name: str) -> str:
    type_ = ALIASES.get(name.lower())
    if type_ is None:
        raise ApiError(400, f"Unable to infer object type from: {name}")
    return type_


async def _json(request: web.Request) -> Any:
    try:
        return json.loads(await request.text() or "null")
    except ValueError as exc:
        raise ApiError(400, f"Invalid input JSON on line 1: {exc}") from None


def _list_param(request: web.Request, name: str) -> list[str] | None:
    """A list query parameter, repeated (`?p=a&p=b`, as the SDK sends it) or comma-separated."""
    values = [v for raw in request.query.getall(name, []) for v in raw.split(",") if v]
    return values or None


def _int_param(request: web.Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, default))
    except ValueError:
        raise ApiError(400, f"{name} must be an integer") from None


def _batch(results: list) -> dict[str, Any]:
    stamp = iso(datetime.now(timezone.utc))
    return {"status": "COMPLETE", "results": results, "startedAt": stamp, "completedAt": stamp}


def _invalid(name: str, error: str, message: str) -> str:
    detail = json.dumps([{"isValid": False, "message": message, "error": error, "name": name}])
    return f"Property values were not valid: {detail}"


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
