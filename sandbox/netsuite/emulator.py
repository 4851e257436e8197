"""NetSuite (SuiteTalk REST) emulator: Token-Based Authentication, SuiteQL over invoices,
payments and their links, the invoice record (GET / PATCH), and the account's concurrency limit."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as dtime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from sandbox.book import Account
from sandbox.core import Emulator
from sandbox.netsuite import problems
from sandbox.netsuite.auth import LoginRefused, TokenVerifier
from sandbox.netsuite.ledger import CURRENCIES, OTHER_FIELD, Ledger
from sandbox.netsuite.records import RECORD_PATH, PatchRefused, check_patch, invoice_json
from sandbox.netsuite.suiteql import SuiteQLError, parse
from sandbox.netsuite.tables import Catalog, Output, run

ACCOUNT_ID = "1234567_SB1"
DEAL_FIELD = "custbody_hubspot_deal_id"
SUITEQL_PATH = "/services/rest/query/v1/suiteql"
MAX_LIMIT = 1000
MAX_ROWS = 100_000  # SuiteQL returns at most this many rows of one query
COLLECTION = "application/vnd.oracle.resource+json; type=collection"
RECORD = "application/vnd.oracle.resource+json; type=singular-resource"
LOGIN_PERMISSIONS = ("Log in using Access Tokens", "REST Web Services")  # without them: 401 INVALID_LOGIN
DEFAULT_PERMISSIONS = frozenset(LOGIN_PERMISSIONS + ("Find Transaction", "Currency", "Invoice", "Invoice: Edit"))


class NetSuiteEmulator(Emulator):
    """One NetSuite account seeded from the book (the QuickBooks emulator's money) plus filler invoices.

    Knobs: `concurrency_limit` (requests in flight before 429), `permissions` of the token's role,
    `output.tz` (the zone lastmodifieddate is written and TO_DATE read in), `output.date_format`.
    """

    name = "netsuite"

    def __init__(
        self,
        accounts: Sequence[Account],
        *,
        today: date | None = None,
        account_id: str = ACCOUNT_ID,
        deal_field: str = DEAL_FIELD,
        fillers: int = 1100,
        concurrency_limit: int = 5,
        tz_hours: float = -8.0,
    ) -> None:
        super().__init__(today)
        self.account_id = account_id
        self.deal_field = deal_field
        self.concurrency_limit = concurrency_limit  # developer and sandbox accounts: 5
        self.permissions: set[str] = set(DEFAULT_PERMISSIONS)
        self.output = Output(timezone(timedelta(hours=tz_hours)))
        self.login_audit: list[str] = []  # why each refused login failed (NetSuite's Login Audit Trail)
        self.verifier = TokenVerifier(
            account_id, secrets.token_hex(32), secrets.token_hex(32), secrets.token_hex(32), secrets.token_hex(32)
        )
        # NetSuite's clock is the real one (a change is stamped when it is made); a sandbox set on
        # another day runs from noon of that day, as the QuickBooks emulator does
        self._anchor = (
            datetime.now(UTC) if self.today == date.today() else datetime.combine(self.today, dtime(12, 0), tzinfo=UTC)
        )
        self._started = time.monotonic()
        self.clock_offset = timedelta()
        self.ledger = Ledger(deal_field, self.output.tz, self.now)
        self.ledger.seed(accounts, self.today, fillers)
        self.catalog = Catalog(self.ledger, (deal_field, OTHER_FIELD), lambda p: p in self.permissions)

    # -- clock ----------------------------------------------------------------------------

    def now(self) -> datetime:
        """The account's clock: the real time (noon UTC of `today` on another day) plus `advance()`."""
        return self._anchor + timedelta(seconds=time.monotonic() - self._started) + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the account's clock forward (stamps of later changes move with it)."""
        self.clock_offset += timedelta(seconds=seconds)

    # -- control interface (tests) --------------------------------------------------------

    def env(self) -> dict[str, str]:
        """Every NETSUITE_* variable of DESIGN.md, pointing at this emulator (ACCOUNTING is the bot's choice)."""
        v = self.verifier
        return {
            "NETSUITE_ACCOUNT_ID": self.account_id,
            "NETSUITE_CONSUMER_KEY": v.consumer_key,
            "NETSUITE_CONSUMER_SECRET": v.consumer_secret,
            "NETSUITE_TOKEN_ID": v.token_id,
            "NETSUITE_TOKEN_SECRET": v.token_secret,
            "NETSUITE_BASE_URL": self.base_url,
            "NETSUITE_DEAL_FIELD": self.deal_field,
            "NETSUITE_CONCURRENCY": str(self.concurrency_limit),
        }

    def set_time_zone(self, hours: float) -> None:
        """The zone lastmodifieddate is written in (NetSuite may answer in the account's zone: *unconfirmed*)."""
        self.output.tz = timezone(timedelta(hours=hours))
        self.ledger.tz = self.output.tz

    def add_invoice(
        self,
        customer: str,
        deal_id: str | None,
        amount: Decimal | str,
        *,
        days_ago: int = 0,
        terms_days: int = 30,
        currency: str = "USD",
        doc: str | None = None,
    ) -> str:
        """Create an open invoice (deal field set unless `deal_id` is None); its internal id."""
        if currency not in CURRENCIES:
            raise ValueError(f"unknown currency {currency}")
        txn = self.today - timedelta(days=days_ago)
        return str(
            self.ledger.make_invoice(
                customer, deal_id, (("Services", Decimal(amount)),), txn, terms_days, currency, doc, self.now()
            )
        )

    def add_payment(
        self,
        invoice_id: str,
        amount: Decimal | str,
        on: date | None = None,
        *,
        also: Sequence[tuple[str, Decimal | str]] = (),
        late: timedelta | None = None,
    ) -> str:
        """Receive a payment applied to `invoice_id` (and the `also` invoices); its internal id.

        It lowers foreignamountunpaid and moves lastmodifieddate of the payment, its links and the
        invoices to now. With `late`, the payment is stamped `late` before now but stays invisible
        until `publish_late_payments()`: what a poller's look-back is for.
        """
        applied = [(int(invoice_id), Decimal(amount))] + [(int(i), Decimal(a)) for i, a in also]
        if late is not None:
            return str(self.ledger.hold_payment(applied, on or self.today, self.now() - late))
        self.ledger.check_payment(applied)
        pid = self.ledger.reserve_id()
        self.ledger.apply_payment(pid, applied, on or self.today, self.now())
        return str(pid)

    def publish_late_payments(self) -> list[str]:
        """Make the payments held by `add_payment(late=...)` visible, with their older stamps; their ids."""
        return [str(pid) for pid in self.ledger.publish_late()]

    def set_deal(self, invoice_id: str, deal_id: str | None) -> None:
        """Change (or clear) an invoice's deal field; moves its lastmodifieddate."""
        self.ledger.set_field(int(invoice_id), self.deal_field, deal_id)

    def find_invoice(self, tranid: str) -> str:
        """The internal id of the invoice with this document number."""
        return next(str(t.id) for t in self.ledger.txns.values() if t.type == "CustInvc" and t.tranid == tranid)

    # -- envelopes ------------------------------------------------------------------------

    def error_response(self, status: int, message: str, **extra: Any) -> web.Response:
        """Errors (also injected faults) in NetSuite's envelope."""
        if status == 401:
            return problems.invalid_login()
        if status == 429:
            return problems.too_many_requests()
        if status == 404:
            return problems.problem(404, message, "NONEXISTENT_ID")
        if status >= 500:  # *unconfirmed*: NetSuite's code for an outage
            return problems.problem(status, f"An unexpected error occurred: {message}", "UNEXPECTED_ERROR")
        return problems.problem(status, message, "USER_ERROR")

    def rate_limited_response(self, retry_after: float) -> web.Response:
        """An injected 429 looks like the concurrency refusal (which carries no Retry-After)."""
        return problems.too_many_requests()

    # -- routes ---------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(SUITEQL_PATH, self._suiteql)
        app.router.add_get(RECORD_PATH + "/invoice/{id}", self._get_invoice)
        app.router.add_patch(RECORD_PATH + "/invoice/{id}", self._patch_invoice)

    def _guard(self, request: web.Request) -> web.Response | None:
        """401 unless signed by the account's token (and the role may log in); 429 over the limit."""
        try:
            self.verifier.verify(
                request.method,
                request.scheme,
                request.host,
                request.rel_url.raw_path,
                list(request.query.items()),
                request.headers.get("Authorization", ""),
            )
            missing = [p for p in LOGIN_PERMISSIONS if p not in self.permissions]
            if missing:
                raise LoginRefused("the role lacks " + ", ".join(missing))
        except LoginRefused as exc:
            self.login_audit.append(str(exc))
            return problems.invalid_login()
        if self.inflight > self.concurrency_limit:
            return problems.too_many_requests()
        return None

    async def _suiteql(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        if "transient" not in request.headers.get("Prefer", "").lower():
            # *unconfirmed*: what NetSuite answers without the header; refused here so it is always sent.
            return problems.problem(
                400,
                "The request header 'Prefer' must be 'transient' for SuiteQL queries.",
                "INVALID_HEADER",
                errorHeader="Prefer",
            )
        paging = self._paging(request)
        if isinstance(paging, web.Response):
            return paging
        limit, offset = paging
        try:
            body = json.loads(await request.read() or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("q"), str):
            return problems.invalid_content()
        try:
            total, items = run(parse(body["q"]), self.catalog, self.output, offset, limit)
        except SuiteQLError as exc:
            return problems.bad_query(exc.detail)
        reachable = min(total, MAX_ROWS)
        answer = {
            "links": self._links(request, limit, offset, reachable),
            "count": len(items),
            "hasMore": offset + len(items) < reachable,
            "items": items,
            "offset": offset,
            "totalResults": total,
        }
        return web.Response(text=json.dumps(answer), headers={"Content-Type": COLLECTION})

    @staticmethod
    def _paging(request: web.Request) -> tuple[int, int] | web.Response:
        """limit (1..1000, default 1000) and offset (a multiple of limit, below 100,000)."""
        values = {}
        for name, default in (("limit", MAX_LIMIT), ("offset", 0)):
            raw = request.query.get(name, str(default))
            if not raw.isdigit():
                return problems.bad_parameter(name, f"Invalid value '{raw}' for the query parameter '{name}'.")
            values[name] = int(raw)
        limit, offset = values["limit"], values["offset"]
        if not 1 <= limit <= MAX_LIMIT:
            return problems.bad_parameter("limit", f"The limit must be between 1 and {MAX_LIMIT}.")
        if offset % limit:  # *unconfirmed* for SuiteQL (the record collections require it)
            return problems.bad_parameter("offset", "The offset must be a multiple of the limit.")
        if offset >= MAX_ROWS:  # *unconfirmed* wording
            return problems.bad_parameter("offset", f"A SuiteQL query returns at most {MAX_ROWS} results.")
        return limit, offset

    def _links(self, request: web.Request, limit: int, offset: int, reachable: int) -> list[dict[str, str]]:
        def href(at: int) -> str:
            return f"{self.base_url}{request.path}?{urlencode({'limit': limit, 'offset': at})}"

        last = max(0, (reachable - 1) // limit * limit)
        links = [{"rel": "first", "href": href(0)}]
        if offset > 0:
            links.append({"rel": "previous", "href": href(max(0, offset - limit))})
        if offset + limit < reachable:
            links.append({"rel": "next", "href": href(offset + limit)})
        links += [{"rel": "last", "href": href(last)}, {"rel": "self", "href": href(offset)}]
        return links

    def _find(self, request: web.Request, permission: str) -> tuple[Any, web.Response | None]:
        """The invoice a record route names, or the refusal to answer with."""
        if (refused := self._guard(request)) is not None:
            return None, refused
        if permission not in self.permissions:
            return None, problems.insufficient_permission(permission.split(":")[0])
        raw = request.match_info["id"]
        if not raw.isdigit():  # *unconfirmed*: NetSuite's code for a malformed id
            return None, problems.problem(400, f"The record instance ID '{raw}' is invalid.", "INVALID_ID")
        txn = self.ledger.txns.get(int(raw))
        if txn is None:
            return None, problems.not_found(request.path)
        if txn.type != "CustInvc":
            return None, problems.wrong_type()
        return txn, None

    async def _get_invoice(self, request: web.Request) -> web.Response:
        txn, refused = self._find(request, "Invoice")
        if refused is not None:
            return refused
        expand = request.query.get("expandSubResources", "false").lower() == "true"
        body = invoice_json(txn, self.ledger, self.base_url, expand=expand)
        return web.Response(text=json.dumps(body), headers={"Content-Type": RECORD})

    async def _patch_invoice(self, request: web.Request) -> web.Response:
        txn, refused = self._find(request, "Invoice: Edit")
        if refused is not None:
            return refused
        try:
            changes = check_patch(json.loads(await request.read() or b"null"), {self.deal_field, OTHER_FIELD, "memo"})
        except ValueError:
            return problems.invalid_content()
        except PatchRefused as exc:
            return problems.invalid_content(exc.detail, exc.path or None)
        for name, value in changes.items():
            if name == "memo":
                txn.memo = value
                txn.modified = self.now().replace(microsecond=0)
            else:
                self.ledger.set_field(txn.id, name, value)
        location = f"{self.base_url}{RECORD_PATH}/invoice/{txn.id}"
        return web.Response(status=204, headers={"Location": location})
