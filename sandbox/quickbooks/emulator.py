"""QuickBooks Online emulator: OAuth refresh-token rotation, the query grammar, CDC, throttling.

The real SDK (python-quickbooks) runs against it, so requests and answers follow QBO: the
query endpoint takes GET ?query= or POST application/text, errors come in the Fault envelope.
"""
from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import date, datetime, time as dtime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, Sequence

from aiohttp import web

from sandbox.book import QBO_REALM_ID, Account, filler_invoices
from sandbox.core import Emulator, RateWindow, bearer_token
from sandbox.quickbooks.query import ENTITIES, PACIFIC, QueryError, parse_query, parse_ts, run_query
from sandbox.quickbooks.webhooks import QuickBooksWebhooks

DEAL_FIELD = "Deal ID"
REFRESH_LIFETIME = 8_726_400  # seconds a refresh-token chain lives (101 days)
CDC_MAX_DAYS = 30
CURRENCY_NAMES = {"USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound Sterling"}
_dumps = partial(json.dumps, default=lambda o: float(o) if isinstance(o, Decimal) else str(o))


def stamp(dt: datetime) -> str:
    """QBO's MetaData format: seconds and the company's UTC offset."""
    return dt.astimezone(PACIFIC).replace(microsecond=0).isoformat()


