"""HubSpot's current search limits, exact enumerations, stage-entry dates and search lag, in the emulator."""

from __future__ import annotations

import pytest

from sandbox.core import RateWindow
from sandbox.hubspot import HubSpotEmulator
from tests.test_hubspot_emulator_writes import ACME, MASSIVE, call

SEARCH = "/crm/v3/objects/deals/search"
WON = ["closedwon", "renewal-signed", "75001005"]


def eq(prop: str, value: str) -> dict:
    return {"propertyName": prop, "operator": "EQ", "value": value}


def groups(*sizes: int) -> dict:
    """Filter groups of the given sizes, each filter true of every deal with an amount."""
    return {
        "filterGroups": [
            {"filters": [{"propertyName": "amount", "operator": "GTE", "value": str(-n)} for n in range(size)]}
            for size in sizes
        ]
    }


async def ids(hub: HubSpotEmulator, body: dict) -> list[str]:
    status, answer = await call(hub, "POST", SEARCH, {"limit": 200, **body})
    assert status == 200, answer
    return sorted(r["id"] for r in answer["results"])


@pytest.mark.parametrize(
    ("sizes", "ok"),
    [
        ((1,) * 5, True),
        ((1,) * 6, False),
        ((6,), True),
        ((7,), False),
        ((6, 6, 6), True),
        ((6, 6, 6, 1), False),
        ((5, 5, 5, 3), True),
        ((5, 5, 5, 4), False),
    ],
)
async def test_filter_limits(hub: HubSpotEmulator, sizes: tuple[int, ...], ok: bool) -> None:
    """At most 5 groups, 6 filters per group, 18 filters in all."""
    status, body = await call(hub, "POST", SEARCH, groups(*sizes))
    if ok:
        assert status == 200
    else:
        assert (status, body["category"]) == (400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("filters", "matches"),
    [
        ([eq("dealstage", "CLOSEDWON")], False),
        ([eq("dealstage", "closedwon")], True),
        ([eq("pipeline", "Renewals")], False),
        ([eq("pipeline", "renewals")], True),
        ([{"propertyName": "dealstage", "operator": "IN", "values": ["ClosedWon"]}], False),
        ([eq("deal_currency_code", "eur")], False),
        ([eq("deal_currency_code", "EUR")], True),
        ([eq("dealname", "acme logistics – fleet portal rebuild")], True),  # text compares case-insensitively
    ],
)
async def test_enumerations_match_case_sensitively(hub: HubSpotEmulator, filters: list, matches: bool) -> None:
    assert bool(await ids(hub, {"filterGroups": [{"filters": filters}]})) == matches


async def test_ticket_priority_is_exact(hub: HubSpotEmulator) -> None:
    body = {"filterGroups": [{"filters": [eq("hs_ticket_priority", "high")]}]}
    status, lower = await call(hub, "POST", "/crm/v3/objects/tickets/search", body)
    status, upper = await call(
        hub,
        "POST",
        "/crm/v3/objects/tickets/search",
        {"filterGroups": [{"filters": [eq("hs_ticket_priority", "HIGH")]}]},
    )
    assert (lower["total"], upper["total"] > 0) == (0, True)


async def test_a_poller_finds_deals_that_moved_to_a_won_stage_since_its_watermark(hub: HubSpotEmulator) -> None:
    clock = [1_796_300_000.0]
    hub.crm.clock = lambda: clock[0]
    watermark = int(clock[0] * 1000)
    query = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(watermark)},
                    {"propertyName": "dealstage", "operator": "IN", "values": WON},
                ]
            }
        ],
        "properties": ["dealstage", "pipeline", "hs_v2_date_entered_75001005"],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
    }
    assert await ids(hub, query) == []
    clock[0] += 60
    hub.win_deal(MASSIVE)
    await call(hub, "PATCH", f"/crm/v3/objects/deals/{ACME}", {"properties": {"description": "touched"}})
    status, answer = await call(hub, "POST", SEARCH, query)
    touched, found = answer["results"]  # Acme was won long ago and only touched: its entry date tells
    assert (touched["id"], touched["properties"]["hs_v2_date_entered_75001005"]) == (ACME, None)
    assert found["id"] == MASSIVE and found["properties"]["dealstage"] == "75001005"
    assert found["properties"]["hs_v2_date_entered_75001005"] == "2026-12-03T12:14:20.000Z"
    entered = {
        "filterGroups": [
            {"filters": [{"propertyName": "hs_v2_date_entered_75001005", "operator": "GTE", "value": str(watermark)}]}
        ]
    }
    assert await ids(hub, entered) == [MASSIVE]


async def test_search_results_lag_writes(hub: HubSpotEmulator) -> None:
    clock = [1_796_300_000.0]
    hub.crm.clock = lambda: clock[0]
    hub.search_lag = 5.0
    hub.search_window = RateWindow(100, 1.0)  # many searches in a row here
    hub.win_deal(MASSIVE)
    created = await call(
        hub,
        "POST",
        "/crm/v3/objects/notes",
        {"properties": {"hs_timestamp": "2026-11-25T10:00:00Z", "hs_note_body": "lagging note"}},
    )
    won = {"filterGroups": [{"filters": [eq("dealstage", "75001005")]}]}
    stale = {"filterGroups": [{"filters": [eq("dealstage", "75001004")]}], "properties": ["dealstage"]}
    notes = {"query": "lagging"}
    assert await ids(hub, won) == [] and await ids(hub, stale) == [MASSIVE]
    status, answer = await call(hub, "POST", "/crm/v3/objects/notes/search", notes)
    assert answer["total"] == 0
    _, deal = await call(hub, "GET", f"/crm/v3/objects/deals/{MASSIVE}?properties=dealstage")
    assert deal["properties"]["dealstage"] == "75001005"  # reads by id are not lagged
    clock[0] += 5
    assert await ids(hub, won) == [MASSIVE] and await ids(hub, stale) == []
    _, answer = await call(hub, "POST", "/crm/v3/objects/notes/search", notes)
    assert [r["id"] for r in answer["results"]] == [created[1]["id"]]
