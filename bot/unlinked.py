"""`/account unlinked`: what the deal ID does not join yet, and the links made from its buttons.

Reads through the connectors (each paged and inside its vendor's limits): HubSpot's won deals of
the last 18 months (and the names of the deal IDs found elsewhere), every Asana project (one
listing, which also refreshes the project index), the accounting system's invoices of the last 90
days and the other invoices of their customers, and the deal IDs invoices carry (through the
`LinkRepair` port: QuickBooks or NetSuite, never named here but in words). A source that fails
is named in the answer; the others still count. A link claims its record in the store first, so
a second click, here or in another process, writes nothing more.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from bot.models import SOURCE_LABELS
from bot.models.unlinked import (
    IssueKind,
    LinkAction,
    LinkHistory,
    LinkOutcome,
    UnlinkedReport,
)
from bot.unlinked_items import Findings, build_items, window_start
from connectors.errors import ConnectorError
from connectors.types import DealMatch, InvoiceRef, ProjectRef

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from bot.projects import ProjectOnClose
    from bot.status import StatusService
    from bot.store import Store
    from connectors.asana import AsanaConnector
    from connectors.hubspot import HubSpotConnector
    from connectors.ports import LinkRepair

log = logging.getLogger(__name__)
WON_MONTHS: Final = 18
ACTIVE_DAYS: Final = 180
INVOICE_DAYS: Final = 90
CACHE_SECONDS: Final = 120.0  # pages and clicks within this reuse the last answer
LINK_CONCURRENCY: Final = 4  # invoices written at once (QuickBooks allows 10 in flight, NetSuite's account 5+)
COUNTS_KEY: Final = "unlinked:counts"  # the last counts, for doctor (every process)


class UnlinkedService:
    """Finds what is not joined and makes the links a member confirms."""

    def __init__(
        self,
        store: Store,
        hubspot: HubSpotConnector,
        asana: AsanaConnector,
        accounting: LinkRepair,
        status: StatusService,
        projects: ProjectOnClose | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.hubspot = hubspot
        self.asana = asana
        self.accounting = accounting
        self.books = SOURCE_LABELS.get(accounting.system, accounting.system)  # "QuickBooks", "NetSuite"
        self.status = status
        self.projects = projects
        self.clock = clock
        self._last: tuple[float, UnlinkedReport] | None = None
        self._running: asyncio.Future[UnlinkedReport] | None = None

    # -- finding --------------------------------------------------------------------------

    async def report(self, *, fresh: bool = False) -> UnlinkedReport:
        """Everything not joined, worst first (the last answer when it is under two minutes old)."""
        if not fresh and self._last is not None and time.monotonic() - self._last[0] < CACHE_SECONDS:
            return replace(self._last[1], history=await self._history())
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(self._find())
        found = await asyncio.shield(self._running)
        self._last = (time.monotonic(), found)
        await self.store.set_sync(
            COUNTS_KEY, json.dumps({"at": time.time(), "counts": {k.value: n for k, n in found.counts.items()}})
        )
        return found

    async def _find(self) -> UnlinkedReport:
        now = self.clock()
        today = now.date()
        errors: list[str] = []
        books, acc = self.books, self.accounting

        async def guarded(what: str, call: Awaitable[Any], empty: Any) -> Any:
            try:
                return await call
            except ConnectorError as exc:
                log.warning("/account unlinked: %s failed: %s", what, exc)
                errors.append(f"{what}: {exc.message}")
                return empty

        since_won, since_invoices = window_start(today, WON_MONTHS), today - timedelta(days=INVOICE_DAYS)
        deals, projects, invoices, carried = await asyncio.gather(
            guarded("HubSpot won deals", self.hubspot.won_deals(since_won), []),
            guarded("Asana projects", self.asana.project_refs(), []),
            guarded(f"{books} invoices", acc.recent_invoices(since_invoices), []),
            guarded(f"{books} invoice index", acc.deal_ids_carried(), {}),
        )
        deals_: list[DealMatch] = deals
        projects_: list[ProjectRef] = projects
        invoices_: list[InvoiceRef] = invoices
        won = {d.deal_id for d in deals_}
        elsewhere = ({p.deal_id for p in projects_ if p.deal_id} | set(carried)) - won
        loose_customers = sorted({i.customer_id for i in invoices_ if i.deal_id is None})
        companies, briefs, history = await asyncio.gather(
            guarded("HubSpot companies", self.hubspot.company_names([d.deal_id for d in deals_]), {}),
            guarded("HubSpot deal IDs", self.hubspot.deal_briefs(sorted(elsewhere)), None) if elsewhere else _none(),
            guarded(f"{books} customers' invoices", acc.invoices_of_customers(loose_customers), [])
            if loose_customers
            else _empty(),
        )
        if briefs is None and elsewhere:  # HubSpot could not say: no deal ID is called unknown
            briefs = dict.fromkeys(elsewhere)
        unknown = sorted(set(carried) & (elsewhere - set(briefs or {})))
        carrying = await guarded(f"{books} invoice index", acc.invoice_ids_carrying(unknown), {}) if unknown else {}
        findings = Findings(
            deals=deals_,
            companies=companies,
            projects=projects_,
            invoices=invoices_,
            customer_invoices=history,
            carried=carried,
            other_known={d: (b.name if b is not None else d) for d, b in (briefs or {}).items()},
            invoices_carrying=carrying,
            today=today,
            active_since=now - timedelta(days=ACTIVE_DAYS),
            can_create=bool(self.projects is not None and self.projects.configured),
            books=books,
        )
        items = build_items(findings)
        counts = {kind: sum(1 for i in items if i.kind == kind) for kind in IssueKind}
        scope = {
            "hubspot": f"{len(deals_)} won deals closed since {since_won.isoformat()}",
            "asana": f"{len(projects_)} projects",
            acc.system: f"{len(invoices_)} invoices since {since_invoices.isoformat()}",
        }
        return UnlinkedReport(
            items=tuple(items),
            counts=counts,
            generated_at=now,
            history=await self._history(),
            errors=tuple(errors),
            can_create=findings.can_create,
            scope=scope,
            books=books,
        )

    async def _history(self, limit: int = 5) -> tuple[LinkHistory, ...]:
        """The newest links, the invoices one click linked counted as one line."""
        out: list[LinkHistory] = []
        for m in await self.store.recent_links(limit * 20):
            at = datetime.fromtimestamp(m.at, UTC)
            last = out[-1] if out else None
            if (
                last is not None
                and m.kind == LinkAction.LINK_INVOICES.value
                and (last.action, last.deal_id, last.user_id, last.target_name)
                == (LinkAction(m.kind), m.deal_id, m.user_id, m.target_name)
                and abs((last.at - at).total_seconds()) < 120
            ):
                out[-1] = replace(last, count=last.count + 1)
                continue
            if len(out) == limit:
                break
            out.append(LinkHistory(LinkAction(m.kind), m.target_id, m.target_name, m.deal_id, m.user_id, at))
        return tuple(out)

    async def last_counts(self) -> tuple[dict[str, int], float] | None:
        """The counts of the last list any process made, and when (for doctor); None before the first."""
        raw = await self.store.get_sync(COUNTS_KEY)
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return {str(k): int(v) for k, v in data["counts"].items()}, float(data["at"])
        except (ValueError, KeyError, TypeError):
            return None

    # -- linking --------------------------------------------------------------------------

    async def link(
        self, action: LinkAction, targets: tuple[str, ...], deal_id: str, user_id: str, name: str = ""
    ) -> LinkOutcome:
        """Write the deal ID where a member confirmed it (once per target), and say what was done."""
        if action is LinkAction.CREATE_PROJECT:
            return await self._create(deal_id, user_id, name)
        done: list[str] = []
        skipped: list[str] = []
        failed: list[str] = []
        gate = asyncio.Semaphore(LINK_CONCURRENCY)

        async def one(target: str) -> None:
            async with gate:
                if not await self.store.record_link(action.value, target, name, deal_id, user_id):
                    skipped.append(target)
                    return
                try:
                    if action is LinkAction.LINK_PROJECT:
                        await self.asana.put_deal_id(target, deal_id)
                        await self.asana.index_project(target, deal_id, name)
                    elif not (await self.accounting.put_deal_id_on_invoice(target, deal_id)).written:
                        skipped.append(target)
                        return
                    done.append(target)
                except ConnectorError as exc:
                    await self.store.forget_link(action.value, target, deal_id)
                    failed.append(exc.message)

        await asyncio.gather(*(one(t) for t in dict.fromkeys(targets)))
        if done:
            self.status.invalidate(deal_id, ("delivery",) if action is LinkAction.LINK_PROJECT else ("money",))
            self._last = None
        return LinkOutcome(_said(action, name, deal_id, done, skipped, failed, self.books), bool(done), deal_id)

    async def _create(self, deal_id: str, user_id: str, name: str) -> LinkOutcome:
        if self.projects is None or not self.projects.configured:
            return LinkOutcome(
                "Project on close is not configured (ASANA_PROJECT_TEMPLATE_GID, ASANA_TEAM_GID).", False, deal_id
            )
        if not await self.store.record_link(LinkAction.CREATE_PROJECT.value, deal_id, name, deal_id, user_id):
            return LinkOutcome(
                f"The project for {name or deal_id} was asked for already: nothing more done.", False, deal_id
            )
        await self.projects.on_stage_change(deal_id)
        await self.projects.wait()
        work = await self.store.project_work(deal_id)
        if work is None or work.state not in ("created", "existing"):
            await self.store.forget_link(LinkAction.CREATE_PROJECT.value, deal_id, deal_id)
            reason = work.error if work is not None and work.error else "the deal is not won, or Asana did not answer"
            return LinkOutcome(f"No project was made for {name or deal_id}: {reason}.", False, deal_id)
        self._last = None
        verb = "made from the template" if work.state == "created" else "found (one carried the deal ID already)"
        return LinkOutcome(f"Delivery project for {name or deal_id} {verb}; it carries deal {deal_id}.", True, deal_id)


def _said(
    action: LinkAction, name: str, deal_id: str, done: list[str], skipped: list[str], failed: list[str], books: str
) -> str:
    what = "Asana project" if action is LinkAction.LINK_PROJECT else f"{books} invoice"
    parts = []
    if done:
        many = len(done) > 1
        parts.append(
            f"Linked {len(done) if many else 'the'} {what}{'s' if many else ''} {('“' + name + '”') if name else ''}"
            f" to deal {deal_id}: the deal ID is written in {'their' if many else 'its'} field.".replace("  ", " ")
        )
    if skipped:
        parts.append(
            f"{len(skipped)} {what}{'s' if len(skipped) > 1 else ''} already linked to deal {deal_id}: "
            "nothing more written."
        )
    if failed:
        parts.append("Not linked: " + "; ".join(dict.fromkeys(failed)) + ".")
    return " ".join(parts) or "Nothing to link."


async def _none() -> None:
    return None


async def _empty() -> list[InvoiceRef]:
    return []
