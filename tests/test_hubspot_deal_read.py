"""A card's HubSpot reads: one deal read with its associations inline, paged past 100, scoped per type."""

from __future__ import annotations

import asyncio

import pytest

from connectors.errors import MissingScopes
from connectors.hubspot import HubSpotConnector
from sandbox.hubspot import HubSpotEmulator
from tests.test_hubspot import (  # noqa: F401  (fixture)
    ACME,
    UMBRELLA,
    connect,
    hs,
    raw,
)

LINKED = "companies,tickets,emails,calls,meetings,notes"


async def test_inline_associations_stop_at_100_and_page(hub: HubSpotEmulator) -> None:
    """HubSpot returns at most 100 associations of a type with the record, and a paging link for the rest."""
    for n in range(120):
        hub.add_ticket(UMBRELLA, f"Ticket {n}")
    status, body, _ = await raw(hub, "GET", f"/crm/v3/objects/deals/{UMBRELLA}?associations={LINKED}")
    assert status == 200
    tickets = body["associations"]["tickets"]
    assert len(tickets["results"]) == 100
    assert tickets["paging"]["next"]["after"] and tickets["paging"]["next"]["link"]
    assert "paging" not in body["associations"]["companies"]


async def test_a_deal_with_more_than_100_tickets_shows_them_all(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    """Past the inline 100 the connector reads the type through the v4 associations API."""
    before = len(await hs.open_escalations(UMBRELLA))
    for n in range(120):
        hub.add_ticket(UMBRELLA, f"Ticket {n}")
    hub.reset_calls()
    assert len(await hs.open_escalations(UMBRELLA)) == before + 120
    assert hub.count("/crm/v4/associations/deals/tickets/batch/read") == 1


async def test_the_three_card_reads_share_one_deal_read(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    """Deal, escalations and last communication fetched together read the deal once, no v4 association calls."""
    await asyncio.gather(hs.get_deal(ACME), hs.open_escalations(ACME))  # pipelines, owners cached
    hub.reset_calls()
    await asyncio.gather(hs.get_deal(UMBRELLA), hs.open_escalations(UMBRELLA), hs.last_communication(UMBRELLA))
    deal_reads = [c for c in hub.calls if c.path == f"/crm/v3/objects/deals/{UMBRELLA}"]
    assert len(deal_reads) == 1
    assert not hub.count("/crm/v4/associations")


async def test_a_searched_company_name_is_not_read_again(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    """The company search already returned the name: the deal's card makes no company read."""
    matches = await hs.resolve("Umbrella")
    assert any(m.deal_id == UMBRELLA for m in matches)
    hub.reset_calls()
    deal = await hs.get_deal(UMBRELLA)
    assert deal.company_name
    assert not hub.count("/crm/v3/objects/companies")


async def test_inline_associations_need_each_types_scope(hub: HubSpotEmulator) -> None:
    """A record read asking for tickets inline needs the tickets scope (the emulator refuses the read)."""
    hub.revoke_scopes("tickets")
    status, body, _ = await raw(hub, "GET", f"/crm/v3/objects/deals/{ACME}?associations={LINKED}")
    assert (status, body["category"]) == (403, "MISSING_SCOPES")
    assert [e["context"]["requiredGranularScopes"] for e in body["errors"]] == [["tickets"]]
    status, _, _ = await raw(hub, "GET", f"/crm/v3/objects/deals/{ACME}?associations=companies")
    assert status == 200


@pytest.mark.parametrize(("scope", "hurt"), [("tickets", "escalations"), ("sales-email-read", "communication")])
async def test_a_missing_scope_hurts_only_its_section(
    hs: HubSpotConnector, hub: HubSpotEmulator, scope: str, hurt: str
) -> None:
    """Without one scope the deal still reads; only the section needing it fails, naming the scope."""
    hub.revoke_scopes(scope)
    deal, escalations, communication = await asyncio.gather(
        hs.get_deal(ACME), hs.open_escalations(ACME), hs.last_communication(ACME), return_exceptions=True
    )
    assert not isinstance(deal, BaseException) and deal.name
    results = {"escalations": escalations, "communication": communication}
    assert isinstance(results[hurt], MissingScopes) and scope in results[hurt].scopes
    assert all(not isinstance(v, BaseException) for k, v in results.items() if k != hurt)
