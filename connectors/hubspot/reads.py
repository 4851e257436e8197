"""The paged reads: text search pages, v4 association pages, batch reads of records by id.

A mixin of `HubSpotConnector` (connector.py), which provides the Runner and the SDK API objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from connectors.hubspot.records import gather_all as _all

if TYPE_CHECKING:
    from connectors.runtime import Runner


class PagedReads:
    """`_search_all()`, `_associated()`, `_association_links()` and `_batch_read()` (mixed into HubSpotConnector)."""

    if TYPE_CHECKING:  # provided by HubSpotConnector
        runner: Runner
        search_page_size: int
        max_search_results: int
        _timeout: tuple[float, float]
        _batch: Any
        _search: Any
        _associations_api: Any

    async def _search_all(self, object_type: str, query: str, properties: list[str]) -> list[Any]:
        """Every match of a text search, following `after` pages up to max_search_results."""
        results: list[Any] = []
        after: str | None = None
        while len(results) < self.max_search_results:
            body: dict[str, Any] = {
                "query": query,
                "limit": self.search_page_size,
                "properties": properties,
                "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "DESCENDING"}],
            }
            if after:
                body["after"] = after
            page = await self.runner.call(
                self._search.do_search, object_type, body, limiter="search", _request_timeout=self._timeout
            )
            results.extend(page.results or [])
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                break
        return results[: self.max_search_results]

    async def _associated(self, from_type: str, ids: list[str], to_type: str) -> dict[str, list[str]]:
        """Associated record ids per source id (v4 batch read, following each source's paging)."""
        links = await self._association_links(from_type, ids, to_type)
        return {source: [str(t.to_object_id) for t in to] for source, to in links.items()}

    async def _association_links(self, from_type: str, ids: list[str], to_type: str) -> dict[str, list[Any]]:
        """The v4 `to` items (id and association types) per source id, following each source's paging."""
        out: dict[str, list[Any]] = {}
        pending = [{"id": i} for i in dict.fromkeys(ids)]
        while pending:
            chunks = [pending[n : n + 1000] for n in range(0, len(pending), 1000)]
            pages = await _all(
                *(
                    self.runner.call(
                        self._associations_api.get_page,
                        from_type,
                        to_type,
                        {"inputs": chunk},
                        _request_timeout=self._timeout,
                    )
                    for chunk in chunks
                )
            )
            pending = []
            for page in pages:
                for result in page.results or []:
                    source = str(result._from.id)
                    out.setdefault(source, []).extend(result.to or [])
                    if result.paging and result.paging.next and result.paging.next.after:
                        pending.append({"id": source, "after": result.paging.next.after})
        return out

    async def _batch_read(self, object_type: str, ids: Iterable[str], properties: list[str]) -> list[Any]:
        """Records by id, 100 per request, concurrently; ids that no longer exist are skipped."""
        unique = list(dict.fromkeys(ids))
        pages = await _all(
            *(
                self.runner.call(
                    self._batch.read,
                    object_type,
                    {
                        "inputs": [{"id": i} for i in unique[n : n + 100]],
                        "properties": properties,
                        "propertiesWithHistory": [],
                    },
                    archived=False,
                    _request_timeout=self._timeout,
                )
                for n in range(0, len(unique), 100)
            )
        )
        return [obj for page in pages for obj in page.results or []]
