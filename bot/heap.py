"""Python's cycle collector and a long-running server.

A full (oldest-generation) collection walks every tracked object. In `serve` that is the SDKs'
generated models, SQLAlchemy, Bolt and the join indexes: several hundred thousand objects that
live as long as the process, and a walk of them stalled the event loop for 60-70 ms, every few
bursts of commands (the ack's p99 was the stall, not the work). Objects that exist once start-up
is done, and an index once built, are collected once and then frozen (`gc.freeze`): left out of
later walks, so a full collection walks only what requests and caches made since. Nothing frozen
is leaked by it: plain reference counting still frees whatever is dropped; only garbage in cycles
among frozen objects is kept, and the collection just before the freeze leaves none.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger(__name__)


def settle(reason: str) -> None:
    """Collect what is garbage now, then freeze the rest out of future full collections."""
    start = time.perf_counter()
    gc.collect()
    gc.freeze()
    took = (time.perf_counter() - start) * 1000
    log.debug("heap settled (%s): %d objects frozen in %.0f ms", reason, gc.get_freeze_count(), took)


def after_index_builds(index_builds: asyncio.Task[None]) -> None:
    """Settle again once the start-up index builds are done (an index lives until the next build
    replaces it). `serve` and `worker` call this and `settle` (a policy of the process, not of a service)."""
    index_builds.add_done_callback(lambda _: settle("indexes built"))
