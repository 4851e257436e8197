"""The join indexes (Asana projects by deal ID, QuickBooks invoices by deal ID) are built when `serve` or
`worker` starts, in the background: the first card reads them instead of scanning, and a card asked while
a build runs still answers (its section joins the build in flight, within the section's deadline)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from connectors.errors import ConnectorError

log = logging.getLogger(__name__)


@dataclass
class IndexBuild:
    """One index's start-up build, for `/account doctor` and /healthz."""

    state: str = "not started"  # "building", "built", "fresh" (nothing to do), "failed"
    started_at: float | None = None
    seconds: float | None = None
    entries: int | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "started_at": self.started_at,
            "seconds": None if self.seconds is None else round(self.seconds, 2),
            "entries": self.entries,
            "error": self.error,
        }


class IndexBuilds:
    """Starts the connectors' `warm_index()` (build unless fresh) once per process, and remembers how it went."""

    def __init__(self, **connectors: Any) -> None:
        self.connectors = {name: c for name, c in connectors.items() if hasattr(c, "warm_index")}
        self.builds = {name: IndexBuild() for name in self.connectors}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> asyncio.Task[None]:
        """Begin the builds in the background (again only after the last ones finished)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return self._task

    async def wait(self) -> None:
        """Until the builds started last have finished (tests, the benchmark)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _run(self) -> None:
        await asyncio.gather(*(self._build(name, c) for name, c in self.connectors.items()))

    async def _build(self, name: str, connector: Any) -> None:
        build = self.builds[name] = IndexBuild("building", time.time())
        start = time.monotonic()
        try:
            entries = await connector.warm_index()
        except ConnectorError as exc:
            build.state, build.error = "failed", exc.message
            log.warning("%s index: the start-up build failed (%s); cards build it when they need it", name, exc.message)
        except Exception as exc:  # never let a start-up build take the process down
            build.state, build.error = "failed", f"{type(exc).__name__}: {exc}"
            log.exception("%s index: the start-up build failed", name)
        else:
            build.state, build.entries = ("fresh", None) if entries is None else ("built", entries)
            if entries is not None:
                log.info("%s index: built %d entries at start-up", name, entries)
        build.seconds = time.monotonic() - start

    async def close(self) -> None:
        """Stop a build still running (shutdown)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def report(self) -> dict[str, dict[str, Any]]:
        """Per index: its start-up build's state, duration and error."""
        return {name: build.as_dict() for name, build in self.builds.items()}
