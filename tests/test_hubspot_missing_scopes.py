"""A HubSpot token without one scope, end to end: the card shows the rest and names the scope where it hurts;
`/account doctor` and /healthz list it."""

from __future__ import annotations

import pytest

from sandbox.harness import Bot, block_texts

CARD_FACTS = ("Globex – Customer Data Platform", "Jordan Ellis", "Build", "$106,250.00")


@pytest.mark.parametrize(
    ("scope", "hurt", "kept"),
    [
        ("tickets", "escalations", "Explained UAT slip"),  # escalations hurt, the communication stays
        ("sales-email-read", "communication", "None open"),  # emails hurt, escalations stay
    ],
)
async def test_the_card_names_the_missing_scope_in_the_section_it_hurts(
    bot: Bot, scope: str, hurt: str, kept: str
) -> None:
    """Every other section is there; the hurt one says which scope to add."""
    bot.sandbox.emulators["hubspot"].revoke_scopes(scope)
    _, _, url = await bot.command("Globex")
    [card] = await bot.delivered(url)
    text = block_texts(card)
    for fact in (*CARD_FACTS, kept):
        assert fact in text, fact
    hint = f"token lacks the scope {scope}: add it to the HubSpot private app"
    named = [b.get("block_id") for b in card["blocks"] if hint in str(b) and b.get("block_id") != "card_sources"]
    assert named == [f"card_{hurt}"], named


async def test_doctor_and_healthz_list_missing_scopes(bot: Bot) -> None:
    """The admin reads which scopes are missing and what each is for, and what to do."""
    bot.sandbox.emulators["hubspot"].revoke_scopes("tickets")
    _, _, url = await bot.command("doctor")
    [reply] = await bot.delivered(url)
    text = block_texts(reply)
    assert "lacks 1 scope: `tickets` (open escalations" in text
    assert "Private apps" in text
    async with bot.http.get(f"{bot.url}/healthz") as resp:
        health = await resp.json()
    assert health["connectors"]["hubspot"]["missing_scopes"] == ["tickets"]


async def test_a_scope_granted_again_leaves_the_doctor(bot: Bot) -> None:
    """Once the scope is back, the next doctor no longer lists it."""
    hub = bot.sandbox.emulators["hubspot"]
    hub.revoke_scopes("tickets")
    _, _, url = await bot.command("doctor")
    [first] = await bot.delivered(url)
    assert "`tickets`" in block_texts(first)
    hub.set_scopes(hub.scopes | {"tickets"})
    _, _, url = await bot.command("doctor")
    [second] = await bot.delivered(url)
    assert "lacks" not in block_texts(second)


async def test_health_is_unknown_not_green_while_a_source_is_missing(bot: Bot) -> None:
    """Acme is green with every source; without its escalations the card says unknown, and no green is written."""
    from bot.writeback import setup
    from tests.test_writeback import props, settle

    bot.services.writeback.flush_after = 0.05
    await setup(bot.services.hubspot, bot.services.store)
    bot.sandbox.emulators["hubspot"].revoke_scopes("tickets")
    _, _, url = await bot.command("18340012001")
    [card] = await bot.delivered(url)
    text = block_texts(card)
    assert "⚪ unknown" in text and "escalations not assessed" in text
    assert "🟢" not in text
    await settle(bot)
    written = props(bot, "18340012001")
    assert written.get("accountbot_health") in (None, "")  # nothing vouched for: not written at all
    assert written.get("accountbot_invoiced")  # what did answer is written


async def test_green_needs_every_source(bot: Bot) -> None:
    """The same account with every source answering is green (the unknown above is the missing source)."""
    _, _, url = await bot.command("18340012001")
    [card] = await bot.delivered(url)
    assert "🟢 green" in block_texts(card)


async def test_home_and_digest_never_call_an_unassessed_account_green(bot: Bot) -> None:
    """Without escalations, Maya's green accounts show ⚪ on Home and the digest lists them, not "every … green"."""
    import json
    from datetime import UTC, datetime

    from tests.test_home import MAYA, _open_home

    bot.sandbox.emulators["hubspot"].revoke_scopes("tickets")
    view = await _open_home(bot)
    home = json.dumps(view, ensure_ascii=False)
    assert "⚪" in home and "🟢" not in home
    digest = bot.deps.worker.digest
    digest.clock = lambda: datetime(2026, 11, 30, 14, 5, tzinfo=UTC)  # Monday 9:05 in New York
    assert await digest.run_due() == 1
    await bot.deps.worker.sender.run_once()
    [dm] = [m for m in bot.slack.messages() if m["channel"].startswith("D") and "Your accounts" in json.dumps(m)]
    text = json.dumps(dm, ensure_ascii=False)
    assert "every account is green" not in text and "⚪" in text  # the unassessed ones are listed
    assert MAYA
