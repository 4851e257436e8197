"""Queued is not failing: cards waiting behind the bot's own HubSpot budget say they are on their way and are
completed in the same message; health stays unknown, never green, while a source is missing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.status import Timing
from connectors.runtime import RateLimiter
from sandbox.book import DEMO_ACCOUNTS
from sandbox.harness import Bot, block_texts, start_bot, stop_bot
from sandbox.slack import SALES

DEADLINE = 0.5  # the card's HubSpot deadline here (6 s in production)
BUDGET = (8, 1.0)  # the bot's own HubSpot limit here: 8 calls a second (100 per 10 s in production)
ON_ITS_WAY = "on its way"


@pytest.fixture
async def squeezed(tmp_path) -> AsyncIterator[Bot]:
    """The bot with a short card deadline and a small HubSpot budget, so requests queue behind it."""
    bot = await start_bot(tmp_path, timing=Timing(hubspot_deadline=DEADLINE))
    _, _, url = await bot.command("18340012002")  # pipelines and owners, as a running bot has them
    await bot.delivered(url)
    bot.services.hubspot.runner.limiters["default"] = RateLimiter(*BUDGET)
    bot.services.status.forget()
    yield bot
    await stop_bot(bot)


async def _final(bot: Bot, url: str, timeout: float = 30.0) -> list[dict]:
    """Every post to a response_url once the last one says nothing is on its way any more."""
    posts = await bot.delivered(url)
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while ON_ITS_WAY in block_texts(posts[-1]) and loop.time() < end:
        await asyncio.sleep(0.05)
        posts = bot.slack.delivered(url)
    return posts


async def test_reps_asking_at_once_get_cards_completed_in_place(squeezed: Bot) -> None:
    """12 reps, 6 accounts: no card says HubSpot failed; late ones say on their way, then are replaced whole."""
    accounts = [a for a in DEMO_ACCOUNTS if a.state != "no_project"][:6]
    urls = []
    for n in range(12):
        _, _, url = await squeezed.command(accounts[n % len(accounts)].deal_id, channel_id=SALES)
        urls.append(url)
    finals = await asyncio.gather(*(_final(squeezed, u) for u in urls))
    waited = [posts for posts in finals if len(posts) > 1]
    assert waited, "the budget was meant to make some cards wait"
    for posts in finals:
        for post in posts:
            text = block_texts(post)
            assert "didn't answer" not in text and "unavailable" not in text, text
            if ON_ITS_WAY in text:
                assert "🟢" not in text, text  # never green while a source is missing (yellow/red stay known)
        last = block_texts(posts[-1])
        assert ON_ITS_WAY not in last
        assert posts[-1].get("replace_original", True)
    for posts in waited:
        assert ON_ITS_WAY in block_texts(posts[0])
        assert posts[-1]["replace_original"] is True
        assert len(posts) <= 5  # response_url takes five posts


async def test_a_slow_hubspot_is_still_a_failure(squeezed: Bot) -> None:
    """When HubSpot itself is slow (no queue of ours), the card says it didn't answer, not "on its way"."""
    squeezed.services.hubspot.runner.limiters["default"] = RateLimiter(1000, 1.0)
    squeezed.sandbox.emulators["hubspot"].faults.latency = 1.5
    _, _, url = await squeezed.command("18340012004", channel_id=SALES)
    [card] = await squeezed.delivered(url)
    text = block_texts(card)
    assert "didn't answer within" in text and ON_ITS_WAY not in text
    assert "🟢" not in text


