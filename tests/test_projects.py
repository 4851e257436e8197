"""The project is created on close: one delivery project per won deal, joined on its deal ID, announced."""

from __future__ import annotations

import asyncio

import pytest

from sandbox.harness import Bot, block_texts
from sandbox.slack import SALES

MASSIVE = "18340012015"  # open, in the custom "Implementation" pipeline (numeric stage ids), no project
ACME = "18340012001"  # won, with a delivery project
MAYA = "U01MAYA0001"


@pytest.fixture
def bot(bot_on_both: Bot) -> Bot:
    """Both backends; Asana's jobs finish on the second poll; deliveries due at once."""
    asana = bot_on_both.sandbox.asana
    asana.job_seconds = None
    asana.job_polls_before_done = 1
    bot_on_both.services.worker.engine.projects.poll_every = 0.01
    bot_on_both.services.worker.engine.burst_window = 0.0
    return bot_on_both


def instantiations(bot: Bot) -> int:
    return bot.sandbox.asana.count("/instantiateProject", method="POST")


async def deliver_stage_webhooks(bot: Bot, *, times: int = 1) -> None:
    """HubSpot's webhooks for what changed on deals (both event shapes), delivered `times` (a retry repeats)."""
    url = f"{bot.url}/webhooks/hubspot"
    delivery = bot.sandbox.hubspot.pending_webhook_delivery(url)
    assert delivery is not None
    body, headers = delivery
    for n in range(times):
        if n:
            body, headers = bot.sandbox.hubspot.webhook_retry(body, url)
        async with bot.http.post(url, data=body, headers=headers) as resp:
            assert resp.status == 200


async def settle(bot: Bot) -> None:
    """Worker rounds until the projects being made are made, and their announcements sent."""
    for _ in range(3):
        await bot.services.worker.step()
        await bot.services.worker.engine.projects.wait()
    await bot.services.worker.step()


async def subscribe_projects(bot: Bot) -> None:
    _, _, url = await bot.command("subscribe all projects", channel_id=SALES, user_id=MAYA)
    [reply] = await bot.delivered(url)
    assert "projects" in reply["text"]


async def test_a_win_in_a_custom_pipeline_gets_one_joined_project(bot: Bot) -> None:
    """Won (stage metadata, numeric stage ids): a project from the template carries the deal ID; the card shows it."""
    await subscribe_projects(bot)
    await bot.services.worker.step()  # alerting begins; the pollers set their watermarks
    bot.sandbox.hubspot.win_deal(MASSIVE)
    await deliver_stage_webhooks(bot)
    await settle(bot)
    [project] = bot.sandbox.asana.projects_carrying(MASSIVE)
    assert instantiations(bot) == 1
    status = await bot.services.cards.for_deal(MASSIVE)
    assert status.delivery.value is not None and status.delivery.value.project_id == project
    assert status.delivery.value.phase is not None and status.delivery.value.next_deliverable is not None
    alerts = [m for m in bot.slack.messages(SALES) if "Delivery project created" in m.get("text", "")]
    assert len(alerts) == 1 and "Massive Dynamic" in alerts[0]["text"]
    assert "First milestone" in block_texts(alerts[0])
    work = await bot.services.store.project_work(MASSIVE)
    assert work is not None and work.state == "created" and work.field_added  # the template lacks the deal field


async def test_retries_both_shapes_and_the_poller_still_make_one(bot: Bot) -> None:
    """The same delivery three times (deal.* and object.* events in each), then the poller: one project."""
    await bot.services.worker.engine.poll()  # watermarks
    bot.sandbox.hubspot.win_deal(MASSIVE)
    await deliver_stage_webhooks(bot, times=3)
    await settle(bot)
    await bot.services.worker.engine.poll()
    await bot.services.worker.engine.projects.wait()
    assert instantiations(bot) == 1 and len(bot.sandbox.asana.projects_carrying(MASSIVE)) == 1


async def test_the_poller_alone_finds_the_win(bot: Bot) -> None:
    """No webhook arrives (they are at-most-once): the poller sees the deal enter its won stage."""
    engine = bot.services.worker.engine
    await engine.poll()
    bot.sandbox.hubspot.win_deal(MASSIVE)
    await engine.poll()
    await engine.projects.wait()
    assert len(bot.sandbox.asana.projects_carrying(MASSIVE)) == 1


