"""A rep's book from HubSpot: owner by email and the deals they own, real connector against the emulator."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from connectors.hubspot import HubSpotConnector
from connectors.runtime import Policy
from connectors.types import Person
from sandbox.book import DEAL_PIPELINES, PEOPLE_BY_KEY, generated_book
from sandbox.hubspot import HubSpotEmulator
from sandbox.hubspot.data import Owner
from sandbox.hubspot.search import millis
from tests.conftest import TODAY

FAST = Policy(timeout=5.0, retries=2, backoff=0.01)
SINCE = TODAY - timedelta(days=548)  # 18 months
MAYA = PEOPLE_BY_KEY["maya"]
TYRELL = "18340012013"
# Maya's in the demo book: closed-won acme, initech, wayne, vandelay; open tyrell (Contract sent, 0.9)
# and the fillers Harbor & Vine (Contract sent), Granite (Proposal, 0.6) and Monarch (Contract sent).
MAYA_DEALS = {
    "18340012001",
    "18340012003",
    "18340012006",
    "18340012009",
    TYRELL,
    "18340019004",
    "18340019013",
    "18340019019",
}
STAGES = {sid: meta for _, stages in DEAL_PIPELINES.values() for sid, meta in stages.items()}


@pytest.fixture
def connect(hubspot_connectors: Callable[..., HubSpotConnector]) -> Callable[..., HubSpotConnector]:
    """Connectors pointed at an emulator, closed at teardown."""

    def _connect(emulator: HubSpotEmulator, **kwargs: Any) -> HubSpotConnector:
        kwargs.setdefault("policy", FAST)
        return hubspot_connectors(emulator, **kwargs)

    return _connect


@pytest.fixture
def hs(hub: HubSpotEmulator, connect: Callable[..., HubSpotConnector]) -> HubSpotConnector:
    return connect(hub)


def oracle(hub: HubSpotEmulator, owner_id: str, since: date = SINCE, threshold: float = 0.6) -> set[str]:
    """The book, worked out from the emulator's records and the pipeline table, independently."""
    out = set()
    for deal in hub.crm.objects["deals"].values():
        p = deal.properties
        _, closed, prob = STAGES[p["dealstage"]]
        if p.get("hubspot_owner_id") != owner_id:
            continue
        closed_on = date.fromisoformat(p["closedate"][:10])
        if (closed and prob == 1.0 and closed_on >= since) or (not closed and prob >= threshold):
            out.add(deal.id)
    return out


def searches(hub: HubSpotEmulator) -> list[Any]:
    """The deal search calls the emulator answered."""
    return [c for c in hub.calls if c.path.endswith("/deals/search") and c.status == 200]


# -- owner_by_email -------------------------------------------------------------------------


