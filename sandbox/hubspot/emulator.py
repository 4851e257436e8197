"""HTTP emulator of the HubSpot CRM API, on the points the bot touches (see API_FACTS.md).

Auth, rate windows and routing live here; reads (search, batch read, associations, pipelines,
owners) in `reads`, writes in `writes`, the properties API in `properties`, scopes in `scopes`,
deal moves in `stages`, webhooks in `webhooks`, and the /_sandbox control routes in `control`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

from aiohttp import web

from sandbox.book import PORTAL_ID, Account
from sandbox.core import Emulator, RateWindow, bearer_token
from sandbox.hubspot.control import add_control_routes
from sandbox.hubspot.data import (
    ALIASES,
    TICKET_PIPELINE,
    iso,
)
from sandbox.hubspot.http import ApiError
from sandbox.hubspot.properties import PropertiesApi
from sandbox.hubspot.reads import ReadApi
from sandbox.hubspot.schema import Schema
from sandbox.hubspot.scopes import (
    DEFAULT_SCOPES,
    inline_association_scopes,
    missing_scopes_body,
    required_scopes,
    unmet_clauses,
)
from sandbox.hubspot.seed import seed_deal, seeded
from sandbox.hubspot.stages import DealStages
from sandbox.hubspot.webhooks import HubSpotWebhooks
from sandbox.hubspot.writes import RecordWrites

DEFAULT_TOKEN: Final = "pat-na1-sandbox-0000-4471203"
DEFAULT_APP_SECRET: Final = "sandbox-hubspot-app-secret"
CATEGORIES: Final = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
}
NO_CREDENTIALS: Final = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
    "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HubSpotEmulator(HubSpotWebhooks, PropertiesApi, ReadApi, RecordWrites, DealStages, Emulator):
    """The CRM of portal PORTAL_ID: deals, companies, tickets, engagements, pipelines, owners, properties.

    `scopes` are the token's (default: what the bot needs); `general_limit` is the ten-second
    window per token (190: Professional/Enterprise; 100: Free/Starter); `search_lag` the
    seconds before a write shows in search.
    """

    name = "hubspot"

    def __init__(
        self,
        accounts: Sequence[Account],
        *,
        today: date | None = None,
        access_token: str = DEFAULT_TOKEN,
        app_secret: str = DEFAULT_APP_SECRET,
        fillers: bool = True,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        general_limit: int = 190,
        search_lag: float = 0.0,
    ) -> None:
        super().__init__(today)
        self.accounts = tuple(accounts)
        self.access_token = access_token
        self.app_secret = app_secret
        self.crm = seeded(self.accounts, self.today, fillers=fillers)
        self.crm.search_lag = search_lag
        self.schema = Schema(iso(self.crm.now - timedelta(days=900)))
        self.scopes: set[str] = set(scopes)
        self.general_window = RateWindow(general_limit, 10.0)  # per token
        self.search_window = RateWindow(5, 1.0)  # the search endpoints' own limit
        self.association_page_size = 500  # v4 batch read: associations per source per page
        self.created: list[dict] = []  # records created through the API, in order
        self.webhook_queue: list[dict] = []  # deal change events not delivered yet

    def env(self) -> dict[str, str]:
        """Variables that point accountbot at this emulator."""
        return {
            "HUBSPOT_ACCESS_TOKEN": self.access_token,
            "HUBSPOT_PORTAL_ID": PORTAL_ID,
            "HUBSPOT_BASE_URL": self.base_url,
            "HUBSPOT_APP_SECRET": self.app_secret,
        }

    # -- control (tests, demo) -------------------------------------------------------------

    def add_deal(
        self,
        deal_id: str,
        name: str,
        *,
        company: str | None = None,
        stage: str = "closedwon",
        pipeline: str = "default",
        amount: str | None = "1000.00",
        close_days_ago: float = 0,
        owner: str | None = "maya",
    ) -> None:
        """Add a deal (and its company, when named)."""
        seed_deal(
            self.crm,
            id=deal_id,
            name=name,
            company=company,
            stage=stage,
            pipeline=pipeline,
            amount=None if amount is None else Decimal(amount),
            currency="USD",
            close=self.crm.now - timedelta(days=close_days_ago),
            owner=owner,
        )

    def remove_deal(self, deal_id: str) -> None:
        """Delete a deal and its associations."""
        self.crm.remove("deals", deal_id)

    def add_ticket(
        self, deal_id: str, subject: str, *, priority: str = "HIGH", stage: str = "1", days_ago: float | None = None
    ) -> str:
        """Open a ticket on the deal; returns its id.

        Without `days_ago` it opens now, stamped by the wall clock as HubSpot stamps a new ticket (the
        book's day is anchored at 15:00 UTC, which after 15:00 would date a new ticket before the
        subscriptions made a minute ago); with it, that many days before the book's day (history)."""
        ticket = self.crm.add(
            "tickets",
            {
                "subject": subject,
                "content": subject,
                "hs_pipeline": TICKET_PIPELINE[0],
                "hs_pipeline_stage": stage,
                "hs_ticket_priority": priority,
                "hs_ticket_category": None,
            },
            created=self.crm.moment() if days_ago is None else self.crm.now - timedelta(days=days_ago),
        )
        self.crm.link("tickets", ticket.id, "deals", deal_id)
        return ticket.id

    def set_ticket_stage(self, ticket_id: str, stage: str) -> None:
        """Move a ticket to another stage of the support pipeline."""
        self.crm.update("tickets", ticket_id, hs_pipeline_stage=stage)

    def associated_ids(self, from_type: str, from_id: str, to_type: str) -> list[str]:
        """Ids of the `to_type` records associated with a record."""
        return [i for i, _ in self.crm.associated(ALIASES[from_type], from_id, ALIASES[to_type])]

    def set_scopes(self, scopes: Iterable[str]) -> None:
        """Replace the token's scopes (as reinstalling the private app with other scopes would)."""
        self.scopes = set(scopes)

    def revoke_scopes(self, *scopes: str) -> None:
        """Take scopes away from the token."""
        self.scopes -= set(scopes)

    @property
    def search_lag(self) -> float:
        """Seconds before a write shows in search results (real HubSpot: a few)."""
        return self.crm.search_lag

    @search_lag.setter
    def search_lag(self, seconds: float) -> None:
        self.crm.search_lag = seconds

    def known(self, type_: str, names: list[str] | None) -> list[str] | None:
        """The requested properties that exist (HubSpot leaves others out); None when none were requested.

        When none of them exists the record still comes with its base properties (hs_object_id, ...).
        """
        if names is None:
            return None
        return self.schema.known(type_, names) or ["hs_object_id"]

    # -- HTTP -----------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/crm/v3/objects/{type}/search", self._guard(self._search, search=True))
        r.add_post("/crm/v3/objects/{type}/batch/read", self._guard(self._batch_read))
        r.add_post("/crm/v3/objects/{type}/batch/update", self._guard(self._batch_update))
        r.add_get("/crm/v3/objects/{type}/{id}", self._guard(self._get_object))
        r.add_patch("/crm/v3/objects/{type}/{id}", self._guard(self._patch))
        r.add_post("/crm/v3/objects/{type}", self._guard(self._create))
        r.add_get("/crm/v3/pipelines/{type}", self._guard(self._pipelines))
        r.add_get("/crm/v3/pipelines/{type}/{pipeline}", self._guard(self._pipelines))
        r.add_get("/crm/v3/owners", self._guard(self._owners))
        r.add_get("/crm/v3/owners/", self._guard(self._owners))
        r.add_get("/crm/v3/owners/{id}", self._guard(self._owner))
        r.add_post("/crm/v4/associations/{from}/{to}/batch/read", self._guard(self._associations))
        self.add_property_routes(app, self._guard)
        add_control_routes(app, self)

    def error_response(self, status: int, message: str, **extra: Any) -> web.Response:
        """HubSpot's error envelope."""
        body = {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid4()),
            "category": CATEGORIES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST"),
        }
        body.update(extra)
        return web.json_response(body, status=status)

    def rate_limited_response(self, retry_after: float, policy: str = "SECONDLY") -> web.Response:
        """HubSpot's 429: errorType RATE_LIMIT, the policy that tripped, and Retry-After."""
        label = "secondly" if policy == "SECONDLY" else policy.lower()
        response = web.json_response(
            {
                "status": "error",
                "message": f"You have reached your {label} limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()),
                "policyName": policy,
            },
            status=429,
        )
        response.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
        return response

    def _guard(self, handler: Handler, *, search: bool = False) -> Handler:
        """Bearer auth, the token's rate window, its scopes, then the handler; ApiError -> envelope."""

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
            route = request.match_info.route.resource
            canonical = route.canonical if route else ""
            needs = required_scopes(request.method, canonical, request.match_info)
            if canonical == "/crm/v3/objects/{type}/{id}" and request.method in ("GET", "HEAD"):
                needs += inline_association_scopes(request.query.getall("associations", []))
            unmet = unmet_clauses(self.scopes, needs)
            try:
                if unmet:
                    return web.json_response(missing_scopes_body(unmet), status=403)
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
