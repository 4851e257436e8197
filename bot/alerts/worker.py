"""The loop that polls, drains the webhook inbox and sends the outbox — one leader at a time."""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from typing import Any, Callable, Final

from bot.alerts.engine import AlertEngine
from bot.alerts.sender import OutboxSender
from bot.store import Store
from connectors.errors import ConnectorError

log = logging.getLogger(__name__)

LEASE: Final = "alerts"
LEASE_TTL: Final = 20.0  # a dead holder is replaced within this plus one tick (< 30 s)


class AlertWorker:
    """Holds the lease, then: webhook inbox → pollers (every poll_interval) → reconcile → send."""

    def __init__(self, store: Store, engine: AlertEngine, sender: OutboxSender, *, holder: str | None = None,
                 lease_ttl: float = LEASE_TTL, poll_interval: float = 60.0, tick: float = 1.0,
                 clock: Callable[[], float] = time.time, snapshotter: Any = None) -> None:
        self.store = store
        self.engine = engine
        self.sender = sender
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease_ttl = lease_ttl
        self.poll_interval = poll_interval
        self.tick = tick
        self.clock = clock
        self.snapshotter = snapshotter
        self.daily_snapshots = True
        self.book: Any = None  # bot.book.BookService
        self.digest: Any = None  # bot.digest.DigestService: weekly digests, checked once a minute
        self._last_digest_check = 0.0
        self.wake = asyncio.Event()
        self.leader = False
        self._last_poll = 0.0

    async def step(self) -> bool:
        """One round; False when another process holds the lease."""
        leader = await self.store.acquire_lease(LEASE, self.holder, self.lease_ttl)
        if leader != self.leader:
            log.warning("%s %s the alert lease", self.holder, "took" if leader else "lost")
            self.leader = leader
            if not leader and self.snapshotter is not None:
                await self.snapshotter.stop()
        if not leader:
            return False
        if self.snapshotter is not None and self.daily_snapshots:
            await self.snapshotter.maybe_start_daily()
        await self.engine.drain_inbox()
        if self.clock() - self._last_poll >= self.poll_interval:
            self._last_poll = self.clock()
            await self.engine.poll()
        if self.digest is not None and self.clock() - self._last_digest_check >= 60:
            self._last_digest_check = self.clock()
            await self.digest.run_due()
        await self.sender.reconcile()
        await self.sender.run_once()
        return True

    async def _sleep_for(self) -> float:
        """Until the next tick, or sooner when a delivery falls due before it."""
        if not self.leader:
            return self.tick
        due = await self.store.next_due()
        if due is None:
            return self.tick
        return max(0.02, min(self.tick, due - self.clock()))

    async def close(self) -> None:
        """Stop background work: the daily round and pending snapshots."""
        if self.snapshotter is not None:
            await self.snapshotter.stop()
        await self.engine.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set; a failing round is logged and the loop goes on."""
        try:
            while not stop.is_set():
                try:
                    await self.step()
                except (ConnectorError, OSError) as exc:
                    log.warning("alert round failed: %s", exc)
                except Exception:
                    log.exception("alert round failed")
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), await self._sleep_for())
                except asyncio.TimeoutError:
                    pass
        finally:
            await self.close()
            if self.leader:
                await self.store.release_lease(LEASE, self.holder)
