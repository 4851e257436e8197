"""The PM's log-communication button, end to end, and cards when a backend hangs."""

from __future__ import annotations

import pytest

from blocks import ids
from bot.status import Timing
from sandbox.book import PEOPLE
from sandbox.harness import Bot, block_texts, start_bot, stop_bot
from sandbox.slack import SALES

SAM = PEOPLE[3].slack_id  # a PM


def _values(kind: str = "call", on: str | None = None, summary: str = "Walked the CTO through the beta plan") -> dict:
    return {
        ids.LOG_KIND_BLOCK: {ids.LOG_KIND_ACTION: {"type": "static_select", "selected_option": {"value": kind}}},
        ids.LOG_DATE_BLOCK: {ids.LOG_DATE_ACTION: {"type": "datepicker", "selected_date": on}},
        ids.LOG_SUMMARY_BLOCK: {ids.LOG_SUMMARY_ACTION: {"type": "plain_text_input", "value": summary}},
    }


async def _open_modal(bot: Bot, query: str = "Acme Logistics") -> tuple[dict, dict, str]:
    _, _, url = await bot.command(query, user_id=SAM)
    [card] = await bot.delivered(url)
    button = next(
        e
        for b in card["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.LOG_COMMUNICATION
    )
    click_url = bot.slack.new_response_url(SALES, SAM)
    status, _ = await bot.click(button, message=card, response_url=click_url, user_id=SAM)
    assert status == 200
    [modal] = await bot.until(lambda: bot.slack.modal_stack(SAM), what="views.open")
    return card, modal, click_url


def _engagements(bot: Bot) -> list[dict]:
    return [c for c in bot.sandbox.hubspot.created if c["type"] in ("calls", "emails", "meetings", "notes")]


async def test_button_modal_submission_writes_hubspot_and_updates_the_card(bot: Bot) -> None:
    """Log → modal naming the deal → submit → HubSpot call on the deal → card shows it → confirmation."""
    card, modal, click_url = await _open_modal(bot)
    assert modal["callback_id"] == ids.LOG_MODAL_CALLBACK
    assert "Acme Logistics" in modal["title"]["text"]
    status, body = await bot.submit(modal, _values(), user_id=SAM)
    assert status == 200 and '"update"' in body
    [updated] = await bot.delivered(click_url)
    assert updated["replace_original"] is True
    assert "Walked the CTO through the beta plan" in block_texts(updated)
    [engagement] = _engagements(bot)
    assert engagement["type"] == "calls"
    assert "18340012001" in bot.sandbox.hubspot.associated_ids("calls", engagement["id"], "deals")
    assert "Sam Okafor" in str(engagement["properties"])
    final = await bot.until(
        lambda: "Logged in HubSpot" in str(bot.slack.views.get(modal["id"])), what="confirmation view"
    )
    assert final


async def test_a_double_submission_writes_one_engagement(bot: Bot) -> None:
    """The same submission twice (a retry or a double click) logs once."""
    _, modal, click_url = await _open_modal(bot)
    await bot.submit(modal, _values(summary="Same text"), user_id=SAM)
    await bot.submit(modal, _values(summary="Same text"), user_id=SAM)
    await bot.delivered(click_url)
    await bot.command("help")
    assert len(_engagements(bot)) == 1


@pytest.mark.parametrize(
    "values, block",
    [
        (_values(summary="   "), ids.LOG_SUMMARY_BLOCK),
        (_values(summary="x" * 2001), ids.LOG_SUMMARY_BLOCK),
        (_values(on="2999-01-01"), ids.LOG_DATE_BLOCK),
        (_values(kind="fax"), ids.LOG_KIND_BLOCK),
    ],
)
async def test_invalid_input_is_shown_in_the_modal(bot: Bot, values: dict, block: str) -> None:
    """Validation errors come back as response_action errors on the right field; nothing is written."""
    _, modal, _ = await _open_modal(bot)
    status, body = await bot.submit(modal, values, user_id=SAM)
    assert status == 200 and '"errors"' in body and block in body
    assert _engagements(bot) == []


async def test_hubspot_refusing_keeps_the_text(bot: Bot) -> None:
    """HubSpot answering 400 → the PM is told, and their text is shown back."""
    _, modal, _ = await _open_modal(bot)
    bot.sandbox.hubspot.inject(400, count=1, path_contains="/crm/v3/objects/calls", method="POST")
    await bot.submit(modal, _values(summary="Important: client wants weekly reports"), user_id=SAM)
    view = await bot.until(
        lambda: "Not saved" in str(bot.slack.views.get(modal["id"])) and bot.slack.views[modal["id"]],
        what="failure view",
    )
    assert "Important: client wants weekly reports" in str(view)
    assert _engagements(bot) == []


async def test_a_hung_backend_gives_a_partial_card_in_time(tmp_path) -> None:
    """QuickBooks hanging: the card still arrives, saying QuickBooks didn't answer."""
    bot = await start_bot(tmp_path, timing=Timing(accounting_deadline=0.5))
    try:
        bot.sandbox.quickbooks.faults.hang = True
        _, _, url = await bot.command("Globex")
        [card] = await bot.delivered(url, timeout=30)
        text = block_texts(card)
        assert "QuickBooks didn't answer" in text
        assert "UAT environment handover" in text  # Asana still there
    finally:
        bot.sandbox.quickbooks.faults.hang = False
        await stop_bot(bot)
