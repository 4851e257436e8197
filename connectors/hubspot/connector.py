"""HubSpotConnector: deals, open escalations (tickets) and client communications.

Calls the official SDK (hubspot-api-client 12, blocking urllib3) through `Runner`: every
call is rate limited client-side, bounded by a deadline and retried by us only (urllib3's
own retries are off, so no POST is ever replayed behind our back). Knows nothing of Slack.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from hubspot import HubSpot
from urllib3.util.retry import Retry

from connectors.errors import ConfigError, NotFoundError
from connectors.hubspot.batch import AccountBatch
from connectors.hubspot.book import BookQuery
from connectors.hubspot.deal import DealReads
from connectors.hubspot.lookups import CachedLookups
from connectors.hubspot.properties import DealWrites
from connectors.hubspot.reads import PagedReads
from connectors.hubspot.records import (
    APP_URL,
    COMM_PROPERTIES,
    COMM_READ_PROPERTIES,
    DEAL_ID,
    DEAL_PROPERTIES,
    KIND_OF_TYPE,
    LOG_KINDS,
    PRIORITY_ORDER,
    SYSTEM,
    TICKET_PROPERTIES,
    Stage,
    check_id,
    classify,
    deal_from,
    engagement_properties,
    escalation_from,
    find_stage,
    is_won,
    latest_communication,
    match_score,
    parse_deal_url,
    primary_company,
    ticket_state,
    to_date,
    to_decimal,
)
from connectors.hubspot.records import gather_all as _all
from connectors.hubspot.similar import SimilarNames
from connectors.hubspot.tickets import TicketFeed
from connectors.ports import BudgetFactory
from connectors.runtime import Policy, Runner, local_budget
from connectors.types import Communication, Deal, DealMatch, Escalation

log = logging.getLogger(__name__)


class HubSpotConnector(
    TicketFeed, BookQuery, AccountBatch, CachedLookups, PagedReads, DealReads, SimilarNames, DealWrites
):
    """Deals, escalations and communications of one HubSpot portal."""

    system = SYSTEM

    def __init__(
        self,
        access_token: str,
        portal_id: str | None,
        base_url: str = "https://api.hubapi.com",
        *,
        max_workers: int = 8,
        policy: Policy = Policy(timeout=5.0, retries=2),
        budgets: BudgetFactory = local_budget,  # shared by several replicas when the host says so
        general_limit: tuple[int, float] = (100, 10.0),
        search_limit: tuple[int, float] = (4, 1.1),
        search_page_size: int = 100,
        max_search_results: int = 500,
        cache_ttl: float = 600.0,
        connect_timeout: float = 3.0,
        app_url: str = APP_URL,
    ) -> None:
        if not access_token:
            raise ConfigError(SYSTEM, "HUBSPOT_ACCESS_TOKEN is not set")
        self.portal_id = str(portal_id) if portal_id else None
        self.base_url = base_url.rstrip("/")
        self.app_url = app_url.rstrip("/")
        self.search_page_size = search_page_size
        self.max_search_results = max_search_results
        self.cache_ttl = cache_ttl
        self._timeout = (connect_timeout, policy.timeout + 0.5)  # the Runner's deadline fires first
        client = HubSpot(
            access_token=access_token,
            host=self.base_url,
            connection_pool_maxsize=max_workers,
            retry=Retry(total=0, redirect=0, raise_on_status=False),
        )
        # Each attribute access builds a new ApiClient (and connection pool): build them once.
        self._objects = client.crm.objects.basic_api
        self._batch = client.crm.objects.batch_api
        self._search = client.crm.objects.search_api
        self._pipelines_api = client.crm.pipelines.pipelines_api
        self._owners_api = client.crm.owners.owners_api
        self._associations_api = client.crm.associations.v4.batch_api
        self._properties_api = client.crm.properties.core_api
        self._property_groups_api = client.crm.properties.groups_api
        self._property_batch_api = client.crm.properties.batch_api
        self.runner = Runner(
            SYSTEM,
            classify,
            max_workers=max_workers,
            policy=policy,
            limiters={
                "default": budgets(SYSTEM, "default", *general_limit),
                "search": budgets(SYSTEM, "search", *search_limit),
            },
        )
        self._cache: dict[tuple, tuple[float, Any]] = {}
        self._locks: dict[tuple, asyncio.Lock] = {}
        self._init_deal_reads(cache_ttl)

    @property
    def calls(self) -> int:
        """Upstream HTTP attempts made so far."""
        return self.runner.calls

    def close(self) -> None:
        """Stop the executor and drop pooled connections."""
        self.runner.close()
        for api in (
            self._objects,
            self._batch,
            self._search,
            self._pipelines_api,
            self._owners_api,
            self._associations_api,
            self._properties_api,
            self._property_groups_api,
            self._property_batch_api,
        ):
            api.api_client.rest_client.pool_manager.clear()

    # -- public API -----------------------------------------------------------------------

    async def resolve(
        self, query: str, limit: int = 10, on_likely: Callable[[str], None] | None = None
    ) -> list[DealMatch]:
        """Deals for a /account query: a deal URL or ID exactly, else deal and company names, ranked.

        `on_likely(deal_id)` is called as soon as one deal clearly leads on its own name, before
        the company leg finishes, so a caller can start fetching that deal's records early.
        """
        text = " ".join(query.split())
        if not text or limit <= 0:
            return []
        parsed = parse_deal_url(text.strip("<>"))
        if parsed or DEAL_ID.match(text):
            portal, deal_id = parsed or (None, text)
            if portal and self.portal_id and portal != self.portal_id:
                return []
            try:
                deal = await self.get_deal(deal_id)
                return [deal.as_match(score=4.0)]
            except NotFoundError:
                if parsed:
                    return []
        deals, companies, stages = await _all(
            self._search_all("deals", text, DEAL_PROPERTIES),
            self._search_all("companies", text, ["name"]),
            self._stages("deals"),
        )
        company_names = {c.id: (c.properties or {}).get("name") or "" for c in companies}
        self.remember_companies(company_names)
        if on_likely is not None and company_names:
            _announce_leader(text, deals, on_likely)
        by_company = await self._associated("companies", list(company_names), "deals")
        found = {d.id: d for d in deals}
        company_of = {deal_id: cid for cid, ids in by_company.items() for deal_id in ids}
        extra = [i for i in company_of if i not in found]
        found.update((d.id, d) for d in await self._batch_read("deals", extra, DEAL_PROPERTIES))
        matches = []
        for deal in found.values():
            props = deal.properties or {}
            company = company_names.get(company_of.get(deal.id, ""))
            score = max(match_score(text, props.get("dealname") or ""), match_score(text, company or ""))
            stage = find_stage(stages, props.get("pipeline"), props.get("dealstage"))
            matches.append(
                (
                    is_won(stage),
                    DealMatch(
                        deal.id,
                        props.get("dealname") or f"Deal {deal.id}",
                        stage.label if stage else props.get("dealstage") or "",
                        to_decimal(props.get("amount")),
                        to_date(props.get("closedate")),
                        company,
                        score,
                        currency=props.get("deal_currency_code") or None,
                    ),
                )
            )
        matches.sort(key=lambda m: (-m[1].score, not m[0], -(m[1].close_date or date.min).toordinal(), m[1].name))
        return [m for _, m in matches[:limit]]

    async def get_deal(self, deal_id: str) -> Deal:
        """The deal with its stage resolved through pipeline metadata, owner and company."""
        deal_id = check_id(deal_id)
        record, stages, owners = await _all(self._deal_record(deal_id), self._stages("deals"), self._owners_or_empty())
        obj = record.obj
        stage = await self._deal_stage(obj, stages)
        company_name, owner = await _all(
            self._company_name(primary_company(obj)),
            self._owner((obj.properties or {}).get("hubspot_owner_id"), owners),
        )
        return deal_from(obj, stage, owner, company_name, self._record_url("0-3", str(obj.id)))

    async def open_escalations(self, deal_id: str) -> list[Escalation]:
        """Tickets on the deal whose stage metadata says ticketState OPEN, most urgent then newest first."""
        deal_id = check_id(deal_id)
        record, stages = await _all(self._deal_record(deal_id), self._stages("tickets"))
        tickets = await self._batch_read("tickets", await self._linked_ids(record, "tickets"), TICKET_PROPERTIES)
        return await self._open_escalations_of(tickets, stages)

    async def last_communication(self, deal_id: str) -> Communication | None:
        """The newest email, call or meeting on the deal, or note the bot logged as client communication."""
        deal_id = check_id(deal_id)
        types = list(COMM_PROPERTIES)
        record, owners = await _all(self._deal_record(deal_id), self._owners_or_empty())
        links = await _all(*(self._linked_ids(record, t) for t in types))
        reads = await _all(*(self._batch_read(t, ids, COMM_READ_PROPERTIES[t]) for t, ids in zip(types, links)))
        return latest_communication(((t, o) for t, objs in zip(types, reads) for o in objs), owners)

    async def log_communication(
        self, deal_id: str, kind: str, summary: str, when: datetime, author: str, *, author_email: str | None = None
    ) -> Communication:
        """Log a client communication on the deal (email/call/meeting, or a marked note for "other").

        The body names `author` (a display name); when `author_email` is a HubSpot owner's, the
        engagement is also owned by them.
        """
        if kind not in LOG_KINDS:
            raise ValueError(f"kind must be one of {', '.join(LOG_KINDS)}, not {kind!r}")
        summary = summary.strip()
        if not summary:
            raise ValueError("summary is empty")
        deal_id = check_id(deal_id)
        when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
        when = when.replace(microsecond=when.microsecond // 1000 * 1000)  # HubSpot keeps milliseconds
        object_type, type_id = LOG_KINDS[kind]
        props = engagement_properties(kind, summary, author, when)
        if author_email:
            owners = await self._owners_or_empty()
            owner = next((p for p in owners.values() if (p.email or "").lower() == author_email.lower()), None)
            if owner and owner.id:
                props["hubspot_owner_id"] = owner.id
        body = {
            "properties": props,
            "associations": [
                {
                    "to": {"id": deal_id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
                }
            ],
        }
        # Not idempotent: a 5xx or a timeout may still have created it, so never retried (429 is).
        created = await self.runner.call(
            self._objects.create, object_type, body, retry_server_errors=False, _request_timeout=self._timeout
        )
        return Communication(str(created.id), KIND_OF_TYPE[object_type], when, summary, author)

    # -- internals ------------------------------------------------------------------------

    async def _deal_stage(self, obj: Any, stages: dict[str, Stage]) -> Stage | None:
        """The deal's stage; an unknown stage reloads the deal pipelines (at most once a minute)."""
        props = obj.properties or {}
        stage = find_stage(stages, props.get("pipeline"), props.get("dealstage"))
        if stage is None and props.get("dealstage"):
            stage = find_stage(await self._stages("deals", refresh=True), props.get("pipeline"), props["dealstage"])
        return stage

    async def _open_escalations_of(self, tickets: list[Any], stages: dict[str, Stage]) -> list[Escalation]:
        """The open ones of a deal's tickets, most urgent then newest first (unknown stages reload)."""
        if any((t.properties or {}).get("hs_pipeline_stage") not in stages for t in tickets):
            stages = await self._stages("tickets", refresh=True)
        out = []
        for ticket in tickets:
            props = ticket.properties or {}
            stage = find_stage(stages, props.get("hs_pipeline"), props.get("hs_pipeline_stage"))
            state = ticket_state(stage)
            if state == "CLOSED":
                continue
            if state != "OPEN":
                log.warning(
                    "hubspot ticket %s: stage %r has no ticketState; counted as open",
                    ticket.id,
                    props.get("hs_pipeline_stage"),
                )
            out.append(escalation_from(ticket, stage, self._record_url("0-5", str(ticket.id))))
        out.sort(key=lambda e: (PRIORITY_ORDER.get(e.priority or "", 4), -e.created_at.timestamp()))
        return out

    def _record_url(self, object_type_id: str, record_id: str) -> str | None:
        if not self.portal_id:
            return None
        return f"{self.app_url}/contacts/{self.portal_id}/record/{object_type_id}/{record_id}"


def _announce_leader(text: str, deals: list[Any], on_likely: Callable[[str], None]) -> None:
    """Tell the caller about the one deal whose own name matches best (exact or prefix)."""
    scored = sorted(
        ((match_score(text, (d.properties or {}).get("dealname") or ""), d.id) for d in deals), reverse=True
    )
    if scored and scored[0][0] >= 2 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        try:
            on_likely(scored[0][1])
        except Exception:  # a caller's prefetch must never break the search
            log.exception("on_likely callback failed")
