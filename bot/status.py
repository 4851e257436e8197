"""The status service: one account's status from the three systems, fetched concurrently.

Every source has its own deadline, a TTL cache and a single-flight guard; a source that
fails or misses its deadline yields its last good value (with its age) instead of blocking
the card. Twenty simultaneous lookups of one account make the upstream calls of one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Final

from cachetools import TTLCache

from bot.models import AccountStatus, Section
from bot.status_batch import statuses_of
from bot.status_ports import (
    AccountingLike,
    AsanaLike,
    DealNotFound,
    HubSpotLike,
    SharedFlights,
    Timing,
    describe,
)
from connectors.errors import ConnectorError, NotFoundError
from connectors.types import Deal, DealMatch

log = logging.getLogger(__name__)
__all__ = ["AccountingLike", "AsanaLike", "DealNotFound", "HubSpotLike", "SharedFlights", "StatusService", "Timing"]


@dataclass(frozen=True)
class _Fetched:
    value: Any
    at: float


ACCOUNTING: Final = "accounting"  # in SECTIONS: the accounting connector's own `system`

ON_ITS_WAY: Final = "data is on its way (queued behind the bot's own rate limit); this card completes itself"
RESOLVE_KEEP: Final = 11  # matches kept per search: one more than a picker shows, so a cut list is known
# (section name, source, deadline attribute)
SECTIONS: Final = (
    ("deal", "hubspot", "hubspot_deadline"),
    ("escalations", "hubspot", "hubspot_deadline"),
    ("communication", "hubspot", "hubspot_deadline"),
    ("delivery", "asana", "asana_deadline"),
    ("money", ACCOUNTING, "accounting_deadline"),
)


class StatusService:
    """Builds AccountStatus from the connectors; the one place the card's I/O happens."""

    def __init__(
        self,
        hubspot: HubSpotLike,
        asana: AsanaLike,
        accounting: AccountingLike,
        *,
        timing: Timing = Timing(),
        today: Callable[[], date] | None = None,
        clock: Callable[[], float] = time.time,
        shared: SharedFlights | None = None,
    ) -> None:
        self.hubspot = hubspot
        self.shared = shared  # with REDIS_URL: every replica's cache and single flight
        self.asana = asana
        self.accounting = accounting
        self.timing = timing
        self._today = today or (lambda: datetime.now(UTC).date())
        self._clock = clock
        self._fresh: TTLCache[tuple[str, str], _Fetched] = TTLCache(timing.cache_size, timing.fresh_ttl)
        self._last_good: TTLCache[tuple[str, str], _Fetched] = TTLCache(timing.cache_size, timing.last_good_ttl)
        self._resolved: TTLCache[str, list[DealMatch]] = TTLCache(1000, timing.resolve_ttl)
        self._inflight: dict[tuple[str, str], asyncio.Task] = {}

    def forget(self) -> None:
        """Drop every cached answer (not the connectors' join indexes): the next card is cold."""
        self._fresh.clear()
        self._last_good.clear()
        self._resolved.clear()

    # -- queries ------------------------------------------------------------------------

    async def resolve(self, query: str, limit: int = 10) -> list[DealMatch]:
        """Deals matching a name (deal or company), best first; cached and coalesced."""
        key = " ".join(query.lower().split())
        cached = self._resolved.get(key)
        if cached is not None:
            return cached[:limit]

        async def search() -> list[DealMatch]:
            found = lambda: self.hubspot.resolve(query, limit=RESOLVE_KEEP, on_likely=self.prefetch)  # noqa: E731
            if self.shared is None:
                return await found()
            ttl = self.timing.resolve_ttl  # every replica's search of these words is one search
            return list(await self.shared.once(f"resolve:{key}", found, ttl, ttl))

        matches = await self._single_flight(("resolve", key), search)
        self._resolved[key] = matches
        return matches[:limit]

    def known_matches(self) -> list[DealMatch]:
        """Deals the service already knows by name: recent searches' matches and the cards it fetched."""
        seen: dict[str, DealMatch] = {}
        for matches in list(self._resolved.values()):
            for match in matches:
                seen.setdefault(match.deal_id, match)
        for (name, deal_id), fetched in list(self._last_good.items()):
            deal = fetched.value
            if name == "deal" and isinstance(deal, Deal) and deal_id not in seen:
                seen[deal_id] = deal.as_match()
        return list(seen.values())

    # -- status -------------------------------------------------------------------------

    async def get_status(self, deal_id: str, *, refresh: bool = False) -> AccountStatus:
        """The account's status; sources fetched concurrently, each within its deadline.

        Raises DealNotFound when HubSpot says the deal does not exist.
        """
        if refresh:
            self.invalidate(deal_id)
            if self.shared is not None:
                await self.shared.forget([f"{name}:{deal_id}" for name, _, _ in SECTIONS])
        today = self._today()
        fetchers = self._fetchers(deal_id, today)
        results = await asyncio.gather(
            *(
                self._section(name, self._source(source), deal_id, fetchers[name], getattr(self.timing, deadline))
                for name, source, deadline in SECTIONS
            )
        )
        if isinstance(results[0], _NotFound):  # SECTIONS[0] is the deal
            raise DealNotFound(deal_id)
        sections: dict[str, Section[Any]] = {
            # a deal-scoped lookup that 404'd: nothing there
            name: Section(source=self._source(source), value=None, fetched_at=self._now())
            if isinstance(value, _NotFound)
            else value
            for (name, source, _), value in zip(SECTIONS, results)
        }
        return AccountStatus(
            deal_id=deal_id,
            deal=sections["deal"],
            escalations=sections["escalations"],
            communication=sections["communication"],
            delivery=sections["delivery"],
            money=sections["money"],
            generated_at=self._now(),
            today=today,
        )

    def prefetch(self, deal_id: str) -> None:
        """Start fetching a deal's sections now (a name search says it is the likely answer)."""
        for name, fetch in self._fetchers(deal_id, self._today()).items():
            if (name, deal_id) not in self._fresh:
                self._start((name, deal_id), fetch)

    def _fetchers(self, deal_id: str, today: date) -> dict[str, Callable[[], Awaitable[Any]]]:
        return {
            "deal": lambda: self.hubspot.get_deal(deal_id),
            "escalations": lambda: self._tuple(self.hubspot.open_escalations(deal_id)),
            "communication": lambda: self.hubspot.last_communication(deal_id),
            "delivery": lambda: self.asana.delivery(deal_id, today=today),
            "money": lambda: self.accounting.money(deal_id, today=today),
        }

    async def get_statuses(self, deal_ids: list[str], *, asana_concurrency: int = 8) -> dict[str, AccountStatus]:
        """Many accounts at once for the daily snapshot (bot.status_batch): not cached, not single-flighted."""
        return await statuses_of(self, deal_ids, asana_concurrency=asana_concurrency)

    async def close(self) -> None:
        """Cancel fetches still running in the background (shutdown)."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def invalidate(self, deal_id: str, sections: tuple[str, ...] | None = None) -> None:
        """Forget cached sections of a deal (after an event, or on Refresh)."""
        names = [name for name, _, _ in SECTIONS if sections is None or name in sections]
        for name in names:
            self._fresh.pop((name, deal_id), None)
        if self.shared is not None:
            task = asyncio.ensure_future(self.shared.forget([f"{name}:{deal_id}" for name in names]))
            task.add_done_callback(_consume)

    # -- internals ----------------------------------------------------------------------

    def _source(self, source: str) -> str:
        return self.accounting.system if source == ACCOUNTING else source

    async def _section(
        self, name: str, source: str, deal_id: str, fetch: Callable[[], Awaitable[Any]], deadline: float
    ) -> Section | _NotFound:
        key = (name, deal_id)
        cached = self._fresh.get(key) if self.shared is None else None  # shared: another replica may have forgotten it
        if cached is not None:
            return Section(source, cached.value, self._dt(cached.at))
        task = self._start(key, fetch)
        try:
            value = await asyncio.wait_for(asyncio.shield(task), deadline)
        except TimeoutError:
            if self._queued(source, deadline):
                return await self._on_its_way(source, key)
            return await self._fallback(source, key, f"didn't answer within {deadline:g} s")
        except NotFoundError:
            return _NotFound()
        except ConnectorError as exc:
            return await self._fallback(source, key, describe(exc))
        except Exception as exc:  # a bug in a connector must not take the card down
            log.exception("%s fetch of %s for deal %s failed", source, name, deal_id)
            return await self._fallback(source, key, f"failed unexpectedly ({type(exc).__name__})")
        fetched = self._fresh.get(key) or _Fetched(value, self._clock())
        return Section(source, value, self._dt(fetched.at))

    def _start(self, key: tuple[str, str], fetch: Callable[[], Awaitable[Any]]) -> asyncio.Task:
        task = self._inflight.get(key)
        if task is not None:
            return task

        async def fetched() -> _Fetched:
            return _Fetched(await fetch(), self._clock())

        async def run() -> Any:
            try:
                if self.shared is None:
                    entry = await fetched()
                else:  # one replica fetches, the others wait for its answer
                    entry = await self.shared.once(
                        f"{key[0]}:{key[1]}", fetched, self.timing.fresh_ttl, self.timing.last_good_ttl
                    )
            finally:
                self._inflight.pop(key, None)
            value = entry.value
            self._fresh[key] = entry
            self._last_good[key] = entry
            return value

        task = asyncio.get_running_loop().create_task(run())
        task.add_done_callback(_consume)
        self._inflight[key] = task
        return task

    async def _single_flight(self, key: tuple[str, str], fetch: Callable[[], Awaitable[Any]]) -> Any:
        task = self._inflight.get(key)
        if task is None:

            async def run() -> Any:
                try:
                    return await fetch()
                finally:
                    self._inflight.pop(key, None)

            task = asyncio.get_running_loop().create_task(run())
            task.add_done_callback(_consume)
            self._inflight[key] = task
        return await asyncio.shield(task)

    def _queued(self, source: str, deadline: float) -> bool:
        """Whether the source's calls waited behind the bot's own rate limit during this deadline."""
        connector = {"hubspot": self.hubspot, "asana": self.asana, self.accounting.system: self.accounting}.get(source)
        runner = getattr(connector, "runner", None)
        return bool(runner is not None and runner.available and runner.queued_within(deadline))

    async def _on_its_way(self, source: str, key: tuple[str, str]) -> Section:
        """A section still queued behind the bot's own budget: on its way (with its last good value, if any)."""
        last = await self._last_good_of(key)
        return Section(
            source,
            last.value if last else None,
            self._dt(last.at) if last else None,
            error=ON_ITS_WAY,
            stale=last is not None,
            pending=True,
        )

    async def settle(self, status: AccountStatus, timeout: float | None = None) -> AccountStatus | None:
        """Once the sections a status is still waiting for have landed, the status again (None if none waited).

        The fetches were never cancelled: this waits for them (up to `timeout`), then reads the caches.
        A section that still hasn't landed by then is a failure, said as such.
        """
        timeout = self.timing.settle_timeout if timeout is None else timeout
        names = [name for (name, _, _), section in zip(SECTIONS, status.sections()) if section.pending]
        tasks = [t for n in names if (t := self._inflight.get((n, status.deal_id))) is not None]
        if not names:
            return None
        if tasks:
            await asyncio.wait([asyncio.shield(t) for t in tasks], timeout=timeout)
        if all(t.done() for t in tasks):
            return await self.get_status(status.deal_id)
        late: dict[str, Any] = {
            name: await self._fallback(source, (name, status.deal_id), f"didn't arrive within {timeout:g} s")
            for (name, source, _), section in zip(SECTIONS, status.sections())
            if section.pending
        }
        return replace(status, **late, generated_at=self._now())

    async def _last_good_of(self, key: tuple[str, str]) -> _Fetched | None:
        """The last good value of a section: this replica's, or (with REDIS_URL) any replica's."""
        last = self._last_good.get(key)
        if last is None and self.shared is not None:
            last = await self.shared.get("good", f"{key[0]}:{key[1]}")
        return last

    async def _fallback(self, source: str, key: tuple[str, str], error: str) -> Section:
        last = await self._last_good_of(key)
        if last is None:
            return Section(source, None, None, error=error)
        return Section(source, last.value, self._dt(last.at), error=error, stale=True)

    @staticmethod
    async def _tuple(awaitable: Awaitable[list]) -> tuple:
        return tuple(await awaitable)

    def _now(self) -> datetime:
        return self._dt(self._clock())

    @staticmethod
    def _dt(ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)


class _NotFound:
    """Marker: the source said 404."""


def _consume(task: asyncio.Task) -> None:
    """Retrieve a background task's exception so it is never reported as unhandled."""
    if not task.cancelled():
        task.exception()
