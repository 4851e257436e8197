"""The registry of links accountbot unfurls: a matcher per link type, pure functions."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable, Final

from connectors.hubspot import parse_deal_url


class LinkType(enum.Enum):
    HUBSPOT_DEAL = "hubspot_deal"


@dataclass(frozen=True)
class LinkMatch:
    """A link we know: its type and the record it names."""

    type: LinkType
    url: str
    record_id: str
    account: str | None = None  # portal / company the link belongs to


@dataclass(frozen=True)
class Matcher:
    type: LinkType
    match: Callable[[str], tuple[str, str] | None]  # url -> (account, record_id)


MATCHERS: Final = (Matcher(LinkType.HUBSPOT_DEAL, parse_deal_url),)


def match_link(url: str) -> LinkMatch | None:
    """The first matcher that recognises `url`, or None."""
    for matcher in MATCHERS:
        found = matcher.match(url)
        if found is not None:
            account, record_id = found
            return LinkMatch(matcher.type, url, record_id, account)
    return None
