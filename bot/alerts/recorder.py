"""From an event to its deliveries: who hears of it, recorded once, and a snapshot of the account after it.

The engine (payments, escalations) and the project-on-close service (delivery projects) both
record their events here, so the rules are one: each subscription that existed when the event
happened and wants its kind (and its minimum), plus the deal owner by DM.
"""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final

from bot.alerts.sender import EMAIL_PREFIX
from bot.models.alerts import AlertKind, AlertPayload
from bot.models.views import Subscription
from bot.store import keys

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.store import Store

log = logging.getLogger(__name__)

BURST_WINDOW: Final = 0.5  # seconds a delivery waits so that near-simultaneous events go as one message
SNAPSHOT_SETTLE: Final = 2.0
TIME_PRECISION: Final = 1.0  # QuickBooks and HubSpot stamp events to the second (or ms): an event "after" within it


class EventRecorder:
    """Records events once, with their deliveries; snapshots the account once a burst has settled."""

    def __init__(
        self, store: Store, settings: Settings, *, snapshotter: Any = None, burst_window: float = BURST_WINDOW
    ) -> None:
        self.store = store
        self.settings = settings
        self.snapshotter = snapshotter  # bot.snapshots.Snapshotter: a snapshot after every event
        self.burst_window = burst_window
        self._background: set[asyncio.Task] = set()
        self._snapshot_pending: set[str] = set()
        self._alerting_since: float | None = None

    async def start_alerting(self) -> float:
        """When this installation began alerting (stored once): owners hear of what happens after it."""
        if self._alerting_since is None:
            stored = await self.store.get_sync(keys.ALERTING_SINCE)
            if stored is None:
                await self.store.set_sync(keys.ALERTING_SINCE, str(time.time()))
                stored = await self.store.get_sync(keys.ALERTING_SINCE)
            self._alerting_since = float(stored or time.time())
        return self._alerting_since

    async def record(
        self,
        key: str,
        kind: AlertKind,
        deal_id: str,
        payload: AlertPayload,
        owner_email: str | None,
        *,
        amount: Decimal | None = None,
        occurred: float | None = None,
        heard: float | None = None,
    ) -> int:
        """Record the event once, with a delivery for each subscription that existed when it happened; 1 if new.

        Its deliveries fall due one burst window after `heard` (when the webhook arrived; now for a poller),
        so the lookups that made the event run inside the window instead of before it.
        """
        when = occurred if occurred is not None else time.time()
        deliveries: list[tuple[str, str, int | None]] = []
        for sub in await self.store.subscriptions_for(deal_id):
            if kind in sub.kinds and _over_minimum(sub, amount) and sub.created_at < when + TIME_PRECISION:
                deliveries.append((sub.channel_id, f"{sub.channel_id}|{deal_id}|{kind}", sub.id))
        if self.settings.alert_owner_dm and owner_email and when + TIME_PRECISION > await self.start_alerting():
            email = owner_email.strip().lower()  # the Slack user is looked up when sending (and retried)
            deliveries.append((f"{EMAIL_PREFIX}{email}", f"{EMAIL_PREFIX}{email}|{deal_id}|{kind}", None))
        deliveries = list({d[0]: d for d in reversed(deliveries)}.values())[::-1]  # one per destination
        new = await self.store.record_event(
            key, kind, deal_id, payload, when, deliveries, due_at=(heard or time.time()) + self.burst_window
        )
        if new:
            log.info("event %s: %d deliveries", key, len(deliveries))
            if self.snapshotter is not None and kind != AlertKind.UPSELL:  # history: a snapshot on every event
                self._snapshot_soon(deal_id)
        return int(new)

    def _snapshot_soon(self, deal_id: str) -> None:
        """One snapshot per account per burst of events, taken once the burst has settled."""
        if deal_id in self._snapshot_pending:
            return
        self._snapshot_pending.add(deal_id)

        async def later() -> None:
            try:
                await asyncio.sleep(self.burst_window + SNAPSHOT_SETTLE)
                self._snapshot_pending.discard(deal_id)
                await self.snapshotter.take(deal_id)
            except Exception:
                log.exception("snapshot after an event on %s failed", deal_id)
            finally:
                self._snapshot_pending.discard(deal_id)

        task = asyncio.get_running_loop().create_task(later())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        """Cancel background snapshots (shutdown)."""
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


def _over_minimum(sub: Subscription, amount: Decimal | None) -> bool:
    if amount is None or not sub.min_amount:
        return True
    try:
        return amount >= Decimal(sub.min_amount)
    except InvalidOperation:
        return True
