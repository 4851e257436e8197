"""Turn what a user typed into one deal, several candidates, or a helpful 'no match'."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from bot.links import ForeignPortal, Links
from bot.status import StatusService
from connectors.types import DealMatch

NO_QUERY: Final = "Type an account name, a HubSpot deal ID or paste a deal link."
NO_WORDS: Final = "“{query}” has no letters or digits to look for. " + NO_QUERY
NOT_A_DEAL_LINK: Final = (
    "“{query}” is not a HubSpot deal link. Paste the link of the deal's page in HubSpot "
    "(…/record/0-3/ID), its deal ID, or type the account name."
)
SHOWN: Final = 10  # candidates a picker lists
WORD: Final = re.compile(r"[^\W_]", re.UNICODE)


@dataclass(frozen=True)
class Lookup:
    """The outcome: `deal_id` when one deal is meant, else `matches` and a message."""

    query: str
    deal_id: str | None = None
    matches: tuple[DealMatch, ...] = field(default=())
    message: str = ""
    more: bool = False  # more deals matched than `matches` lists


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("–", "-").split())


async def lookup(status: StatusService, query: str, links: Links | None = None) -> Lookup:
    """One deal for an ID, a URL, a unique or exact name; otherwise the candidates."""
    query = query.strip()
    if not query:
        return Lookup(query, message=NO_QUERY)
    try:
        deal_id = (links or Links(status.hubspot.portal_id)).deal_id_from(query)
    except ForeignPortal as exc:
        return Lookup(query, message=str(exc))
    if deal_id is not None:
        return Lookup(query, deal_id=deal_id)
    if not WORD.search(query):
        return Lookup(query, message=NO_WORDS.format(query=query))
    if "://" in query or query.lower().startswith("www."):
        return Lookup(query, message=NOT_A_DEAL_LINK.format(query=query))
    found = tuple(await status.resolve(query, limit=SHOWN + 1))
    matches, more = found[:SHOWN], len(found) > SHOWN
    if not matches:
        return Lookup(query, message=f"No deal matches “{query}”.")
    if len(matches) == 1:
        return Lookup(query, deal_id=matches[0].deal_id, matches=matches)
    wanted = _norm(query)
    exact = [m for m in matches if _norm(m.name) == wanted or _norm(m.company_name or "") == wanted]
    if len(exact) == 1:
        return Lookup(query, deal_id=exact[0].deal_id, matches=matches)
    if more:
        return Lookup(query, matches=matches, more=True, message=f"More than {SHOWN} deals match “{query}”; pick one:")
    return Lookup(query, matches=matches, message=f"{len(matches)} deals match “{query}”; pick one:")
