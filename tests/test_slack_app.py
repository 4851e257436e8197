"""End to end through POST /slack/events with real signatures, against the sandbox."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

import pytest

from blocks import ids
from blocks.messages import ON_ITS_WAY, REFUSAL
from blocks.replies import reply
from sandbox.book import PEOPLE, PORTAL_ID
from sandbox.harness import Bot, block_texts, start_bot, stop_bot
from sandbox.slack import (
    EXTERNAL_ID,
    GUEST_ID,
    SALES,
    SHARED_ACME,
    SINGLE_GUEST_ID,
    signed_headers,
)

MAYA = PEOPLE[0].slack_id
GLOBEX = "18340012002"


def _button(message: dict, action_id: str) -> dict:
    for block in message["blocks"]:
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {block_texts(message)}")


async def test_a_card_ready_in_time_rides_in_the_ack(bot: Bot) -> None:
    """/account Globex: the card with the account's facts is the HTTP 200's body, ephemeral; no response_url post."""
    status, body, url = await bot.command("Globex")
    assert status == 200
    card = json.loads(body)
    assert card == reply(await bot.services.cards.for_query("Globex"), bot.services.clock())
    assert bot.slack.delivered(url) == []  # nothing went through the response_url
    text = block_texts(card)
    assert card.get("response_type", "ephemeral") == "ephemeral"
    for fact in (
        "Globex – Customer Data Platform",
        "Closed won",
        "Jordan Ellis",
        "Build",
        "UAT environment handover",
        "3 days overdue",
        "Ava Moreno",
        "$106,250.00",
        "$83,750.00",
        "$22,500.00",
        "None open",
        "Explained UAT slip",
    ):
        assert fact in text, fact
    assert _button(card, ids.SHARE_CARD)["value"] == GLOBEX
    assert _button(card, ids.LOG_COMMUNICATION)["value"] == GLOBEX
    assert card["text"].startswith("Globex – Customer Data Platform")


async def test_several_matches_give_a_picker_and_a_choice_gives_the_card(bot: Bot) -> None:
    """/account Acme: both Acme deals listed; picking one replaces the picker with its card."""
    _, _, url = await bot.command("Acme")
    [picker] = await bot.delivered(url)
    text = block_texts(picker)
    assert "Acme Logistics – Fleet Portal Rebuild" in text and "Acme Robotics – Warehouse Pilot" in text
    choice = next(b["accessory"] for b in picker["blocks"] if b.get("block_id") == "pick_18340012014")
    assert choice["action_id"] == ids.PICK_DEAL
    click_url = bot.slack.new_response_url(SALES, MAYA)
    status, _ = await bot.click(choice, message=picker, response_url=click_url)
    assert status == 200
    [card] = await bot.delivered(click_url)
    assert card["replace_original"] is True
    assert "Acme Robotics – Warehouse Pilot" in block_texts(card) and "€18,250.00" in block_texts(card)


async def test_a_typo_gets_suggestions(bot: Bot) -> None:
    """/account Globx: no match, with the closest names as buttons."""
    _, _, url = await bot.command("Globx Corp")
    [reply] = await bot.delivered(url)
    assert "No deal matches" in reply["text"]
    buttons = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert any(b["value"] == GLOBEX for b in buttons)


@pytest.mark.parametrize("text", ["", "help", "HELP"])
async def test_help_lists_every_subcommand(bot: Bot, text: str) -> None:
    """An empty /account or help prints the usage."""
    _, _, url = await bot.command(text)
    [reply] = await bot.delivered(url)
    for sub in ("subscribe", "unsubscribe", "subscriptions", "doctor", "help"):
        assert f"/account {sub}" in block_texts(reply)
    assert "check the connections to HubSpot, Asana and QuickBooks" in block_texts(reply)  # the system in use
    assert "QuickBooks or NetSuite" not in block_texts(reply)


@pytest.mark.parametrize("user", [GUEST_ID, SINGLE_GUEST_ID, EXTERNAL_ID])
async def test_guests_and_outsiders_get_a_refusal_without_data(bot: Bot, user: str) -> None:
    """A guest or a Slack Connect user sees no account data, not even the deal name."""
    _, _, url = await bot.command("Globex", user_id=user)
    [reply] = await bot.delivered(url)
    assert reply["text"] == REFUSAL
    assert "Globex" not in json.dumps(reply)


@pytest.mark.parametrize("mangle", ["forged", "stale", "malformed", "missing"])
async def test_bad_requests_get_401(bot: Bot, mangle: str) -> None:
    """Forged, stale, malformed or unsigned requests are refused with 401, never 500."""
    body = urlencode(bot.slack.slash_command_fields("Globex"))
    headers = signed_headers(body, bot.secret)
    if mangle == "forged":
        headers = signed_headers(body, "not-the-secret")
    elif mangle == "stale":
        headers = signed_headers(body, bot.secret, timestamp=int(time.time()) - 600)
    elif mangle == "malformed":
        headers["X-Slack-Request-Timestamp"] = "12abc"
    else:
        headers = {}
    status, _ = await bot.post(body, headers=headers)
    assert status == 401
    assert not bot.slack.delivered()


def _deal_urls(deal_id: str) -> list[str]:
    return [
        f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-3/{deal_id}",
        f"https://app.hubspot.com/contacts/{PORTAL_ID}/deal/{deal_id}/",
        f"https://app-eu1.hubspot.com/contacts/{PORTAL_ID}/record/0-3/{deal_id}?tab=overview",
    ]


async def test_unfurl_every_link_form_in_one_call(bot: Bot) -> None:
    """Each URL form unfurls, keyed by its exact string, in ONE chat.unfurl."""
    event = bot.slack.link_shared(_deal_urls(GLOBEX) + ["https://example.com/x"])
    status, _ = await bot.event(event)
    assert status == 200
    [unfurl] = await bot.until(lambda: bot.slack.unfurls, what="chat.unfurl")
    assert sorted(unfurl["unfurls"]) == sorted(_deal_urls(GLOBEX))
    text = json.dumps(unfurl["unfurls"][_deal_urls(GLOBEX)[0]], ensure_ascii=False)
    assert "Globex – Customer Data Platform" in text and "$22,500.00" in text


async def test_unfurl_in_a_shared_channel_shows_name_and_stage_only(bot: Bot) -> None:
    """In a Slack Connect channel the unfurl has no money, no escalations, no internal names."""
    event = bot.slack.link_shared(_deal_urls("18340012004")[:1], channel_id=SHARED_ACME)
    await bot.event(event)
    [unfurl] = await bot.until(lambda: bot.slack.unfurls, what="chat.unfurl")
    text = json.dumps(unfurl["unfurls"], ensure_ascii=False)
    assert "Umbrella Health – Patient Portal" in text and "Closed won" in text
    for secret in ("$", "Escalation", "iOS", "Tom Becker", "Jordan Ellis", "Invoiced"):
        assert secret not in text, secret


async def test_a_retried_event_does_no_work_twice(bot: Bot) -> None:
    """Slack's retry of the same event_id is acknowledged but not processed again."""
    event = bot.slack.link_shared(_deal_urls(GLOBEX)[:1])
    assert (await bot.event(event, event_id="Ev0RETRY1"))[0] == 200
    await bot.until(lambda: bot.slack.unfurls, what="first unfurl")
    assert (await bot.event(event, event_id="Ev0RETRY1", retry_num=1))[0] == 200
    assert (await bot.event(event, event_id="Ev0RETRY1", retry_num=2))[0] == 200
    await bot.command("help")  # let any stray background work finish behind a real request
    assert len(bot.slack.unfurls) == 1


