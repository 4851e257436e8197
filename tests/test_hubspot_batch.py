"""HubSpotConnector.accounts: many deals' facts in a few batch calls, equal to the single-deal methods."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connectors.hubspot import HubSpotConnector
from connectors.runtime import Policy
from connectors.types import AccountFacts
from sandbox.book import DEMO_ACCOUNTS, generated_book
from sandbox.hubspot import HubSpotEmulator
from tests.conftest import TODAY

ACME, UMBRELLA, OSCORP = "18340012001", "18340012004", "18340012012"
DEMO_IDS = [a.deal_id for a in DEMO_ACCOUNTS]
FAST = Policy(timeout=5.0, retries=2, backoff=0.01)
NONE = AccountFacts(None, (), None)


@pytest.fixture
async def hub(serve: Callable) -> HubSpotEmulator:
    """The emulator with the demo book."""
    return await serve(HubSpotEmulator(DEMO_ACCOUNTS, today=TODAY))


@pytest.fixture
async def big_hub(serve: Callable) -> HubSpotEmulator:
    """The emulator with a generated book of 300 accounts (the demo ones first)."""
    return await serve(HubSpotEmulator(generated_book(300), today=TODAY))


@pytest.fixture
def connect(hubspot_connectors: Callable[..., HubSpotConnector]) -> Callable[..., HubSpotConnector]:
    """Build connectors pointed at an emulator (closed at teardown)."""

    def _connect(emulator: HubSpotEmulator, **kwargs: Any) -> HubSpotConnector:
        kwargs.setdefault("policy", FAST)
        return hubspot_connectors(emulator, **kwargs)

    return _connect


async def single(hs: HubSpotConnector, deal_id: str) -> AccountFacts:
    """The facts as the single-deal methods give them."""
    deal = await hs.get_deal(deal_id)
    return AccountFacts(deal, tuple(await hs.open_escalations(deal_id)), await hs.last_communication(deal_id))


def batch_calls(emulator: HubSpotEmulator, what: str) -> list[int]:
    """Statuses of the calls whose path contains `what`."""
    return [c.status for c in emulator.calls if what in c.path]


async def test_every_demo_account_equals_the_single_deal_methods(hub: HubSpotEmulator, connect: Callable) -> None:
    """For each demo deal, accounts() says exactly what get_deal / open_escalations / last_communication say."""
    facts = await connect(hub).accounts(DEMO_IDS)
    assert list(facts) == DEMO_IDS
    reference = connect(hub)
    for deal_id in DEMO_IDS:
        assert facts[deal_id] == await single(reference, deal_id), deal_id
    assert all(f.deal is not None and f.deal.company_name for f in facts.values())
    assert [e.subject for e in facts[UMBRELLA].escalations] == [
        "Login fails for patients on iOS 17",
        "Appointment reminders sent twice",
    ]
    assert facts[UMBRELLA].communication is not None and facts[UMBRELLA].communication.kind == "call"
    assert facts[OSCORP].communication is not None and facts[OSCORP].communication.kind == "other"
    assert facts[ACME].deal is not None and facts[ACME].deal.owner is not None


async def test_changes_after_seeding_are_seen_alike(hub: HubSpotEmulator, connect: Callable) -> None:
    """Added and closed tickets, a second company and a logged note: still equal to the single-deal methods."""
    hub.add_ticket(ACME, "Old high", priority="HIGH", days_ago=5)
    hub.add_ticket(ACME, "Same time", priority="HIGH", days_ago=5)
    urgent = hub.add_ticket(ACME, "Site down", priority="URGENT", stage="2", days_ago=3)
    hub.set_ticket_stage(hub.add_ticket(UMBRELLA, "Done", days_ago=1), "4")
    hub.add_deal("18340019901", "Two companies", company="Zeta Holdings")
    hub.crm.link("deals", "18340019901", "companies", hub.associated_ids("deals", ACME, "companies")[0])
    hs = connect(hub)
    await hs.log_communication(UMBRELLA, "other", "Phoned about the fix", hub.crm.now, "Sam Okafor")
    ids = [ACME, UMBRELLA, "18340019901"]
    facts = await hs.accounts(ids)
    for deal_id in ids:
        assert facts[deal_id] == await single(connect(hub), deal_id), deal_id
    assert facts[ACME].escalations[0].id == urgent
    assert facts[UMBRELLA].communication is not None and facts[UMBRELLA].communication.summary == "Phoned about the fix"


async def test_demo_book_takes_at_most_20_calls(hub: HubSpotEmulator, connect: Callable) -> None:
    """All 14 demo deals, cold caches: batch and association calls only, never a per-deal read."""
    hs = connect(hub)
    hub.reset_calls()
    await hs.accounts(DEMO_IDS)
    print(f"calls: {len(hub.calls)} for the 14 demo deals, cold caches")
    assert len(hub.calls) == hs.calls <= 20
    assert len(batch_calls(hub, "/crm/v3/objects/deals/batch/read")) == 1
    assert len(batch_calls(hub, "/crm/v4/associations/deals/")) == 6
    assert not [c for c in hub.calls if c.method == "GET" and "/crm/v3/objects/" in c.path]


async def test_250_deals_cost_calls_per_chunk_not_per_deal(big_hub: HubSpotEmulator, connect: Callable) -> None:
    """250 deals are 3 chunks of ≤ 100: each batch call holds ≤ 100 ids, ≤ 25 calls per 100 deals."""
    ids = [a.deal_id for a in generated_book(300)][:250]
    hs = connect(big_hub)
    await hs.accounts(ids[:100])  # warm the pipeline and owner caches
    big_hub.reset_calls()
    facts = await hs.accounts(ids)
    assert all(facts[i].deal is not None for i in ids)
    assert len(batch_calls(big_hub, "/crm/v3/objects/deals/batch/read")) == 3
    sizes = sorted(len(c.body["inputs"]) for c in big_hub.calls if c.path.endswith("/deals/batch/read"))
    assert sizes == [50, 100, 100]
    assert all(len(c.body["inputs"]) <= 100 for c in big_hub.calls if c.path.endswith("/batch/read"))
    for_250 = len(big_hub.calls)
    big_hub.reset_calls()
    await hs.accounts(ids[:100])
    for_100 = len(big_hub.calls)
    print(f"calls: {for_100} for 100 deals, {for_250} for 250")
    assert for_100 <= 25 and 2 * for_100 <= for_250 <= 3 * for_100
    reference = connect(big_hub)
    for deal_id in (ids[20], ids[120], ids[249]):
        assert facts[deal_id] == await single(reference, deal_id), deal_id


async def test_unknown_and_malformed_ids(hub: HubSpotEmulator, connect: Callable) -> None:
    """Unknown, removed and malformed ids map to empty facts; known ones are still answered, duplicates once."""
    hub.remove_deal("18340012013")
    facts = await connect(hub).accounts(["999", ACME, "../owners", "18340012013", ACME])
    assert list(facts) == ["999", ACME, "../owners", "18340012013"]
    assert facts["999"] == facts["../owners"] == facts["18340012013"] == NONE
    assert facts[ACME].deal is not None and facts[ACME].deal.id == ACME
    assert await connect(hub).accounts([]) == {}


async def test_association_paging_is_followed(hub: HubSpotEmulator, connect: Callable) -> None:
    """With one association per page, every ticket and engagement is still seen."""
    hub.association_page_size = 1
    facts = await connect(hub).accounts([UMBRELLA, ACME])
    hub.association_page_size = 500
    assert facts[UMBRELLA] == await single(connect(hub), UMBRELLA)
    assert len(facts[UMBRELLA].escalations) == 2
    assert any(c.body["inputs"][0].get("after") for c in hub.calls if "/crm/v4/associations/" in c.path)


@pytest.mark.parametrize(
    "path",
    [
        "/crm/v3/objects/deals/batch/read",
        "/crm/v4/associations/deals/tickets/batch/read",
        "/crm/v3/objects/calls/batch/read",
    ],
)
async def test_rate_limited_batch_call_is_retried(hub: HubSpotEmulator, connect: Callable, path: str) -> None:
    """A 429 on one batch call is waited out and retried; the facts are complete."""
    hub.inject(429, retry_after=1, path_contains=path)
    facts = await connect(hub).accounts(DEMO_IDS)
    statuses = batch_calls(hub, path)
    assert len(statuses) == 2 and statuses[0] == 429 and statuses[1] in (200, 207)
    assert facts[UMBRELLA] == await single(connect(hub), UMBRELLA)
    assert len(facts[UMBRELLA].escalations) == 2


async def test_chunks_run_with_limited_concurrency(hub: HubSpotEmulator, connect: Callable) -> None:
    """Chunks of 2 deals, two at a time: one deal batch read per chunk, never more than two in flight."""
    hs = connect(hub)
    hs.batch_chunk_size = 2
    hub.faults.latency = 0.05
    await hs.accounts(DEMO_IDS[:8])
    starts = sorted(c.at for c in hub.calls if c.path.endswith("/deals/batch/read"))
    assert len(starts) == 4
    assert starts[2] - starts[0] >= 0.05  # the third chunk waited for one of the first two
