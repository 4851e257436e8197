"""Deals whose name or company looks like a query that matched nothing: at most three calls.

A mixin of `HubSpotConnector` (connector.py). One deal search and one company search, at
once, each one page whose filter groups (OR) ask for name tokens sharing the first two or
the last three letters of a query word (`Glbex` → `gl*`, `*bex`), then one v4 read of the
closest companies' deals. The caller ranks the candidates by similarity over the whole name.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING, Any, Final

from connectors.hubspot.records import DEAL_PROPERTIES, Stage, find_stage, match_from
from connectors.hubspot.records import gather_all as _all
from connectors.types import DealMatch

if TYPE_CHECKING:
    from connectors.runtime import Runner

MAX_GROUPS: Final = 5  # HubSpot: at most 5 filter groups per search
SIMILAR_PAGE: Final = 200  # HubSpot's largest search page
COMPANIES_READ: Final = 10  # the closest companies whose deals are read
WORD: Final = re.compile(r"[^\W_]+")


def token_patterns(query: str) -> list[str]:
    """CONTAINS_TOKEN patterns for a mistyped query: shared first two or last three letters of each word."""
    patterns: list[str] = []
    for word in WORD.findall(query.casefold()):
        if len(word) < 2 or word.isdigit():
            continue
        patterns.append(f"{word[:2]}*")
        if len(word) >= 4:
            patterns.append(f"*{word[-3:]}")
    return list(dict.fromkeys(patterns))[:MAX_GROUPS]


class SimilarNames:
    """`similar()` (mixed into HubSpotConnector)."""

    if TYPE_CHECKING:  # provided by HubSpotConnector
        runner: Runner
        _timeout: tuple[float, float]
        _search: Any

        async def _stages(self, object_type: str, refresh: bool = False) -> dict[str, Stage]: ...

        async def _associated(self, from_type: str, ids: list[str], to_type: str) -> dict[str, list[str]]: ...

        def remember_companies(self, names: dict[str, str]) -> None: ...

    async def similar(self, query: str) -> list[DealMatch]:
        """Candidate deals for a query that matched nothing (unranked): two searches and one association read."""
        patterns = token_patterns(query)
        if not patterns:
            return []
        deals, companies, stages = await _all(
            self._token_search("deals", "dealname", patterns, DEAL_PROPERTIES),
            self._token_search("companies", "name", patterns, ["name"]),
            self._stages("deals"),
        )
        names = {str(c.id): (c.properties or {}).get("name") or "" for c in companies}
        self.remember_companies(names)
        wanted = query.casefold()
        closest = sorted(names, key=lambda i: -difflib.SequenceMatcher(None, wanted, names[i].casefold()).ratio())
        by_company = await self._associated("companies", closest[:COMPANIES_READ], "deals") if closest else {}
        out: dict[str, DealMatch] = {}
        for deal in deals:
            props = deal.properties or {}
            stage = find_stage(stages, props.get("pipeline"), props.get("dealstage"))
            out[str(deal.id)] = match_from(deal, stage)
        for company_id, deal_ids in by_company.items():
            for deal_id in deal_ids:
                known = out.get(deal_id)
                name = names.get(company_id) or None
                # A company's deal the deal search didn't return goes by the company's name.
                out[deal_id] = (
                    DealMatch(
                        known.deal_id,
                        known.name,
                        known.stage_label,
                        known.amount,
                        known.close_date,
                        name,
                        currency=known.currency,
                    )
                    if known
                    else DealMatch(deal_id, name or f"Deal {deal_id}", "", None, None, name)
                )
        return list(out.values())

    async def _token_search(self, object_type: str, prop: str, patterns: list[str], properties: list[str]) -> list[Any]:
        body = {
            "filterGroups": [
                {"filters": [{"propertyName": prop, "operator": "CONTAINS_TOKEN", "value": p}]} for p in patterns
            ],
            "properties": properties,
            "limit": SIMILAR_PAGE,
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "DESCENDING"}],
        }
        page = await self.runner.call(
            self._search.do_search, object_type, body, limiter="search", _request_timeout=self._timeout
        )
        return list(page.results or [])
