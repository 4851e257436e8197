"""The pollers: the backstop for webhooks (payments from the accounting, HubSpot tickets by creation time).

QuickBooks finds changed payments by CDC, NetSuite (no webhooks) by SuiteQL on lastmodifieddate.

A mixin of AlertEngine, which records what they find through the same path as the webhooks.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol

from bot.store import keys
from connectors.errors import ConnectorError

if TYPE_CHECKING:
    from bot.store import Store
    from connectors.ports import Accounting
    from connectors.types import TicketInfo

log = logging.getLogger(__name__)
WIN_LOOKBACK: Final = timedelta(minutes=5)  # HubSpot's search lags its writes by a few seconds
TICKET_LOOKBACK: Final = timedelta(minutes=15)  # a ticket is often associated with its deal minutes after creation


class LeaseCheck(Protocol):
    """Raises when this process is no longer the leader (bot.alerts.worker.LeaseKeeper)."""

    async def check(self) -> None: ...


class Pollers:
    """`poll()` (mixed into AlertEngine)."""

    if TYPE_CHECKING:  # provided by AlertEngine
        store: Store
        hubspot: Any
        accounting: Accounting

        async def start_alerting(self) -> float: ...

        async def payments(self, payment_ids: list[str]) -> int: ...

        async def ticket_info(self, info: TicketInfo) -> int: ...

        async def _learn_deals(self, deal_ids: list[str]) -> None: ...

        projects: Any

    async def poll(self, lease: LeaseCheck | None = None) -> int:
        """The backstop for webhooks: the accounting's payments, HubSpot tickets by creation time."""
        await self.start_alerting()  # what the first polls look back on predates this: owners don't hear of it
        made = 0
        for name, fn in (
            (self.accounting.system, self._poll_payments),
            ("hubspot", self._poll_tickets),
            ("hubspot-wins", self._poll_wins),
        ):
            if lease is not None:
                await lease.check()
            try:
                made += await fn()
                await self.store.set_sync(keys.poll_ok(name), str(time.time()))
            except ConnectorError as exc:
                log.warning("poll of %s failed: %s", name, exc)
        return made

    async def _poll_payments(self) -> int:
        name = keys.payment_cursor(self.accounting.system)
        cursor = await self.store.get_sync(name)
        ids, new_cursor = await self.accounting.changed_payments(cursor)
        made = await self.payments(ids) if ids else 0
        await self.store.set_sync(name, new_cursor)
        return made

    async def _poll_tickets(self) -> int:
        stored = await self.store.get_sync(keys.HUBSPOT_TICKETS_SINCE)
        if stored is None:  # first run: start from now, don't alert on history
            await self.store.set_sync(keys.HUBSPOT_TICKETS_SINCE, datetime.now(UTC).isoformat())
            return 0
        since = datetime.fromisoformat(stored)
        made = 0
        newest = since
        # Look back a while: a ticket is often associated with its deal minutes after creation.
        infos = await self.hubspot.tickets_since(since - TICKET_LOOKBACK)
        await self._learn_deals([d for info in infos if info.is_open for d in info.deal_ids])
        for info in infos:
            made += await self.ticket_info(info)
            newest = max(newest, info.escalation.created_at)
        await self.store.set_sync(keys.HUBSPOT_TICKETS_SINCE, newest.isoformat())
        return made

    async def _poll_wins(self) -> int:
        """Deals that entered a won stage since the watermark: each gets its delivery project (once)."""
        if self.projects is None or not self.projects.configured:
            return 0
        now = datetime.now(UTC)
        stored = await self.store.get_sync(keys.HUBSPOT_WINS_SINCE)
        if stored is None:  # first run: from now on, not the deals won before the bot was there
            await self.store.set_sync(keys.HUBSPOT_WINS_SINCE, now.isoformat())
            return 0
        for deal_id in await self.hubspot.deals_won_since(datetime.fromisoformat(stored) - WIN_LOOKBACK):
            await self.projects.on_stage_change(deal_id)
        await self.store.set_sync(keys.HUBSPOT_WINS_SINCE, now.isoformat())
        return 0
