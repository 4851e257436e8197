"""The loop that polls, drains the webhook inbox and sends the outbox — one leader at a time.

The leader's lease is renewed by a heartbeat for as long as a round runs, and the round is
cancelled the moment a renewal fails, so two processes never lead at once; the inbox is
taken in claimed batches with the sender running between them, so a flood never starves delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

from bot.alerts.engine import AlertEngine
from bot.alerts.sender import OutboxSender
from bot.store import Store
from connectors.errors import ConnectorError

T = TypeVar("T")
log = logging.getLogger(__name__)

LEASE: Final = "alerts"
LEASE_TTL: Final = 20.0  # a dead holder is replaced within this plus one tick (< 30 s)
INBOX_BATCH: Final = 50  # signals per claimed batch; the sender runs between batches
CLAIM_TTLS: Final = {"slack-event": 3 * 3600.0, "log-communication": 7 * 86400.0}  # how long one-time keys live
PRUNE_EVERY: Final = 3600.0


def process_name() -> str:
    """This process among all that share the store: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class LeaseLost(Exception):
    """This process stopped being the leader in the middle of a round."""


class LeaseKeeper:
    """The alert lease of one process: renewed by a heartbeat while a round runs.

    `while_held(work)` runs the round beside a heartbeat that renews every third of the TTL;
    the moment a renewal fails the round is cancelled and LeaseLost raised. `check()` is the
    cheap guard before each side effect: it refuses once the last renewal is older than the TTL.
    """

    def __init__(self, store: Store, holder: str, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.holder = holder
        self.ttl = ttl
        self.clock = clock
        self._renewed = -1e18
        self.last_asked: float | None = None  # when the store last answered a take-or-renew (held or not)

    async def acquire(self) -> bool:
        """Take or renew the lease now; True while held."""
        held = await self.store.acquire_lease(LEASE, self.holder, self.ttl)
        self.last_asked = self.clock()
        if held:
            self._renewed = self.last_asked
        return held

    async def check(self) -> None:
        """Raise LeaseLost unless the lease was renewed within its TTL (no I/O)."""
        if self.clock() - self._renewed >= self.ttl:
            raise LeaseLost(self.holder)

    async def while_held(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run `work` while renewing the lease; cancel it and raise LeaseLost when renewal fails."""
        task = asyncio.ensure_future(work())
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.ttl / 3)
                if done:
                    return task.result()
                try:
                    held = await self.acquire()
                except Exception:  # the store is unreachable: we can't know we still lead
                    log.exception("renewing the alert lease failed")
                    held = False
                if not held:
                    raise LeaseLost(self.holder)
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, LeaseLost):
                    await task


class AlertWorker:
    """Holds the lease, then: webhook inbox (in batches, sending between) → pollers → reconcile → send."""

    def __init__(
        self,
        store: Store,
        engine: AlertEngine,
        sender: OutboxSender,
        *,
        holder: str | None = None,
        lease_ttl: float = LEASE_TTL,
        poll_interval: float = 60.0,
        tick: float = 1.0,
        clock: Callable[[], float] = time.time,
        snapshotter: Any = None,
        book: Any = None,
        digest: Any = None,
        daily_snapshots: bool = True,
    ) -> None:
        self.store = store
        self.engine = engine
        self.sender = sender
        self.holder = holder or process_name()
        self.lease = LeaseKeeper(store, self.holder, lease_ttl)
        self.poll_interval = poll_interval
        self.tick = tick
        self.clock = clock
        self.snapshotter = snapshotter
        self.daily_snapshots = daily_snapshots
        self.book = book  # bot.book.BookService
        self.digest = digest  # bot.digest.DigestService: weekly digests, checked once a minute
        self._last_digest_check = 0.0
        self._last_prune = 0.0
        self.wake = asyncio.Event()
        self.leader = False
        self._last_poll = 0.0
        self.running: bool | None = None  # None: run() never started (tests step the worker by hand)
        self._started = 0.0

    async def step(self) -> bool:
        """One round; False when another process holds the lease (or took it during the round)."""
        try:
            leader = await self.lease.acquire()
            await self._became(leader)
            return leader and await self.lease.while_held(self._round)
        except LeaseLost:
            log.warning("%s lost the alert lease during a round; stopping at once", self.holder)
            await self._became(False)
            return False

    async def _round(self) -> bool:
        await self.engine.start_alerting()
        if self.snapshotter is not None and self.daily_snapshots:
            await self.snapshotter.maybe_start_daily()
        await self.drain_inbox()
        if self.clock() - self._last_poll >= self.poll_interval:
            self._last_poll = self.clock()
            await self.engine.poll(self.lease)
        if self.digest is not None and self.clock() - self._last_digest_check >= 60:
            self._last_digest_check = self.clock()
            await self.digest.run_due()
        await self.sender.reconcile(self.lease)
        await self.sender.run_once(self.lease)
        if self.clock() - self._last_prune >= PRUNE_EVERY:
            self._last_prune = self.clock()
            for kind, ttl in CLAIM_TTLS.items():
                await self.store.prune_claims(kind, ttl)
        return True

    async def drain_inbox(self) -> int:
        """The webhook signals the serve processes stored, a claimed batch at a time, sending in between."""
        made = 0
        while True:
            await self.lease.check()
            batch = await self.store.take_inbox(self.holder, limit=INBOX_BATCH, ttl=self.lease.ttl * 3)
            if not batch:
                return made
            made += await self.engine.process(batch, self.lease)
            await self.sender.run_once(self.lease)

    async def _became(self, leader: bool) -> None:
        if leader == self.leader:
            return
        log.info("%s %s the alert lease", self.holder, "took" if leader else "lost")
        self.leader = leader
        if not leader and self.snapshotter is not None:
            await self.snapshotter.stop()

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

    def liveness(self) -> str | None:
        """Why the lease loop is not alive (for /healthz), or None while it is (or was never started).

        The loop asks the store for the lease every tick as a standby and renews it every third of
        the TTL as the leader: a whole TTL without an answer means it is stuck or cannot reach the store.
        """
        if self.running is None:
            return None
        if not self.running:
            return "the alert loop has stopped: restart the process"
        last = self.lease.last_asked if self.lease.last_asked is not None else self._started
        silent = self.lease.clock() - last
        if silent > self.lease.ttl:
            return (
                f"the alert loop has not reached the lease for {silent:.0f} s "
                "(stuck, or the database does not answer): check the database, then restart the process"
            )
        return None

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set; a failing round is logged and the loop goes on."""
        self.running, self._started = True, self.lease.clock()
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
                except TimeoutError:
                    pass
        finally:
            self.running = False
            await self.close()
            if self.leader:
                await self.store.release_lease(LEASE, self.holder)
