"""link_shared: match through the registry, fetch concurrently, ONE chat.unfurl per event."""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from blocks.unfurl import compact_card, public_card, unavailable
from bot.links import LinkType, match_link
from bot.status import DealNotFound

if TYPE_CHECKING:
    from bot.app import AppDeps

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: "AppDeps") -> None:
    """HubSpot deal links in every form."""

    @app.event("link_shared")
    async def on_link_shared(event: dict[str, Any], client: Any) -> None:
        matches = {}
        for link in event.get("links") or []:
            found = match_link(link.get("url", ""))
            if found is not None and found.type is LinkType.HUBSPOT_DEAL:
                matches[found.url] = found
        if not matches:
            return
        portal = deps.settings.hubspot_portal_id
        matches = {u: m for u, m in matches.items() if not portal or not m.account or m.account == str(portal)}
        if not matches:
            return
        sharer = await deps.gate.user(event.get("user", ""))
        if not sharer.allowed:
            return  # a guest or an outsider pasting a link sees no account data, not even a name
        external = await deps.gate.channel_is_external(event.get("channel", ""))
        deal_ids = sorted({m.record_id for m in matches.values()})
        results = await asyncio.gather(*(deps.cards.for_deal(d) for d in deal_ids), return_exceptions=True)
        by_deal = dict(zip(deal_ids, results))
        now = deps.clock()
        unfurls: dict[str, Any] = {}
        for url, match in matches.items():
            result = by_deal[match.record_id]
            if isinstance(result, DealNotFound):
                if not external:
                    unfurls[url] = unavailable(match.record_id, "no such deal in HubSpot")
            elif isinstance(result, BaseException):
                log.warning("unfurl of deal %s failed: %r", match.record_id, result)
            else:
                unfurls[url] = public_card(result) if external else compact_card(result, now)
        if not unfurls:
            return
        target: dict[str, Any]
        if event.get("unfurl_id") and event.get("source"):
            target = {"unfurl_id": event["unfurl_id"], "source": event["source"]}
        else:
            target = {"channel": event["channel"], "ts": event["message_ts"]}
        await client.chat_unfurl(unfurls=unfurls, **target)
