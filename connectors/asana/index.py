"""The project index of AsanaConnector: every project of the workspace that carries a deal ID, in the store.

A mixin of `AsanaConnector` (connector.py), which provides `_list`, the store and the settings.
No Asana endpoint finds projects by a custom field's value: the index is scanned whole (at start-up,
when stale, and on a miss at most every `miss_refresh_interval`), and concurrent scans coalesce.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Final

from connectors.asana.derive import deal_value
from connectors.ports import IndexedProject
from connectors.runtime import join_first_build, shared_task

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.ports import AsanaStore

log = logging.getLogger(__name__)

SYSTEM: Final = "asana"  # the connector's name in errors, budgets and reports
# opt_fields go out as comma-separated strings: the SDK sends a list as its Python repr.
INDEX_FIELDS: Final = "name,archived,custom_fields.name,custom_fields.text_value,custom_fields.display_value"


class AsanaProjectIndex:
    """`find_project()`, `refresh_index()`, `warm_index()`, `index_project()` (mixed into AsanaConnector)."""

    if TYPE_CHECKING:  # provided by AsanaConnector
        workspace_gid: str
        store: AsanaStore
        deal_field: str
        index_max_age: float
        miss_refresh_interval: float
        first_build_wait: float
        _clock: Callable[[], float]
        _refresh: asyncio.Future[int] | None
        _last_scan: float | None
        _fresh_until: float
        _projects: Any

        async def _list(self, method: Callable[..., Any], *args: Any, fields: str) -> list[dict[str, Any]]: ...

    async def refresh_index(self) -> int:
        """Scan every project of the workspace (archived too) and store those carrying a deal ID."""
        return await asyncio.shield(self._start_refresh())

    async def warm_index(self) -> int | None:
        """At start-up: scan unless the stored index is fresh; projects indexed, None when it was fresh."""
        age = await self.store.asana_index_age(self.workspace_gid)
        if age is not None and age <= self.index_max_age:
            return None
        return await self.refresh_index()

    def _start_refresh(self) -> asyncio.Future[int]:
        """The scan in flight, or a new one: concurrent refreshes coalesce into one."""
        if self._refresh is None or self._refresh.done():
            self._last_scan = self._clock()
            self._refresh = shared_task(self._scan())
            self._refresh.add_done_callback(_consume)
        return self._refresh

    async def _scan(self) -> int:
        projects = await self._list(self._projects.get_projects_for_workspace, self.workspace_gid, fields=INDEX_FIELDS)
        entries = []
        for project in projects:
            deal = deal_value(project, self.deal_field)
            if deal:
                entries.append(
                    IndexedProject(project["gid"], deal, project.get("name") or "", bool(project.get("archived")), 0.0)
                )
        await self.store.replace_asana_index(self.workspace_gid, entries)
        self._fresh_until = self._clock() + self.index_max_age
        if projects and not entries:
            log.warning("asana: none of %d projects has a %r custom field with a value", len(projects), self.deal_field)
        return len(entries)

    async def _refresh_on_miss(self) -> bool:
        """Bring the index up to date for an unknown deal ID: join the scan in flight, or start one
        unless one started less than `miss_refresh_interval` ago (a flood of unknown IDs is one scan)."""
        if self._refresh is not None and not self._refresh.done():
            await asyncio.shield(self._refresh)
            return True
        if self._last_scan is not None and self._clock() - self._last_scan < self.miss_refresh_interval:
            return False
        await self.refresh_index()
        return True

    async def index_project(self, project_gid: str, deal_id: str, name: str) -> None:
        """Put a project the bot made or linked into the index at once (the next card finds it)."""
        await self.store.add_asana_project(self.workspace_gid, IndexedProject(project_gid, deal_id, name, False, 0.0))

    async def find_project(self, deal_id: str, *, patient: bool = False) -> IndexedProject | None:
        """The project carrying `deal_id` (unarchived first), from the index; a miss refreshes it.

        A never-built index is built first; a card waits for that only `first_build_wait` (IndexBuilding),
        a `patient` caller (making a project) as long as it takes."""
        deal_id = deal_id.strip()
        if self._clock() >= self._fresh_until:
            age = await self.store.asana_index_age(self.workspace_gid)
            if age is None:
                wait = None if patient else self.first_build_wait
                await join_first_build(self.refresh_index(), SYSTEM, "project", wait)
            elif age > self.index_max_age:
                self._start_refresh()  # stale: refresh in the background, answer from the index now
            else:
                self._fresh_until = self._clock() + self.index_max_age - age
        found = await self.store.asana_projects_for(self.workspace_gid, deal_id)
        if not found and await self._refresh_on_miss():
            found = await self.store.asana_projects_for(self.workspace_gid, deal_id)
        return found[0] if found else None


def _consume(future: asyncio.Future[Any]) -> None:
    """Retrieve a background future's exception so that it is logged once, not warned about."""
    if not future.cancelled() and future.exception() is not None:
        log.warning("asana index refresh failed: %s", future.exception())
