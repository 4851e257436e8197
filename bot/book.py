"""The rep's book for App Home: their deals, each with health from the latest snapshot."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from bot.models.views import BookLine
from connectors.errors import ConnectorError
from connectors.types import DealMatch, Person

log = logging.getLogger(__name__)
STALE_AFTER: Final = 36 * 3600.0  # older than a day and a half: refresh in the background
LIVE_BUDGET: Final = 2.0  # seconds Home waits for accounts never assessed before publishing


class BookService:
    """Slack user → HubSpot owner → deals → lines (from snapshots, live for the missing ones)."""

    def __init__(
        self,
        store: Any,
        hubspot: Any,
        gate: Any,
        snapshotter: Any,
        *,
        closed_months: int = 18,
        min_open_probability: float = 0.6,
    ) -> None:
        self.store = store
        self.hubspot = hubspot
        self.gate = gate
        self.snapshotter = snapshotter
        self.closed_months = closed_months
        self.min_open_probability = min_open_probability
        self._refreshing: set[str] = set()

    async def owner(self, user_id: str) -> tuple[Person | None, str | None]:
        """(HubSpot owner, Slack email) for a Slack user."""
        email = await self.gate.email(user_id)
        if not email:
            return None, None
        return await self.hubspot.owner_by_email(email), email

    async def deals(self, owner_id: str, today: date) -> list[DealMatch]:
        """The rep's book: won in the last 18 months, or open past the configured stage."""
        since = today - timedelta(days=round(self.closed_months * 30.44))
        return await self.hubspot.deals_owned(
            owner_id, closed_since=since, min_open_probability=self.min_open_probability
        )

    async def lines(self, deals: list[DealMatch]) -> tuple[list[BookLine], list[str]]:
        """Lines from the latest snapshots; (lines, deal ids still being assessed in the background)."""
        ids = [d.deal_id for d in deals]
        latest = await self.store.latest_snapshots(ids)
        missing = [d for d in ids if d not in latest]
        if missing:  # never assessed: try live, briefly
            tasks = [asyncio.create_task(self.snapshotter.take(d, refresh=False)) for d in missing]
            done, _ = await asyncio.wait(tasks, timeout=LIVE_BUDGET)
            latest.update(await self.store.latest_snapshots(missing))
        stale = [d for d in ids if d not in latest or time.time() - latest[d][0] > STALE_AFTER]
        lines = [self._line(d, latest.get(d.deal_id)) for d in deals]
        return lines, stale

    def refresh_later(self, deal_ids: list[str], then: Any = None) -> None:
        """Snapshot these in the background (once each at a time), then call `then()`."""
        todo = [d for d in deal_ids if d not in self._refreshing]
        if not todo:
            return
        self._refreshing.update(todo)

        async def run() -> None:
            try:
                for deal_id in todo:
                    try:
                        await self.snapshotter.take(deal_id, refresh=False)
                    except (ConnectorError, Exception):
                        log.exception("background snapshot of %s failed", deal_id)
                    finally:
                        self._refreshing.discard(deal_id)
                if then is not None:
                    await then()
            except Exception:
                log.exception("book refresh failed")

        asyncio.get_running_loop().create_task(run())

    @staticmethod
    def _line(deal: DealMatch, latest: tuple[float, dict[str, Any]] | None) -> BookLine:
        if latest is None:
            return BookLine(
                deal.deal_id,
                deal.name,
                "unknown",
                ("not assessed yet — checking now",),
                None,
                None,
                None,
                None,
                False,
                None,
            )
        taken_at, data = latest
        health = data.get("health_detail") or {}
        outstanding = data.get("outstanding")
        return BookLine(
            deal.deal_id,
            data.get("name") or deal.name,
            health.get("level") or data.get("health") or "unknown",
            tuple(health.get("reasons") or ()),
            data.get("phase"),
            float(data["progress"]) if data.get("phase") and data.get("progress") is not None else None,
            Decimal(outstanding) if outstanding is not None else None,
            data.get("currency"),
            bool(health.get("upsell")),
            health.get("upsell_reason"),
            assessed_at=datetime.fromtimestamp(taken_at, UTC),
            stale=time.time() - taken_at > STALE_AFTER,
        )