async def test_share_in_channel_posts_for_everyone(bot: Bot) -> None:
    """The ephemeral card's Share button posts it in the channel."""
    _, _, url = await bot.command("Hooli")
    [card] = await bot.delivered(url)
    click_url = bot.slack.new_response_url(SALES, MAYA)
    await bot.click(_button(card, ids.SHARE_CARD), message=card, response_url=click_url)
    posts = await bot.delivered(click_url, 1)
    shared = posts[0]
    assert shared["response_type"] == "in_channel"
    assert "Hooli – Nucleus Migration" in block_texts(shared)
    assert ids.SHARE_CARD not in block_texts(shared)


async def test_concurrent_commands_of_one_person_share_one_user_lookup(bot: Bot) -> None:
    """Twelve commands at once from three people (one a guest): users.info once per person, each answered."""
    people = [PEOPLE[0].slack_id, PEOPLE[1].slack_id, GUEST_ID]
    before = bot.slack.count("users.info")
    sent = await asyncio.gather(*(bot.command("help", user_id=people[n % 3]) for n in range(12)))
    replies = [(await bot.delivered(url))[0] for _, _, url in sent]
    assert bot.slack.count("users.info") - before == 3
    assert sum(r["text"] == REFUSAL for r in replies) == 4  # the guest's four, refused as ever


async def test_a_slow_backend_acks_on_its_way_and_the_card_replaces_it(tmp_path) -> None:
    """Every upstream at 300 ms and a 0.2 s wait: the ack says the card is on its way, the card replaces it."""
    slow = await start_bot(tmp_path, latency=0.3, settings_overrides={"card_wait_seconds": 0.2})
    try:
        status, body, url = await slow.command("Globex")
        assert status == 200 and json.loads(body)["text"] == ON_ITS_WAY
        [card] = await slow.until(lambda: slow.slack.delivered(url), what="the card at the response_url")
        assert card["replace_original"] is True
        assert "Globex – Customer Data Platform" in block_texts(card) and "$22,500.00" in block_texts(card)
        [shown] = [e for e in slow.slack.ephemerals if e["via"] == "ack"]
        assert shown["message"]["text"] == card["text"]  # the placeholder now shows the card
    finally:
        await stop_bot(slow)


async def test_a_cold_burst_of_commands_asks_auth_test_once(bot: Bot) -> None:
    """Twenty commands to a just-started bot: Bolt's auth.test once (and the gate's once), every one answered."""
    sent = await asyncio.gather(*(bot.command("help") for _ in range(20)))
    assert all(status == 200 and "/account subscribe" in body for status, body, _ in sent)
    assert bot.slack.count("auth.test") <= 2
