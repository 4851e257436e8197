"""The cached lookups: pipelines and their stages, owners, company names.

A mixin of `HubSpotConnector` (connector.py), which provides the Runner, the SDK API objects,
the cache and its locks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar

from connectors.errors import ConnectorError, NotFoundError
from connectors.hubspot.records import Stage, person_from
from connectors.types import Person

if TYPE_CHECKING:
    from connectors.runtime import Runner

T = TypeVar("T")
log = logging.getLogger(__name__)
REFRESH_AFTER: Final = 60.0  # seconds: an unknown stage reloads the pipelines at most this often


class CachedLookups:
    """Stages, owners and company names, cached with single flight (mixed into HubSpotConnector)."""

    if TYPE_CHECKING:  # provided by HubSpotConnector
        runner: Runner
        cache_ttl: float
        _timeout: tuple[float, float]
        _cache: dict[tuple, tuple[float, Any]]
        _locks: dict[tuple, asyncio.Lock]
        _objects: Any
        _pipelines_api: Any
        _owners_api: Any

        def known_company(self, company_id: str) -> str | None: ...

    async def _cached(self, key: tuple, load: Callable[[], Awaitable[T]], refresh: bool = False) -> T:
        """A TTL cache with single flight; `refresh` reloads unless the entry is under a minute old."""
        async with self._locks.setdefault(key, asyncio.Lock()):
            at, value = self._cache.get(key, (float("-inf"), None))
            age = time.monotonic() - at
            if age < self.cache_ttl and not (refresh and age >= REFRESH_AFTER):
                return value
            value = await load()
            self._cache[key] = (time.monotonic(), value)
            return value

    async def _stages(self, object_type: str, refresh: bool = False) -> dict[str, Stage]:
        """Every stage of every pipeline of `object_type`, by stage id (cached)."""

        async def load() -> dict[str, Stage]:
            page = await self.runner.call(self._pipelines_api.get_all, object_type, _request_timeout=self._timeout)
            stages: dict[str, Stage] = {}
            for p in page.results:
                for s in p.stages:
                    stage = Stage(str(s.id), s.label, p.label, {k: str(v) for k, v in (s.metadata or {}).items()})
                    stages[f"{p.id}/{s.id}"] = stage
                    stages.setdefault(str(s.id), stage)  # stage ids are unique per portal in practice
            return stages

        return await self._cached(("pipelines", object_type), load, refresh)

    async def _owners(self) -> dict[str, Person]:
        """Active owners by owner id (cached)."""

        async def load() -> dict[str, Person]:
            owners: dict[str, Person] = {}
            after = None
            while True:
                page = await self.runner.call(
                    self._owners_api.get_page, limit=500, after=after, archived=False, _request_timeout=self._timeout
                )
                owners.update((str(o.id), person_from(o)) for o in page.results)
                after = page.paging.next.after if page.paging and page.paging.next else None
                if not after:
                    return owners

        return await self._cached(("owners",), load)

    async def _owners_or_empty(self) -> dict[str, Person]:
        try:
            return await self._owners()
        except ConnectorError as exc:  # the deal is still worth showing without owner names
            log.warning("hubspot owners unavailable: %s", exc)
            return {}

    async def _owner(self, owner_id: str | None, owners: dict[str, Person]) -> Person | None:
        if not owner_id:
            return None
        if owner_id in owners:
            return owners[owner_id]

        async def load() -> Person | None:  # not in the list: deactivated, or newer than the cache
            try:
                return person_from(
                    await self.runner.call(
                        self._owners_api.get_by_id,
                        owner_id,
                        id_property="id",
                        archived=False,
                        _request_timeout=self._timeout,
                    )
                )
            except NotFoundError:
                return None

        try:
            return await self._cached(("owner", owner_id), load)
        except ConnectorError as exc:
            log.warning("hubspot owner %s unavailable: %s", owner_id, exc)
            return None

    async def _company_name(self, company_id: str | None) -> str | None:
        if not company_id:
            return None
        known = self.known_company(company_id)
        if known:
            return known
        try:
            company = await self.runner.call(
                self._objects.get_by_id,
                "companies",
                company_id,
                properties=["name"],
                archived=False,
                _request_timeout=self._timeout,
            )
        except NotFoundError:
            return None
        return (company.properties or {}).get("name") or None
