"""The links accountbot knows: one registry, used by `/account <link>` and by unfurls alike.

Each link type is a `Handler`: a matcher (URL → the portal and record it names) and the
function that fetches and renders it for an unfurl (Sentry's unfurl registry is the model).
The portal rule lives here once: a link from another HubSpot portal than ours is foreign.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from connectors.hubspot import parse_deal_url

if TYPE_CHECKING:
    from bot.unfurls import UnfurlContext

DEAL_ID_RE: Final = re.compile(r"^\s*(\d{1,20})\s*$")


class LinkType(enum.Enum):
    HUBSPOT_DEAL = "hubspot_deal"


class ForeignPortal(Exception):
    """A deal URL from another HubSpot portal than the one configured."""

    def __init__(self, portal_id: str) -> None:
        super().__init__(f"That link is from HubSpot portal {portal_id}, not this workspace's portal")
        self.portal_id = portal_id


@dataclass(frozen=True)
class LinkMatch:
    """A link we know: its type, the record it names, and whether it belongs to another portal."""

    type: LinkType
    url: str
    record_id: str
    account: str | None = None  # the portal the link belongs to
    foreign: bool = False


Render = Callable[["UnfurlContext", LinkMatch], Awaitable[dict[str, Any] | None]]


class Handler(NamedTuple):
    """One link type: how to recognise it, and how to unfurl it."""

    type: LinkType
    matcher: Callable[[str], tuple[str, str] | None]  # url -> (account, record id)
    unfurl: Render


class Links:
    """The registry, bound to our HubSpot portal."""

    def __init__(self, portal_id: str | None, handlers: tuple[Handler, ...] | None = None) -> None:
        self.portal_id = str(portal_id) if portal_id else None
        if handlers is None:
            from bot.unfurls import unfurl_deal

            handlers = (Handler(LinkType.HUBSPOT_DEAL, parse_deal_url, unfurl_deal),)
        self.handlers = handlers

    def match(self, url: str) -> tuple[Handler, LinkMatch] | None:
        """The handler that recognises `url`, and what it names; None for links we don't know."""
        for handler in self.handlers:
            found = handler.matcher(url)
            if found is not None:
                account, record_id = found
                foreign = bool(self.portal_id and account and account != self.portal_id)
                return handler, LinkMatch(handler.type, url, record_id, account, foreign)
        return None

    def deal_id_from(self, query: str) -> str | None:
        """A deal ID typed or pasted (bare number or HubSpot deal URL), without any call; ForeignPortal if not ours."""
        bare = DEAL_ID_RE.match(query)
        if bare:
            return bare.group(1)
        found = self.match(query.strip().strip("<>"))
        if found is None or found[1].type is not LinkType.HUBSPOT_DEAL:
            return None
        if found[1].foreign:
            raise ForeignPortal(found[1].account or "")
        return found[1].record_id
