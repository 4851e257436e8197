"""The status service against the sandbox: concurrency, deadlines, last good values, coalescing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.lookup import lookup
from bot.settings import Settings
from bot.status import DealNotFound, StatusService, Timing
from bot.wiring import Services, open_services, settings_on_sandbox
from sandbox.server import Sandbox

GLOBEX = "18340012002"
SYSTEMS = ("hubspot", "asana", "quickbooks")


@pytest.fixture
async def env(tmp_path) -> AsyncIterator[tuple[Sandbox, Services]]:
    async with Sandbox() as sandbox:
        settings = settings_on_sandbox(Settings.from_env({}, dotenv=None), sandbox.env(), database_dir=tmp_path)
        services = await open_services(
            settings, timing=Timing(hubspot_deadline=1.0, asana_deadline=1.0, accounting_deadline=1.0)
        )
        try:
            yield sandbox, services
        finally:
            for emulator in sandbox.emulators.values():
                emulator.faults.hang = False
            await services.close()


def _calls(sandbox: Sandbox) -> dict[str, int]:
    return {name: len(sandbox.emulators[name].calls) for name in SYSTEMS}


async def test_every_section_knows_its_source_and_time(env) -> None:
    """A full status: five sections from three sources, each with a fetch time and no error."""
    _, services = env
    status = await services.status.get_status(GLOBEX)
    assert [s.source for s in status.sections()] == ["hubspot", "hubspot", "hubspot", "asana", "quickbooks"]
    assert all(s.ok and s.fetched_at is not None for s in status.sections())
    assert status.deal.value.name == "Globex – Customer Data Platform"
    assert status.delivery.value.project_name == "Globex CDP implementation"  # names differ across systems
    assert status.money.value.customer_name == "Globex Corp"


@pytest.mark.parametrize("down", SYSTEMS)
async def test_one_source_hanging_gives_a_partial_status_in_time(env, down: str) -> None:
    """A hung backend misses its deadline; the other sections are there, this one says why."""
    sandbox, services = env
    sandbox.emulators[down].faults.hang = True
    status = await asyncio.wait_for(services.status.get_status(GLOBEX), timeout=20)
    failed = [s for s in status.sections() if s.error]
    assert failed and {s.source for s in failed} == {down}
    assert all("didn't answer" in s.error for s in failed)
    assert all(s.ok for s in status.sections() if s.source != down)
    assert status.partial


async def test_a_source_down_shows_the_last_good_value_with_its_age(env) -> None:
    """After a good fetch, an outage shows the last good figures, marked stale, with their time."""
    sandbox, services = env
    first = await services.status.get_status(GLOBEX)
    sandbox.quickbooks.faults.down = True
    second = await services.status.get_status(GLOBEX, refresh=True)
    assert second.money.stale and second.money.error
    assert second.money.value == first.money.value
    assert second.money.fetched_at == first.money.fetched_at
    assert second.delivery.ok and not second.delivery.stale


async def test_twenty_simultaneous_lookups_cost_one(env) -> None:
    """Twenty lookups of one account at once make the upstream calls of one."""
    sandbox, services = env

    async def card(status: StatusService) -> None:
        found = await lookup(status, "Globex")
        await status.get_status(found.deal_id)

    await card(services.status)  # warm the join indexes and connector metadata (pipelines, owners)
    await asyncio.sleep(1.2)  # an empty HubSpot search window for both runs
    sandbox.reset_calls()
    await card(StatusService(services.hubspot, services.asana, services.accounting))
    one = _calls(sandbox)
    await asyncio.sleep(1.2)
    sandbox.reset_calls()
    fresh = StatusService(services.hubspot, services.asana, services.accounting)
    await asyncio.gather(*(card(fresh) for _ in range(20)))
    assert _calls(sandbox) == one
    assert sum(one.values()) > 5


async def test_warm_card_makes_no_upstream_call(env) -> None:
    """Within the TTL a second card is served from the caches."""
    sandbox, services = env
    await services.status.get_status(GLOBEX)
    sandbox.reset_calls()
    await services.status.get_status(GLOBEX)
    assert sum(_calls(sandbox).values()) == 0


async def test_unknown_deal_raises(env) -> None:
    """A deal ID HubSpot doesn't know is DealNotFound, not a card of blanks."""
    _, services = env
    with pytest.raises(DealNotFound):
        await services.status.get_status("99999999")