async def test_owner_by_email(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    person = await hs.owner_by_email("maya.chen@brightline.example")
    assert person == Person("Maya Chen", "maya.chen@brightline.example", MAYA.hubspot_owner_id)
    owner_calls = [c for c in hub.calls if "/owners" in c.path]
    assert len(owner_calls) == 1 and owner_calls[0].query.get("email") == "maya.chen@brightline.example"


async def test_owner_by_email_is_case_insensitive_and_cached(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    first = await hs.owner_by_email("  Maya.Chen@BRIGHTLINE.example ")
    assert first is not None and first.id == MAYA.hubspot_owner_id
    calls = hs.calls
    assert await hs.owner_by_email("maya.chen@brightline.example") == first
    assert hs.calls == calls


async def test_unknown_email_is_none_and_not_remembered(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    assert await hs.owner_by_email("nobody@elsewhere.example") is None
    assert await hs.owner_by_email("") is None
    hub.crm.owners["51119999"] = Owner("51119999", 7_309_999, "No", "Body", "nobody@elsewhere.example")
    found = await hs.owner_by_email("nobody@elsewhere.example")  # fixed in HubSpot: found at once
    assert found == Person("No Body", "nobody@elsewhere.example", "51119999")


# -- deals_owned ----------------------------------------------------------------------------


async def test_deals_owned_is_the_reps_book(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    hub.add_deal("18340090001", "Maya old win", close_days_ago=600)
    hub.add_deal("18340090002", "Maya win, 17 months ago", close_days_ago=520)
    hub.add_deal("18340090003", "Maya lost", stage="closedlost", close_days_ago=3)
    hub.add_deal("18340090004", "Jordan win", owner="jordan", close_days_ago=3)
    hub.add_deal("18340090005", "Maya renewal", pipeline="renewals", stage="renewal-signed", close_days_ago=9)
    hub.add_deal("18340090006", "Maya renewal due", pipeline="renewals", stage="renewal-open", close_days_ago=-30)
    hub.add_deal("18340090007", "Maya early deal", stage="qualifiedtobuy", close_days_ago=-30)
    hub.add_deal("18340090008", "Nobody's win", owner=None, close_days_ago=3)
    found = await hs.deals_owned(MAYA.hubspot_owner_id, closed_since=SINCE)
    ids = {m.deal_id for m in found}
    assert ids == MAYA_DEALS | {"18340090002", "18340090005"}
    assert ids == oracle(hub, MAYA.hubspot_owner_id)
    assert len(found) == len(ids)
    closes = [m.close_date for m in found]
    assert closes == sorted(closes, reverse=True)  # newest close first
    tyrell = next(m for m in found if m.deal_id == TYRELL)
    assert (tyrell.name, tyrell.stage_label, tyrell.amount, tyrell.currency, tyrell.close_date) == (
        "Tyrell Corp – Replicant Registry",
        "Contract sent",
        Decimal("190000.00"),
        "USD",
        TODAY + timedelta(days=14),
    )
    renewal = next(m for m in found if m.deal_id == "18340090005")
    assert renewal.stage_label == "Renewed"


async def test_deals_owned_is_one_search_with_two_filter_groups(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    await hs.deals_owned(MAYA.hubspot_owner_id, closed_since=SINCE)
    (call,) = searches(hub)
    won, open_ = call.body["filterGroups"]
    owner = {"propertyName": "hubspot_owner_id", "operator": "EQ", "value": MAYA.hubspot_owner_id}
    assert owner in won["filters"] and owner in open_["filters"]
    stage_in = {f["propertyName"]: f for g in (won, open_) for f in g["filters"] if f["operator"] == "IN"}
    assert set(next(f for f in won["filters"] if f["operator"] == "IN")["values"]) == {
        "closedwon",
        "renewal-signed",
        "75001005",
    }
    assert set(next(f for f in open_["filters"] if f["operator"] == "IN")["values"]) == {
        "presentationscheduled",
        "contractsent",
        "75001004",
    }
    assert set(stage_in) == {"dealstage"}
    gte = next(f for f in won["filters"] if f["operator"] == "GTE")
    assert gte["propertyName"] == "closedate" and millis(gte["value"]) == millis(SINCE.isoformat())
    assert call.body["limit"] <= 200 and call.body["sorts"]


@pytest.mark.parametrize(
    ("threshold", "with_", "without"), [(0.5, {"18340090006"}, set()), (0.95, set(), {TYRELL, "18340090006"})]
)
async def test_open_threshold_follows_stage_probability(
    hs: HubSpotConnector, hub: HubSpotEmulator, threshold: float, with_: set[str], without: set[str]
) -> None:
    hub.add_deal("18340090006", "Maya renewal due", pipeline="renewals", stage="renewal-open", close_days_ago=-30)
    found = {
        m.deal_id
        for m in await hs.deals_owned(MAYA.hubspot_owner_id, closed_since=SINCE, min_open_probability=threshold)
    }
    assert found == oracle(hub, MAYA.hubspot_owner_id, threshold=threshold)
    assert with_ <= found and not (without & found)


async def test_closed_since_cuts_old_wins(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    found = {m.deal_id for m in await hs.deals_owned(MAYA.hubspot_owner_id, closed_since=TODAY - timedelta(days=75))}
    assert "18340012009" in found and "18340012003" in found  # vandelay 5 days, initech 70 days
    assert "18340012001" not in found and "18340012006" not in found  # acme 92 days, wayne 80 days
    assert found == oracle(hub, MAYA.hubspot_owner_id, since=TODAY - timedelta(days=75))


async def test_paging_across_small_pages(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    expected = await hs.deals_owned(MAYA.hubspot_owner_id, closed_since=SINCE)
    hub.reset_calls()
    hs.book_page_size = 3
    paged = await hs.deals_owned(MAYA.hubspot_owner_id, closed_since=SINCE)
    assert [m.deal_id for m in paged] == [m.deal_id for m in expected]
    calls = searches(hub)
    assert len(calls) == math.ceil(len(expected) / 3) == len(hub.calls)  # pipelines stayed cached
    assert [c.body.get("after") for c in calls] == [None] + [str(3 * n) for n in range(1, len(calls))]
    assert all(c.body["limit"] <= 3 for c in calls)


async def test_limit_stops_paging(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    hs.book_page_size = 3
    found = await hs.deals_owned(MAYA.hubspot_owner_id, closed_since=SINCE, limit=5)
    assert len(found) == 5
    assert [c.body["limit"] for c in searches(hub)] == [3, 2]
    assert await hs.deals_owned(MAYA.hubspot_owner_id, closed_since=SINCE, limit=0) == []


async def test_owner_without_deals_and_blank_owner(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    assert await hs.deals_owned(PEOPLE_BY_KEY["raj"].hubspot_owner_id, closed_since=SINCE) == []
    hub.reset_calls()
    assert await hs.deals_owned("  ", closed_since=SINCE) == []
    assert hub.calls == []


async def test_large_book_takes_few_calls(serve: Callable, connect: Callable[..., HubSpotConnector]) -> None:
    big = await serve(HubSpotEmulator(generated_book(2000), today=TODAY))
    hs = connect(big)
    found = await hs.deals_owned(MAYA.hubspot_owner_id, closed_since=SINCE)
    expected = oracle(big, MAYA.hubspot_owner_id)
    assert len(expected) > 400  # about a third of 2,000 accounts
    assert [m.deal_id for m in found if m.deal_id not in expected] == []
    assert {m.deal_id for m in found} == expected and len(found) == len(expected)
    pages = math.ceil(len(expected) / 200)
    assert len(searches(big)) == pages
    assert len(big.calls) <= 1 + pages  # the pipelines, then one search per page of 200
