"""The deal record stays alive in HubSpot: setup, write-back of what changed, and everything that stops it quietly."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace
from decimal import Decimal

import pytest

from bot.writeback import NAMES, setup
from sandbox.harness import Bot
from sandbox.slack import SALES

ACME = "18340012001"
GLOBEX = "18340012002"
MAYA = "U01MAYA0001"


def props(bot: Bot, deal_id: str) -> dict[str, str | None]:
    """The deal's accountbot_* properties as HubSpot holds them."""
    deal = bot.sandbox.hubspot.crm.get("deals", deal_id)
    assert deal is not None
    return {k: v for k, v in deal.properties.items() if k.startswith("accountbot_")}


def writes(bot: Bot) -> int:
    """Batch updates of deals HubSpot received."""
    return bot.sandbox.hubspot.count("/crm/v3/objects/deals/batch/update", method="POST")


async def settle(bot: Bot) -> None:
    """Let the background write-back go out."""
    await asyncio.sleep(bot.services.writeback.flush_after + 0.1)
    await bot.services.writeback.flush()


@pytest.fixture
async def ready(bot: Bot) -> Bot:
    """A bot whose HubSpot has the write-back properties (setup ran)."""
    bot.services.writeback.flush_after = 0.05
    await setup(bot.services.hubspot, bot.services.store)
    return bot