async def test_a_card_opened_from_home_is_completed_in_its_modal(squeezed: Bot) -> None:
    """Home's "show card" while the budget is spent: the modal says on its way, then is updated in place."""
    from sandbox.slack import block_actions_payload, interactive_body
    from tests.test_home import MAYA, _open_home

    view = await _open_home(squeezed)
    button = next(b["accessory"] for b in view["blocks"] if b.get("accessory", {}).get("action_id") == "show_card")
    squeezed.services.status.forget()
    limiter = RateLimiter(*BUDGET)
    for _ in range(BUDGET[0]):  # the budget of this second is spent: the card's calls queue past its deadline
        await limiter.acquire()
    squeezed.services.hubspot.runner.limiters["default"] = limiter
    trigger = squeezed.slack.new_trigger_id(MAYA)
    payload = block_actions_payload(button, user_id=MAYA, view=view, trigger_id=trigger)
    await squeezed.post(interactive_body(payload))
    log = squeezed.slack.view_log
    updated = await squeezed.until(
        lambda: [v for v in log if v["method"] == "views.update" and v["user"] == MAYA], what="modal updated"
    )
    [opened] = [v for v in log if v["method"] == "views.open" and v["user"] == MAYA]
    assert ON_ITS_WAY in block_texts(opened["view"])
    assert ON_ITS_WAY not in block_texts(updated[-1]["view"])


async def test_an_unfurl_waits_for_what_is_on_its_way_and_unfurls_once(squeezed: Bot) -> None:
    """A deal link pasted while the budget is spent: one chat.unfurl, with the whole card, no "on its way"."""
    import json

    limiter = RateLimiter(*BUDGET)
    for _ in range(BUDGET[0]):
        await limiter.acquire()
    squeezed.services.hubspot.runner.limiters["default"] = limiter
    url = "https://app.hubspot.com/contacts/4471203/record/0-3/18340012002"
    await squeezed.event(squeezed.slack.link_shared([url]))
    [unfurl] = await squeezed.until(lambda: squeezed.slack.unfurls, what="chat.unfurl")
    text = json.dumps(unfurl["unfurls"][url], ensure_ascii=False)
    assert "Globex – Customer Data Platform" in text and ON_ITS_WAY not in text
    await squeezed.command("help")  # let any stray background work finish behind a real request
    assert len(squeezed.slack.unfurls) == 1


async def test_what_never_arrives_is_finally_said_to_have_failed(tmp_path) -> None:
    """Still queued after the settle timeout: the card is completed as a failure, not left waiting."""
    bot = await start_bot(tmp_path, timing=Timing(hubspot_deadline=DEADLINE, settle_timeout=1.0))
    try:
        limiter = RateLimiter(1, 30.0)
        await limiter.acquire()  # the only slot for 30 s is spent
        bot.services.hubspot.runner.limiters["default"] = limiter
        _, _, url = await bot.command("18340012002", channel_id=SALES)
        posts = await bot.delivered(url, count=2)
        assert ON_ITS_WAY in block_texts(posts[0])
        last = block_texts(posts[1])
        assert ON_ITS_WAY not in last and "didn't arrive within 1 s" in last and "🟢" not in last
        assert posts[1]["replace_original"] is True
    finally:
        await stop_bot(bot)


async def test_show_card_beside_an_alert_posts_the_whole_card_once(squeezed: Bot) -> None:
    """ "Show account card" on an alert while the budget is spent: one post beside it, complete; the alert stays."""
    from blocks import ids
    from tests.test_slack_app import MAYA

    limiter = RateLimiter(*BUDGET)
    for _ in range(BUDGET[0]):
        await limiter.acquire()
    squeezed.services.hubspot.runner.limiters["default"] = limiter
    url = squeezed.slack.new_response_url(SALES, MAYA)
    alert = {"text": "Payment received", "blocks": []}
    button = {
        "type": "button",
        "action_id": ids.SHOW_CARD,
        "value": "18340012002",
        "text": {"type": "plain_text", "text": "Show"},
    }
    await squeezed.click(button, message=alert, response_url=url, ephemeral=False)
    [card] = await squeezed.delivered(url)
    text = block_texts(card)
    assert "Globex – Customer Data Platform" in text and ON_ITS_WAY not in text
    assert card["replace_original"] is False
    await squeezed.command("help")
    assert len(squeezed.slack.delivered(url)) == 1
