"""Typos and broad queries, end to end through /account: suggestions from what the bot knows plus ≤ 3 HubSpot calls."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from blocks import ids, messages
from bot.cards import closeness
from connectors.types import DealMatch
from sandbox.harness import Bot, block_texts

GLOBEX = "18340012002"
UMBRELLA = "18340012004"
MAX_SUGGESTION_CALLS = 3


def _buttons(reply: dict) -> list[dict]:
    return [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]


def _hubspot(bot: Bot) -> list:
    return list(bot.sandbox.emulators["hubspot"].calls)


@pytest.mark.parametrize(("typo", "deal_id"), [("Glbex", GLOBEX), ("Umbrela", UMBRELLA), ("Umbrela Helth", UMBRELLA)])
async def test_a_typo_anywhere_in_the_name_is_suggested_first(bot: Bot, typo: str, deal_id: str) -> None:
    """Similarity over the whole name (`Glbex` → Globex), not its first letters; three HubSpot calls at most."""
    bot.sandbox.reset_calls()
    _, _, url = await bot.command(typo)
    [reply] = await bot.delivered(url)
    assert "No deal matches" in reply["text"] and "Did you mean" in block_texts(reply)
    buttons = _buttons(reply)
    assert buttons[0]["value"] == deal_id
    assert buttons[0]["action_id"] == f"{ids.SUGGEST_DEAL}_0"
    calls = _hubspot(bot)
    lookup_searches = [c for c in calls if c.path.endswith("/search") and c.body.get("query")]
    suggestion_calls = [
        c for c in calls if c not in lookup_searches and "/pipelines/" not in c.path and "/owners" not in c.path
    ]
    assert len(lookup_searches) == 2  # the name search itself: deals and companies
    assert len(suggestion_calls) <= MAX_SUGGESTION_CALLS, [c.path for c in suggestion_calls]


async def test_nothing_alike_says_so_with_no_buttons(bot: Bot) -> None:
    """A name like nothing in the book gets the advice, not random buttons."""
    _, _, url = await bot.command("Zzyzx Qwv")
    [reply] = await bot.delivered(url)
    assert not _buttons(reply)
    assert "Try part of the deal or company name" in block_texts(reply)


@pytest.mark.parametrize("text", ["%", "--", "*"])
async def test_a_query_without_letters_asks_for_a_name_and_searches_nothing(bot: Bot, text: str) -> None:
    """`%` does not list 10 deals: it says what to type, without a HubSpot search."""
    bot.sandbox.reset_calls()
    _, _, url = await bot.command(text)
    [reply] = await bot.delivered(url)
    assert "has no letters or digits" in reply["text"]
    assert not [c for c in _hubspot(bot) if c.path.endswith("/search")]


@pytest.mark.parametrize("text", ["http://", "https://example.com/deal/1", "www.hubspot.com"])
async def test_a_link_that_is_not_a_deal_says_so(bot: Bot, text: str) -> None:
    """A pasted link that is no HubSpot deal link is named as such, not searched as a name."""
    _, _, url = await bot.command(text)
    [reply] = await bot.delivered(url)
    assert "is not a HubSpot deal link" in reply["text"]


async def test_a_cut_list_says_it_was_cut_and_how_to_narrow(bot: Bot) -> None:
    """`a` matches more deals than a picker shows: it says "More than 10" and how to narrow."""
    _, _, url = await bot.command("a")
    [picker] = await bot.delivered(url)
    text = block_texts(picker)
    assert picker["text"].startswith("More than 10 deals match")
    assert "these are the 10 closest" in text
    assert messages.NARROW in text
    assert len([b for b in picker["blocks"] if b.get("block_id", "").startswith("pick_")]) == 10


async def test_a_list_that_fits_is_not_called_cut(bot: Bot) -> None:
    """Two Acmes: the picker counts them, with no "more than"."""
    _, _, url = await bot.command("Acme")
    [picker] = await bot.delivered(url)
    assert picker["text"].startswith("2 deals match") and messages.NARROW not in block_texts(picker)


def _match(name: str, company: str | None = None) -> DealMatch:
    return DealMatch("1", name, "Closed won", Decimal("1"), date(2026, 1, 1), company)


@pytest.mark.parametrize(
    ("query", "closer", "farther"),
    [
        ("Glbex", _match("Globex – Customer Data Platform"), _match("Glass Box – Audit")),
        ("Initek", _match("Initech – TPS Automation"), _match("Orchid Clinics – Intake Forms")),
        ("stark industries", _match("Portal", "Stark Industries"), _match("Stack Industrial – ERP")),
        ("Piper", _match("Pied Piper – Compression API"), _match("Pipeline Co – Website")),
    ],
)
def test_closeness_is_over_the_whole_name(query: str, closer: DealMatch, farther: DealMatch) -> None:
    """A run of the name's words alike the query ranks above a name that only shares its first letters."""
    assert closeness(query, closer) > closeness(query, farther)