async def test_two_processes_hearing_of_it_make_one(bot: Bot) -> None:
    """Two workers' engines told at the same moment: one instantiation."""
    from bot.wiring import another_worker

    other = another_worker(bot.services)
    bot.sandbox.hubspot.win_deal(MASSIVE)
    mine, theirs = bot.services.worker.engine.projects, other.engine.projects
    mine.poll_every = theirs.poll_every = 0.01
    await asyncio.gather(mine.on_stage_change(MASSIVE), theirs.on_stage_change(MASSIVE))
    await asyncio.gather(mine.wait(), theirs.wait())
    assert instantiations(bot) == 1 and len(bot.sandbox.asana.projects_carrying(MASSIVE)) == 1
    await other.close()


async def test_a_restart_in_the_middle_resumes_the_same_job(bot: Bot) -> None:
    """The maker dies after Asana answered with a job: another process takes over and finishes that job."""
    projects = bot.services.worker.engine.projects
    bot.sandbox.asana.job_polls_before_done = 10**6  # the job stays in progress
    bot.sandbox.hubspot.win_deal(MASSIVE)
    await projects.on_stage_change(MASSIVE)
    await bot.until(lambda: instantiations(bot) == 1, what="the instantiation")
    await asyncio.sleep(0.1)
    await projects.close()  # the process dies mid-job
    work = await bot.services.store.project_work(MASSIVE)
    assert work is not None and work.state == "creating" and work.job_gid
    from bot.wiring import another_worker

    successor = another_worker(bot.services).engine.projects
    successor.poll_every = 0.01
    await successor.on_stage_change(MASSIVE)  # not stale yet: it leaves the work to its maker
    await successor.wait()
    left = await bot.services.store.project_work(MASSIVE)
    assert left is not None and left.state == "creating" and left.attempts == 1 and instantiations(bot) == 1
    async with bot.services.store.engine.begin() as conn:  # the dead maker stopped reporting long ago
        from sqlalchemy import text

        await conn.execute(text("UPDATE delivery_projects SET updated_at = 0"))
    bot.sandbox.asana.job_polls_before_done = 0
    await successor.on_stage_change(MASSIVE)
    await successor.wait()
    assert instantiations(bot) == 1 and len(bot.sandbox.asana.projects_carrying(MASSIVE)) == 1


async def test_lost_deals_and_delivered_deals_start_nothing(bot: Bot) -> None:
    """A lost deal, a deal moving between open stages, and a won deal with a project: no instantiation."""
    projects = bot.services.worker.engine.projects
    bot.sandbox.hubspot.lose_deal(MASSIVE)
    await projects.on_stage_change(MASSIVE)
    assert await projects.on_stage_change(ACME)  # won: it looks, finds Acme's project, makes none
    await projects.wait()
    assert instantiations(bot) == 0
    work = await bot.services.store.project_work(ACME)
    assert work is not None and work.state == "existing"


async def test_a_failed_job_is_reported_and_tried_again(bot: Bot) -> None:
    """Asana's job fails: doctor and the owner hear of it; the next sighting of the win makes the project."""
    projects = bot.services.worker.engine.projects
    await bot.services.worker.step()
    bot.sandbox.asana.fail_next_job("template locked")
    bot.sandbox.hubspot.win_deal(MASSIVE)
    await projects.on_stage_change(MASSIVE)
    await projects.wait()
    report = await bot.services.doctor.report()
    assert any("18340012015" in p and "was not made" in p for p in report["problems"])
    await bot.services.worker.step()
    dms = [m for m in bot.slack.messages() if m["channel"].startswith("D") and "not created" in m.get("text", "")]
    assert len(dms) == 1
    await projects.on_stage_change(MASSIVE)
    await projects.wait()
    assert len(bot.sandbox.asana.projects_carrying(MASSIVE)) == 1
    assert instantiations(bot) == 2


async def test_doctor_shows_the_template_and_how_to_turn_it_off_and_on(bot: Bot) -> None:
    """Configured: the template's name and the team; the last project made once there is one."""
    report = await bot.services.doctor.report()
    state = report["project_on_close"]
    assert state["configured"] and state["template_exists"] and state["template"]
    _, _, url = await bot.command("doctor", channel_id=SALES, user_id=MAYA)
    [reply] = await bot.delivered(url)
    assert "Project on close: on" in reply["blocks"][0]["text"]["text"]
