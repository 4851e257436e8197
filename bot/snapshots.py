"""Status snapshots: on every event and daily for every tracked account, paced under the rate limits."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any, Final

from bot.models import AccountStatus
from bot.models.snapshot import Snapshot
from bot.status import DealNotFound, StatusService
from bot.store import Store, keys
from connectors.errors import ConnectorError
from connectors.runtime import background

log = logging.getLogger(__name__)
DAY: Final = 86400.0
CURSOR: Final = keys.DAILY_SNAPSHOTS
CHUNK: Final = 100  # accounts per batched fetch (HubSpot batch reads take 100 ids)


class Snapshotter:
    """Takes snapshots through the status service (so the connectors' rate limiters pace it)."""

    def __init__(
        self,
        store: Store,
        status: StatusService,
        *,
        spread: float = 0.5 * DAY,
        concurrency: int = 4,
        thresholds: Any = None,
        on_upsell: Any = None,
        writeback: Any = None,
    ) -> None:
        self.store = store
        self.status = status
        self.spread = spread  # the daily round is spread over this long, leaving room for cards and alerts
        self.concurrency = concurrency
        self.thresholds = thresholds
        self.on_upsell = on_upsell  # async (status, health): bot.alerts.upsells.Upsells
        self.writeback = writeback  # bot.writeback.WriteBack: what a snapshot learned goes onto the deal
        self._task: asyncio.Task | None = None

    async def take(self, deal_id: str, *, refresh: bool = True) -> Snapshot | None:
        """Snapshot one account now (after an event: fresh data)."""
        try:
            status = await self.status.get_status(deal_id, refresh=refresh)
        except DealNotFound:
            return None
        return await self.record(status)

    async def take_many(self, deal_ids: list[str]) -> int:
        """Snapshot many accounts through the batched fetch (the daily round)."""
        if not hasattr(self.status.hubspot, "accounts"):  # money_many is on every AccountingLike
            results = await asyncio.gather(*(self.take(d, refresh=False) for d in deal_ids))
            return sum(1 for r in results if r)
        statuses = await self.status.get_statuses(deal_ids)
        taken = 0
        for status in statuses.values():
            if await self.record(status):
                taken += 1
        if self.writeback is not None:
            await self.writeback.flush()  # the chunk's changes in batches of 100, now
        return taken

    async def record(self, status: AccountStatus) -> Snapshot | None:
        """Assess and store one status; None when HubSpot could not even say what the deal is."""
        from bot.health import Thresholds, assess
        from bot.history import snapshot

        deal_id = status.deal_id
        if status.partial and not status.deal.available:
            return None  # HubSpot down: a snapshot without the deal would mislead history
        health = assess(status, status.today, self.thresholds or Thresholds())
        data = snapshot(status, health=health)
        data.update(
            {
                "deal_id": deal_id,
                "name": status.name,
                "health_detail": {
                    "level": health.level,
                    "reasons": list(health.reasons),
                    "upsell": health.upsell,
                    "upsell_reason": health.upsell_reason,
                },
                "partial": status.partial,
            }
        )
        await self.store.add_snapshot(deal_id, data)
        if self.writeback is not None:
            self.writeback.learned(replace(status, health=health))
        if health.upsell and self.on_upsell is not None:
            await self.on_upsell(status, health)
        return data

    async def tracked(self) -> list[str]:
        """Accounts with post-sale life: a delivery project, invoices, a subscription or an event."""
        ids = await self.store.tracked_deal_ids()
        ids.discard("*")
        return sorted(ids)

    async def daily_round(self, *, pace: bool = True) -> int:
        """Snapshot every tracked account once; resumes where a restart left off.

        Paced, chunks are spread over `spread` and every upstream call inside a chunk is background
        work (connectors.runtime.background): evenly spaced, within half of each vendor's limit.
        """
        state = await self.store.get_sync(CURSOR)
        if not state:  # a new round: bring the accounting's deal -> invoices index up to date first
            try:
                await self.status.accounting.sync_index()
            except ConnectorError as exc:
                log.warning("the accounting's invoice index could not be refreshed (%s); using it as it is", exc)
        deals = await self.tracked()
        started, done_upto = state.split("|", 1) if state else (str(time.time()), "")
        pending = [d for d in deals if d > done_upto]
        gap = self.spread / max(1, len(deals)) if pace else 0.0
        taken = 0
        for index in range(0, len(pending), CHUNK):
            chunk = pending[index : index + CHUNK]
            begun = time.monotonic()
            try:
                if pace:
                    with background():
                        taken += await self.take_many(chunk)
                else:
                    taken += await self.take_many(chunk)
            except Exception:
                log.exception("snapshots of %d accounts failed; the next round tries again", len(chunk))
            await self.store.set_sync(CURSOR, f"{started}|{chunk[-1]}")
            if gap:  # spread the round over the day, leaving the limits to cards and alerts
                await asyncio.sleep(max(0.0, gap * len(chunk) - (time.monotonic() - begun)))
        await self.store.set_sync(keys.DAILY_SNAPSHOTS_LAST, str(time.time()))
        await self.store.set_sync(CURSOR, "")
        return taken

    async def maybe_start_daily(self) -> None:
        """Start today's round in the background if it is due and not running."""
        if self._task is not None and not self._task.done():
            return
        last = await self.store.get_sync(keys.DAILY_SNAPSHOTS_LAST)
        resuming = bool(await self.store.get_sync(CURSOR))
        if resuming or last is None or time.time() - float(last) >= DAY:
            self._task = asyncio.create_task(self.daily_round())

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