async def run_setup(bot: Bot) -> tuple[int, str, str]:
    """`accountbot setup hubspot` in its own process, against the bot's sandbox and database."""
    env = {**os.environ, **bot.sandbox.env(), "DATABASE_URL": bot.services.settings.database_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "setup",
        "hubspot",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_setup_creates_the_group_and_properties_once(bot: Bot) -> None:
    """First run creates the group and all 15 properties; a second creates nothing and exits 0."""
    code, out, _ = await run_setup(bot)
    assert code == 0 and "group accountbot" in out and "accountbot_synced_at" in out
    schema = bot.sandbox.hubspot.schema
    assert NAMES <= set(schema.properties["deals"])
    assert schema.properties["deals"]["accountbot_health"].type == "enumeration"
    assert "overwritten" in schema.properties["deals"]["accountbot_phase"].description
    code, out, _ = await run_setup(bot)
    assert code == 0 and "created: nothing" in out and "already there" in out


async def test_setup_without_the_schema_scope_names_it(bot: Bot) -> None:
    """A token without crm.schemas.deals.write: a sentence naming the scope, not a traceback."""
    bot.sandbox.hubspot.revoke_scopes("crm.schemas.deals.write")
    code, _, err = await run_setup(bot)
    assert code == 2 and "crm.schemas.deals.write" in err and "Traceback" not in err


async def test_a_card_writes_the_headline_facts_onto_the_deal(ready: Bot) -> None:
    """The first card of an account writes its phase, PM, money to the cent, due date and health."""
    await ready.services.cards.for_deal(ACME)
    await settle(ready)
    written = props(ready, ACME)
    assert written["accountbot_phase"] and written["accountbot_pm"]
    assert written["accountbot_outstanding"] == "29600.00" and written["accountbot_invoiced"]
    assert written["accountbot_health"] in ("green", "yellow", "red")
    due = written["accountbot_next_deliverable_due"]
    assert due and len(due) == 10  # a HubSpot date: midnight UTC, accepted as YYYY-MM-DD
    assert written["accountbot_synced_at"]


async def test_nothing_changed_nothing_written(ready: Bot) -> None:
    """The same status again writes nothing."""
    await ready.services.cards.for_deal(ACME)
    await settle(ready)
    before = writes(ready)
    await ready.services.cards.for_deal(ACME, refresh=True)
    await settle(ready)
    assert writes(ready) == before


async def test_a_payment_moves_the_money_once_however_often_it_is_reported(ready: Bot) -> None:
    """A payment webhook → the deal's outstanding moves; the same webhook retried → no second write."""
    ready.services.worker.engine.burst_window = 0.0
    await ready.services.cards.for_deal(ACME)
    await settle(ready)
    qbo = ready.sandbox.quickbooks
    qbo.add_payment(qbo.find_invoice("1019"), Decimal("10000.00"))
    body, headers = qbo.pending_webhook_delivery()
    for _ in range(2):
        async with ready.http.post(f"{ready.url}/webhooks/quickbooks", data=body, headers=headers) as resp:
            assert resp.status == 200
        await ready.services.worker.step()
        await asyncio.sleep(ready.services.worker.engine.burst_window + 2.5)  # the event's snapshot settles
        await settle(ready)
        written = props(ready, ACME)
        assert written["accountbot_outstanding"] == "19600.00" and written["accountbot_paid"]
        if _ == 0:
            after_first = writes(ready)
    assert writes(ready) == after_first


async def test_a_logged_communication_moves_the_last_contact(ready: Bot) -> None:
    """Logging a call from Slack writes accountbot_last_client_communication."""
    from bot.communications import LogOrigin

    await ready.services.cards.for_deal(GLOBEX)
    await settle(ready)
    before = props(ready, GLOBEX).get("accountbot_last_client_communication")
    today = ready.services.clock()
    outcome = await ready.services.communications.submit(
        "V1", {"id": MAYA}, LogOrigin(GLOBEX, "Globex"), "call", today.date(), "Agreed the cut-over date", today
    )
    assert outcome.state == "logged"
    await settle(ready)
    after = props(ready, GLOBEX)["accountbot_last_client_communication"]
    assert after and after != before


async def test_own_writes_come_back_as_webhooks_and_start_nothing(ready: Bot) -> None:
    """HubSpot's webhooks for the bot's own writes (INTEGRATION): no cache dropped, no new write."""
    await ready.services.cards.for_deal(ACME)
    await settle(ready)
    url = f"{ready.url}/webhooks/hubspot"
    delivery = ready.sandbox.hubspot.pending_webhook_delivery(url)
    assert delivery is not None
    body, headers = delivery
    ready.sandbox.reset_calls()
    async with ready.http.post(url, data=body, headers=headers) as resp:
        assert resp.status == 200
    await ready.services.worker.step()
    await ready.services.status.get_status(ACME)  # still cached: nothing invalidated it
    await settle(ready)
    assert ready.sandbox.hubspot.count("/crm/") == 0


async def test_without_setup_cards_and_alerts_work_and_doctor_says_what_to_do(bot: Bot) -> None:
    """Setup never ran: cards work, nothing is retried in a loop, doctor names the command and the properties."""
    bot.services.writeback.flush_after = 0.05
    for _ in range(3):
        await bot.services.cards.for_deal(ACME, refresh=True)
        await settle(bot)
    assert bot.sandbox.hubspot.count("/crm/v3/properties/deals", method="GET") == 1  # looked once, not per card
    assert writes(bot) == 0
    _, _, url = await bot.command("doctor", channel_id=SALES, user_id=MAYA)
    [reply] = await bot.delivered(url)
    text = reply["blocks"][0]["text"]["text"]
    assert "accountbot setup hubspot" in text and "accountbot_phase" in text


async def test_a_setup_run_is_picked_up_without_a_restart(bot: Bot) -> None:
    """The running bot found no properties; setup runs; its next status is written."""
    bot.services.writeback.flush_after = 0.05
    await bot.services.cards.for_deal(ACME)
    await settle(bot)
    assert writes(bot) == 0
    await setup(bot.services.hubspot, bot.services.store)
    await bot.services.cards.for_deal(ACME, refresh=True)
    await settle(bot)
    assert writes(bot) == 1 and props(bot, ACME)["accountbot_phase"]


async def test_a_deleted_property_pauses_it_and_doctor_names_it(ready: Bot) -> None:
    """An admin deleted a property: the next write is refused once, doctor names it, nothing loops."""
    await ready.services.cards.for_deal(ACME)
    await settle(ready)
    assert writes(ready) == 1
    del ready.sandbox.hubspot.schema.properties["deals"]["accountbot_pm"]
    asana = ready.sandbox.asana
    for owner in ("ava", "sam", "ava"):  # the PM changes: there is something to write each time
        asana.set_owner(asana.project_gid(ACME), owner)
        await ready.services.cards.for_deal(ACME, refresh=True)
        await settle(ready)
    assert writes(ready) == 2  # the one refused attempt, then paused
    report = await ready.services.doctor.report(probe=False)
    assert any("accountbot_pm" in p and "setup hubspot" in p for p in report["problems"])


async def test_writeback_can_be_turned_off(bot: Bot) -> None:
    """HUBSPOT_WRITEBACK=false: nothing is asked of HubSpot's properties, nothing written."""
    from bot.writeback import WriteBack

    off = WriteBack(bot.services.store, bot.services.hubspot, enabled=False, flush_after=0.01)
    await setup(bot.services.hubspot, bot.services.store)
    status = await bot.services.cards.for_deal(ACME)
    bot.sandbox.reset_calls()
    off.learned(replace(status))
    await asyncio.sleep(0.05)
    assert await off.flush() == 0 and writes(bot) == 0


async def test_the_daily_round_writes_in_batches_of_a_hundred(ready: Bot) -> None:
    """Many accounts at once go through batch/update, at most 100 deals per request."""
    snapshotter = ready.services.worker.snapshotter
    await ready.services.asana.refresh_index()  # the worker keeps the join indexes warm
    await ready.services.accounting.sync_index()
    deals = await snapshotter.tracked()
    assert len(deals) > 10
    ready.sandbox.reset_calls()
    await snapshotter.take_many(deals)
    calls = [c for c in ready.sandbox.hubspot.calls if c.path.endswith("/deals/batch/update")]
    assert calls and all(len(c.body["inputs"]) <= 100 for c in calls)
    assert sum(len(c.body["inputs"]) for c in calls) == len({d for d in deals if props(ready, d)})