class QuickBooksEmulator(QuickBooksWebhooks, Emulator):
    """One QBO company (QBO_REALM_ID) seeded from the book, plus >100 filler invoices."""

    name = "quickbooks"

    def __init__(self, accounts: Sequence[Account], *, today: date | None = None, fillers: int = 140) -> None:
        super().__init__(today)
        self.realm_id = QBO_REALM_ID
        self.client_id = "ABsandboxClientId0001"
        self.client_secret = "sandbox-client-secret-" + secrets.token_hex(8)
        self.webhook_verifier = "sandbox-verifier-" + secrets.token_hex(8)
        self.access_token_lifetime = 3600.0
        self.rate_limit = 500  # requests per minute per realm
        self.max_concurrent = 10  # requests in flight per realm
        self.window = RateWindow(self.rate_limit, 60.0)
        self.html_throttles = 0  # the next N throttles answer with the HTML 429 page
        self.issued_tokens: list[str] = []  # every token handed out, for leak checks in tests
        self._refresh_token = self._new_token("AB11")
        self._refresh_expires = time.monotonic() + REFRESH_LIFETIME
        self._access: dict[str, float] = {}
        self._anchor = datetime.combine(self.today, dtime(12, 0), tzinfo=PACIFIC)
        self._started = time.monotonic()
        self.clock_offset = timedelta()
        self.customers: dict[str, dict] = {}
        self._customer_ids: dict[str, str] = {}  # DisplayName -> Id
        self.invoices: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self.deleted: list[tuple[str, str, str]] = []  # (entity, id, LastUpdatedTime)
        self.webhook_changes: list[tuple[str, str, str]] = []  # changes made through the control methods
        self._next = 0
        self._seed(accounts, fillers)

    # -- clock and ids --------------------------------------------------------------------

    def now(self) -> datetime:
        """The company's clock: noon of `today` (Pacific) plus the real time elapsed."""
        return self._anchor + timedelta(seconds=time.monotonic() - self._started) + self.clock_offset

    def _id(self) -> str:
        self._next += 1
        return str(self._next)

    def _new_token(self, prefix: str) -> str:
        token = prefix + secrets.token_urlsafe(24)
        self.issued_tokens.append(token)
        return token

    # -- seeding --------------------------------------------------------------------------

    def _seed(self, accounts: Sequence[Account], fillers: int) -> None:
        entries: list[tuple[str, str | None, Any]] = []
        for account in accounts:
            entries += [(account.qbo_customer or account.company, account.deal_id, inv) for inv in account.invoices]
        for n, (customer, inv) in enumerate(filler_invoices(fillers)):
            entries.append((customer, None if n % 2 else "", inv))  # no deal field, or an empty one
        entries.sort(key=lambda e: -e[2].days_ago)
        payments = []
        for customer, deal, inv in entries:
            txn = self.today - timedelta(days=inv.days_ago)
            at = datetime.combine(txn, dtime(10, 0), tzinfo=PACIFIC)
            iid = self._make_invoice(customer, deal, inv.lines, txn, inv.terms_days, inv.currency, inv.doc, at)
            payments += [(days, iid, amount) for days, amount in inv.payments]
        for days, iid, amount in sorted(payments, key=lambda p: -p[0]):
            on = self.today - timedelta(days=days)
            self._make_payment([(iid, amount)], on, datetime.combine(on, dtime(10, 0), tzinfo=PACIFIC))

    def _customer(self, name: str, currency: str, at: datetime) -> dict:
        if name in self._customer_ids:
            return self.customers[self._customer_ids[name]]
        cid = str(len(self.customers) + 1)
        self.customers[cid] = {"Id": cid, "SyncToken": "0", "domain": "QBO", "DisplayName": name,
                               "CompanyName": name, "Active": True, "Balance": Decimal("0"),
                               "CurrencyRef": {"value": currency, "name": CURRENCY_NAMES.get(currency, currency)},
                               "MetaData": {"CreateTime": stamp(at), "LastUpdatedTime": stamp(at)}}
        self._customer_ids[name] = cid
        return self.customers[cid]

    def _make_invoice(self, customer: str, deal: str | None, lines: Sequence[tuple[str, Decimal]], txn: date,
                      terms: int, currency: str, doc: str | None, at: datetime) -> str:
        cust = self._customer(customer, currency, at)
        iid = self._id()
        total = sum((Decimal(a) for _, a in lines), Decimal("0"))
        fields = []
        if int(iid) % 3 == 0:  # another custom field, listed first: the deal field must be found by name
            fields.append({"DefinitionId": "1", "Name": "PO Number", "Type": "StringType",
                           "StringValue": f"PO-{4400 + int(iid)}"})
        if deal is not None:
            fields.append({"DefinitionId": "2", "Name": DEAL_FIELD, "Type": "StringType"}
                          | ({"StringValue": deal} if deal else {}))
        line_json: list[dict] = [
            {"Id": str(n), "LineNum": n, "Description": desc, "Amount": Decimal(amt),
             "DetailType": "SalesItemLineDetail",
             "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}, "Qty": 1, "UnitPrice": Decimal(amt)}}
            for n, (desc, amt) in enumerate(lines, 1)]
        line_json.append({"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
        self.invoices[iid] = {
            "Id": iid, "SyncToken": "0", "domain": "QBO", "sparse": False, "DocNumber": doc or str(1000 + int(iid)),
            "TxnDate": txn.isoformat(), "DueDate": (txn + timedelta(days=terms)).isoformat(),
            "TotalAmt": total, "Balance": total, "CustomerRef": {"value": cust["Id"], "name": cust["DisplayName"]},
            "CurrencyRef": {"value": currency, "name": CURRENCY_NAMES.get(currency, currency)}, "ExchangeRate": 1,
            "CustomField": fields, "Line": line_json, "LinkedTxn": [], "EmailStatus": "EmailSent",
            "MetaData": {"CreateTime": stamp(at), "LastUpdatedTime": stamp(at)}}
        return iid

    def _make_payment(self, applied: Sequence[tuple[str, Decimal]], on: date, at: datetime) -> str:
        invoices = [self.invoices[iid] for iid, _ in applied]
        for inv, (_, amount) in zip(invoices, applied):
            if Decimal(amount) <= 0 or Decimal(amount) > inv["Balance"]:
                raise ValueError(f"payment of {amount} does not fit invoice {inv['Id']} (balance {inv['Balance']})")
        pid = self._id()
        total = sum((Decimal(a) for _, a in applied), Decimal("0"))
        self.payments[pid] = {
            "Id": pid, "SyncToken": "0", "domain": "QBO", "TxnDate": on.isoformat(), "TotalAmt": total,
            "UnappliedAmt": Decimal("0"), "CustomerRef": dict(invoices[0]["CustomerRef"]),
            "CurrencyRef": dict(invoices[0]["CurrencyRef"]),
            "Line": [{"Amount": Decimal(a), "LinkedTxn": [{"TxnId": iid, "TxnType": "Invoice"}]} for iid, a in applied],
            "MetaData": {"CreateTime": stamp(at), "LastUpdatedTime": stamp(at)}}
        for inv, (_, amount) in zip(invoices, applied):
            inv["Balance"] -= Decimal(amount)
            inv["LinkedTxn"].append({"TxnId": pid, "TxnType": "Payment"})
            self._touch(inv, at)
        return pid

    @staticmethod
    def _touch(obj: dict, at: datetime) -> None:
        obj["SyncToken"] = str(int(obj["SyncToken"]) + 1)
        obj["MetaData"]["LastUpdatedTime"] = stamp(at)

    # -- control interface (tests) --------------------------------------------------------

    @property
    def current_refresh_token(self) -> str:
        """The one refresh token the token endpoint accepts now."""
        return self._refresh_token

    def env(self) -> dict[str, str]:
        """Variables pointing accountbot at this emulator (the current refresh token included)."""
        return {"QBO_CLIENT_ID": self.client_id, "QBO_CLIENT_SECRET": self.client_secret,
                "QBO_REALM_ID": self.realm_id, "QBO_REFRESH_TOKEN": self._refresh_token,
                "QBO_BASE_URL": self.base_url + "/v3", "QBO_TOKEN_URL": self.base_url + "/oauth2/v1/tokens/bearer",
                "QBO_WEBHOOK_VERIFIER": self.webhook_verifier}

    def add_payment(self, invoice_id: str, amount: Decimal | str, on: date | None = None, *,
                    also: Sequence[tuple[str, Decimal | str]] = ()) -> str:
        """Receive a payment applied to `invoice_id` (and the `also` invoices); its Id."""
        pid = self._make_payment([(invoice_id, Decimal(amount)), *[(i, Decimal(a)) for i, a in also]],
                                 on or self.today, self.now())
        self.record_change("Payment", pid, "Create")  # webhooks: see pending_webhook_delivery
        for iid in (invoice_id, *[i for i, _ in also]):
            self.record_change("Invoice", iid, "Update")
        return pid

    def add_invoice(self, customer: str, deal_id: str | None, amount: Decimal | str, *, days_ago: int = 0,
                    terms_days: int = 30, currency: str = "USD", doc: str | None = None) -> str:
        """Create an invoice (deal field set unless `deal_id` is None); its Id."""
        txn = self.today - timedelta(days=days_ago)
        return self._make_invoice(customer, deal_id, (("Services", Decimal(amount)),), txn, terms_days,
                                  currency, doc, self.now())

    def set_deal(self, invoice_id: str, deal_id: str | None) -> None:
        """Change (or clear) an invoice's deal field."""
        inv = self.invoices[invoice_id]
        inv["CustomField"] = [f for f in inv["CustomField"] if f["Name"] != DEAL_FIELD]
        if deal_id is not None:
            inv["CustomField"].append({"DefinitionId": "2", "Name": DEAL_FIELD, "Type": "StringType",
                                       "StringValue": deal_id})
        self._touch(inv, self.now())

    def delete_invoice(self, invoice_id: str) -> None:
        """Delete an invoice; CDC reports it with status Deleted."""
        del self.invoices[invoice_id]
        self.deleted.append(("Invoice", invoice_id, stamp(self.now())))
        self.record_change("Invoice", invoice_id, "Delete")  # webhooks: see pending_webhook_delivery

    def delete_payment(self, payment_id: str) -> None:
        """Delete a payment: its invoices owe the amounts again; CDC reports it with status Deleted."""
        payment = self.payments.pop(payment_id)
        at = self.now()
        for line in payment["Line"]:
            for link in line["LinkedTxn"]:
                inv = self.invoices.get(link["TxnId"]) if link["TxnType"] == "Invoice" else None
                if inv is None:
                    continue
                inv["Balance"] += Decimal(line["Amount"])
                inv["LinkedTxn"] = [t for t in inv["LinkedTxn"] if t != {"TxnId": payment_id, "TxnType": "Payment"}]
                self._touch(inv, at)
                self.record_change("Invoice", inv["Id"], "Update")
        self.deleted.append(("Payment", payment_id, stamp(at)))
        self.record_change("Payment", payment_id, "Delete")

    def find_invoice(self, doc: str) -> str:
        """The Id of the invoice with DocNumber `doc`."""
        return next(i for i, inv in self.invoices.items() if inv["DocNumber"] == doc)

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
        """QBO's Fault envelope."""
        body = {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code}], "type": kind},
                "time": self.now().isoformat(timespec="milliseconds")}
        return web.json_response(body, status=status, dumps=_dumps)

    def error_response(self, status: int, message: str, **extra: Any) -> web.Response:
        """Errors in the Fault envelope, by status."""
        if status == 429:
            return self.fault(429, "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                              "The request limit was reached.", "3001", "SERVICE")
        if status == 401:
            return self._auth_fault()
        if status >= 500:
            return self.fault(status, "An application error has occurred while processing your request",
                              f"System Failure Error: {message}", "10000", "SystemFault")
        return self.fault(status, message, message, "2010" if status != 404 else "610")

    def rate_limited_response(self, retry_after: float) -> web.Response:
        """The JSON 3001 throttle fault, or the edge's HTML page when one is queued."""
        if self.html_throttles > 0:
            self.html_throttles -= 1
            response = web.Response(status=429, content_type="text/html",
                                    text="<html><head><title>429 Too Many Requests</title></head>"
                                         "<body><h1>Too Many Requests</h1></body></html>")
            response.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
            return response
        return super().rate_limited_response(retry_after)

    def _auth_fault(self) -> web.Response:
        response = self.fault(401, "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                              "Token expired or invalid", "3200", "AUTHENTICATION")
        response.headers["WWW-Authenticate"] = 'Bearer realm="Intuit", error="invalid_token"'
        return response

    # -- routes ---------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/oauth2/v1/tokens/bearer", self._token)
        app.router.add_route("*", "/v3/company/{realm}/query", self._query)
        app.router.add_get("/v3/company/{realm}/cdc", self._cdc)
        app.router.add_get("/v3/company/{realm}/{entity}/{id}", self._read)

    async def _token(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        try:
            user, _, pwd = base64.b64decode(header[6:]).decode().partition(":") if header[:6].lower() == "basic " \
                else ("", "", "")
        except ValueError:
            user, pwd = "", ""
        if (user, pwd) != (self.client_id, self.client_secret):
            return web.json_response({"error": "invalid_client"}, status=401)
        form = await request.post()
        if form.get("grant_type") != "refresh_token":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if not secrets.compare_digest(str(form.get("refresh_token", "")), self._refresh_token) \
                or time.monotonic() > self._refresh_expires:
            return web.json_response({"error": "invalid_grant"}, status=400)
        self._refresh_token = self._new_token("AB11")  # every refresh rotates; the old one is refused
        access = self.issue_access_token()
        return web.json_response(
            {"access_token": access, "refresh_token": self._refresh_token, "token_type": "bearer",
             "expires_in": int(self.access_token_lifetime),
             "x_refresh_token_expires_in": int(self._refresh_expires - time.monotonic())},
            headers={"Cache-Control": "no-store"})

    def _guard(self, request: web.Request) -> web.Response | None:
        token = bearer_token(request)
        expires = self._access.get(token or "")
        if expires is None or expires <= time.monotonic():
            return self._auth_fault()
        if request.match_info["realm"] != self.realm_id:
            return self.fault(403, "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                              "The app is not authorised for this company", "003100", "AUTHENTICATION")
        self.window.limit = self.rate_limit
        wait = self.window.hit(self.realm_id)
        if self.inflight > self.max_concurrent:
            return self.rate_limited_response(1)
        if wait is not None:
            return self.rate_limited_response(wait)
        return None

    def _rows(self, entity: str) -> list[dict]:
        if entity == "Customer":
            balances: dict[str, Decimal] = {}
            for inv in self.invoices.values():
                cid = inv["CustomerRef"]["value"]
                balances[cid] = balances.get(cid, Decimal("0")) + inv["Balance"]
            for c in self.customers.values():
                c["Balance"] = balances.get(c["Id"], Decimal("0"))
        return list({"Invoice": self.invoices, "Payment": self.payments, "Customer": self.customers}[entity].values())

    def _ok(self, body: dict) -> web.Response:
        body["time"] = self.now().isoformat(timespec="milliseconds")
        return web.json_response(body, dumps=_dumps)

    async def _query(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        text = request.query.get("query") or (await request.text() if request.method == "POST" else "")
        if not text.strip():
            return self.fault(400, "Required param missing, need to supply the required value for the API",
                              "Required parameter query is missing in the request", "2020")
        try:
            q = parse_query(text)
            return self._ok({"QueryResponse": run_query(q, self._rows(q.entity))})
        except QueryError as exc:
            return self.fault(400, exc.message, exc.detail, exc.code)

    async def _read(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        entity = next((e for e in ENTITIES if e.lower() == request.match_info["entity"].lower()), None)
        if entity is None:
            return self.fault(400, "Unsupported Operation", f"Operation {request.match_info['entity']} is not supported.",
                              "500")
        row = next((r for r in self._rows(entity) if r["Id"] == request.match_info["id"]), None)
        if row is None:
            return self.fault(400, "Object Not Found", "Object Not Found : Something you're trying to use has been "
                              "made inactive. Check the fields with accounts, customers, items, vendors or employees.",
                              "610")
        return self._ok({entity: row})

    async def _cdc(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        names = [n.strip() for n in request.query.get("entities", "").split(",") if n.strip()]
        raw_since = request.query.get("changedSince", "")
        if not names or not raw_since:
            return self.fault(400, "Required param missing, need to supply the required value for the API",
                              "Required parameter entities and changedSince are missing", "2020")
        entities = [next((e for e in ENTITIES if e.lower() == n.lower()), n) for n in names]
        try:
            since = parse_ts(raw_since)
        except ValueError:
            return self.fault(400, "Invalid date format", f"Invalid changedSince: {raw_since}", "4001")
        if since < self.now() - timedelta(days=CDC_MAX_DAYS) or any(e not in ENTITIES for e in entities):
            return self.fault(400, "Invalid Query", "changedSince must be within the last 30 days and entities "
                              "must be supported", "4001")
        responses = []
        for entity in entities:
            changed = [r for r in self._rows(entity) if parse_ts(r["MetaData"]["LastUpdatedTime"]) >= since]
            changed += [{"domain": "QBO", "status": "Deleted", "Id": oid, "MetaData": {"LastUpdatedTime": at}}
                        for kind, oid, at in self.deleted if kind == entity and parse_ts(at) >= since]
            changed.sort(key=lambda r: parse_ts(r["MetaData"]["LastUpdatedTime"]))
            changed = changed[:1000]  # QBO returns at most 1000 objects, with no paging
            responses.append({entity: changed, "startPosition": 1, "maxResults": len(changed),
                              "totalCount": len(changed)} if changed else {})
        return self._ok({"CDCResponse": [{"QueryResponse": responses}]})
