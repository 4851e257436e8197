"""QuickBooks Online emulator: OAuth refresh-token rotation, the query grammar, CDC, throttling,
invoice updates and the two kinds of custom field.

The real SDK (python-quickbooks) runs against it, so requests and answers follow QBO: the
query endpoint takes GET ?query= or POST application/text, an update is POST .../invoice with a
JSON body, errors come in the Fault envelope.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from aiohttp import web

from sandbox.book import QBO_REALM_ID, Account
from sandbox.core import Emulator, RateWindow, bearer_token
from sandbox.quickbooks import faults
from sandbox.quickbooks.company import QuickBooksCompany
from sandbox.quickbooks.fields import CustomFieldMode, wants_enhanced
from sandbox.quickbooks.query import QueryError, parse_query, parse_ts, run_query
from sandbox.quickbooks.updates import parse_update

REFRESH_LIFETIME = 8_726_400  # seconds a refresh-token chain lives (101 days)
CDC_MAX_DAYS = 30
READABLE = ("Invoice", "Payment", "Customer")  # entities read by id and reported by CDC
_dumps = partial(json.dumps, default=lambda o: float(o) if isinstance(o, Decimal) else str(o))


class QuickBooksEmulator(QuickBooksCompany, Emulator):
    """One QBO company (QBO_REALM_ID) seeded from the book, plus >100 filler invoices.

    `custom_fields` says how the company holds the "Deal ID" invoice field: "legacy" (a legacy
    string custom field, on every read) or "enhanced" (a field of the newer custom-field feature,
    only on reads with include=enhancedAllCustomFields).
    """

    name = "quickbooks"

    def __init__(
        self,
        accounts: Sequence[Account],
        *,
        today: date | None = None,
        fillers: int = 140,
        custom_fields: CustomFieldMode = "legacy",
    ) -> None:
        super().__init__(today)
        self.realm_id = QBO_REALM_ID
        self.client_id = "ABsandboxClientId0001"
        self.client_secret = "sandbox-client-secret-" + secrets.token_hex(8)
        self.webhook_verifier = "sandbox-verifier-" + secrets.token_hex(8)
        self.access_token_lifetime = 3600.0
        self.lost_token_answers = 0  # the next token requests rotate the refresh token, then drop the connection
        self.rate_limit = 500  # requests per minute per realm
        self.max_concurrent = 10  # requests in flight per realm
        self.window = RateWindow(self.rate_limit, 60.0)
        self.html_throttles = 0  # the next N throttles answer with the HTML 429 page
        self.edited_before_next_updates = 0  # the next N invoice updates find it saved elsewhere (5010)
        # How a column list (SELECT Id, CustomField ...) is answered; Intuit's documentation has said both
        # "projections are not supported" and that answers are `sparse`: "honoured" returns only the columns,
        # "refused" answers 400, "no_custom_fields" returns the columns but leaves CustomField out.
        self.column_lists: str = "honoured"
        self.issued_tokens: list[str] = []  # every token handed out, for leak checks in tests
        self._refresh_token = self._new_token("AB11")
        self._refresh_expires = time.monotonic() + REFRESH_LIFETIME
        self._access: dict[str, float] = {}
        self._open_company(accounts, fillers, custom_fields)

    def _new_token(self, prefix: str) -> str:
        token = prefix + secrets.token_urlsafe(24)
        self.issued_tokens.append(token)
        return token

    # -- control interface (tests) --------------------------------------------------------

    @property
    def current_refresh_token(self) -> str:
        """The one refresh token the token endpoint accepts now."""
        return self._refresh_token

    def env(self) -> dict[str, str]:
        """Variables pointing accountbot at this emulator (the current refresh token included)."""
        return {
            "QBO_CLIENT_ID": self.client_id,
            "QBO_CLIENT_SECRET": self.client_secret,
            "QBO_REALM_ID": self.realm_id,
            "QBO_REFRESH_TOKEN": self._refresh_token,
            "QBO_BASE_URL": self.base_url + "/v3",
            "QBO_TOKEN_URL": self.base_url + "/oauth2/v1/tokens/bearer",
            "QBO_WEBHOOK_VERIFIER": self.webhook_verifier,
        }

    def set_access_token_lifetime(self, seconds: float) -> None:
        """Lifetime of access tokens issued from now on (QBO: 3600 s)."""
        self.access_token_lifetime = seconds

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is refused from now on."""
        self._access.clear()

    def issue_access_token(self) -> str:
        """A valid access token without rotating the refresh token (for raw requests in tests)."""
        token = self._new_token("eyJ")
        self._access[token] = time.monotonic() + self.access_token_lifetime
        return token

    def inject_html_throttle(self, count: int = 1) -> None:
        """The next `count` requests get the HTML 429 page the edge sometimes sends."""
        self.html_throttles += count
        self.inject(429, count, retry_after=1, path_contains="/v3/")

    # -- envelopes ------------------------------------------------------------------------

    def fault(self, status: int, message: str, detail: str, code: str, kind: str = "ValidationFault") -> web.Response:
        """QBO's Fault envelope (as in Intuit's "Handling common errors" sample payload)."""
        error = {"Message": message, "Detail": detail, "code": code, "element": ""}
        body = {"Fault": {"Error": [error], "type": kind}, "time": self.now().isoformat(timespec="milliseconds")}
        return web.json_response(body, status=status, dumps=_dumps)

    def error_response(self, status: int, message: str, **extra: Any) -> web.Response:
        """Errors in the Fault envelope, by status."""
        if status == 429:
            return self.fault(
                429,
                "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                "The request limit was reached.",
                "3001",
                "SERVICE",
            )
        if status == 401:
            return self._auth_fault()
        if status >= 500:
            return self.fault(
                status,
                "An application error has occurred while processing your request",
                f"System Failure Error: {message}",
                "10000",
                "SystemFault",
            )
        return self.fault(status, message, message, "2010" if status != 404 else "610")

    def rate_limited_response(self, retry_after: float) -> web.Response:
        """The JSON 3001 throttle fault, or the edge's HTML page when one is queued."""
        if self.html_throttles > 0:
            self.html_throttles -= 1
            response = web.Response(
                status=429,
                content_type="text/html",
                text="<html><head><title>429 Too Many Requests</title></head>"
                "<body><h1>Too Many Requests</h1></body></html>",
            )
            response.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
            return response
        return super().rate_limited_response(retry_after)

    def _auth_fault(self) -> web.Response:
        response = self.fault(
            401,
            "message=AuthenticationFailed; errorCode=003200; statusCode=401",
            "Token expired or invalid",
            "3200",
            "AUTHENTICATION",
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="Intuit", error="invalid_token"'
        return response

    # -- routes ---------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/oauth2/v1/tokens/bearer", self._token)
        app.router.add_route("*", "/v3/company/{realm}/query", self._query)
        app.router.add_get("/v3/company/{realm}/cdc", self._cdc)
        app.router.add_get("/v3/company/{realm}/preferences", self._read_preferences)
        app.router.add_post("/v3/company/{realm}/invoice", self._write_invoice)
        app.router.add_get("/v3/company/{realm}/{entity}/{id}", self._read)

    async def _token(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        try:
            user, _, pwd = (
                base64.b64decode(header[6:]).decode().partition(":") if header[:6].lower() == "basic " else ("", "", "")
            )
        except ValueError:
            user, pwd = "", ""
        if (user, pwd) != (self.client_id, self.client_secret):
            return web.json_response({"error": "invalid_client"}, status=401)
        form = await request.post()
        if form.get("grant_type") != "refresh_token":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if (
            not secrets.compare_digest(str(form.get("refresh_token", "")), self._refresh_token)
            or time.monotonic() > self._refresh_expires
        ):
            return web.json_response({"error": "invalid_grant"}, status=400)
        self._refresh_token = self._new_token("AB11")  # every refresh rotates; the old one is refused
        access = self.issue_access_token()
        if self.lost_token_answers > 0:  # rotated at Intuit, but the answer never reaches the caller
            self.lost_token_answers -= 1
            assert request.transport is not None
            request.transport.abort()
            raise asyncio.CancelledError
        return web.json_response(
            {
                "access_token": access,
                "refresh_token": self._refresh_token,
                "token_type": "bearer",
                "expires_in": int(self.access_token_lifetime),
                "x_refresh_token_expires_in": int(self._refresh_expires - time.monotonic()),
            },
            headers={"Cache-Control": "no-store"},
        )

    def _guard(self, request: web.Request) -> web.Response | None:
        token = bearer_token(request)
        expires = self._access.get(token or "")
        if expires is None or expires <= time.monotonic():
            return self._auth_fault()
        if request.match_info["realm"] != self.realm_id:
            return self.fault(
                403,
                "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                "The app is not authorised for this company",
                "003100",
                "AUTHENTICATION",
            )
        self.window.limit = self.rate_limit
        wait = self.window.hit(self.realm_id)
        if self.inflight > self.max_concurrent:
            return self.rate_limited_response(1)
        if wait is not None:
            return self.rate_limited_response(wait)
        return None

    def _ok(self, body: dict) -> web.Response:
        body["time"] = self.now().isoformat(timespec="milliseconds")
        return web.json_response(body, dumps=_dumps)

    async def _query(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        text = request.query.get("query") or (await request.text() if request.method == "POST" else "")
        if not text.strip():
            return self.fault(
                400,
                "Required param missing, need to supply the required value for the API",
                "Required parameter query is missing in the request",
                "2020",
            )
        try:
            q = parse_query(text)
            rows = self._rows(q.entity, include_enhanced=wants_enhanced(request.query))
            if q.fields is not None and self.column_lists == "refused":
                raise QueryError(f'QueryParserError: Encountered "{q.fields[0]}" at line 1, column 8.')
            answer = run_query(q, rows)
            if q.fields is not None and self.column_lists == "no_custom_fields":
                for obj in answer.get(q.entity, []):
                    obj.pop("CustomField", None)
            return self._ok({"QueryResponse": answer})
        except QueryError as exc:
            return self.fault(400, exc.message, exc.detail, exc.code)

    async def _read(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        entity = next((e for e in READABLE if e.lower() == request.match_info["entity"].lower()), None)
        if entity is None:
            return self.fault(
                400, "Unsupported Operation", f"Operation {request.match_info['entity']} is not supported.", "500"
            )
        rows = self._rows(entity, include_enhanced=wants_enhanced(request.query))
        row = next((r for r in rows if r["Id"] == request.match_info["id"]), None)
        if row is None:
            return self._refused(faults.not_found())
        return self._ok({entity: row})

    async def _read_preferences(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        return self._ok({"Preferences": self._rows("Preferences")[0]})

    async def _cdc(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        names = [n.strip() for n in request.query.get("entities", "").split(",") if n.strip()]
        raw_since = request.query.get("changedSince", "")
        if not names or not raw_since:
            return self.fault(
                400,
                "Required param missing, need to supply the required value for the API",
                "Required parameter entities and changedSince are missing",
                "2020",
            )
        entities = [next((e for e in READABLE if e.lower() == n.lower()), n) for n in names]
        try:
            since = parse_ts(raw_since)
        except ValueError:
            return self.fault(400, "Invalid date format", f"Invalid changedSince: {raw_since}", "4001")
        if since < self.now() - timedelta(days=CDC_MAX_DAYS) or any(e not in READABLE for e in entities):
            return self.fault(
                400,
                "Invalid Query",
                "changedSince must be within the last 30 days and entities must be supported",
                "4001",
            )
        responses = []
        include = wants_enhanced(request.query)  # whether CDC honours include is unconfirmed: it does here
        for entity in entities:
            changed = [
                r
                for r in self._rows(entity, include_enhanced=include)
                if parse_ts(r["MetaData"]["LastUpdatedTime"]) >= since
            ]
            changed += [
                {"domain": "QBO", "status": "Deleted", "Id": oid, "MetaData": {"LastUpdatedTime": at}}
                for kind, oid, at in self.deleted
                if kind == entity and parse_ts(at) >= since
            ]
            changed.sort(key=lambda r: parse_ts(r["MetaData"]["LastUpdatedTime"]))
            changed = changed[:1000]  # QBO returns at most 1000 objects, with no paging
            responses.append(
                {entity: changed, "startPosition": 1, "maxResults": len(changed), "totalCount": len(changed)}
                if changed
                else {}
            )
        return self._ok({"CDCResponse": [{"QueryResponse": responses}]})

    async def _write_invoice(self, request: web.Request) -> web.Response:
        """POST .../invoice: a sparse or full update of an existing invoice (creates are not modelled)."""
        if (refused := self._guard(request)) is not None:
            return refused
        try:
            operation = request.query.get("operation", "update")
            if operation != "update":
                raise faults.not_modelled(f"operation={operation} on invoices")
            if request.content_type != "application/json":  # QBO also reads XML; its answer to others is unconfirmed
                raise faults.unparseable(f"Content-Type {request.content_type!r} is not application/json")
            try:
                body = json.loads(await request.read())
            except ValueError:
                raise faults.unparseable() from None
            invoice = self._update_invoice(parse_update(body), include_enhanced=wants_enhanced(request.query))
        except faults.Refusal as refusal:
            return self._refused(refusal)
        return self._ok({"Invoice": invoice})

    def _refused(self, refusal: faults.Refusal) -> web.Response:
        return self.fault(refusal.status, refusal.message, refusal.detail, refusal.code, refusal.kind)
