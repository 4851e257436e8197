"""App Home, the weekly digest and account history, end to end against the sandbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sandbox.book import PEOPLE
from sandbox.harness import Bot
from sandbox.slack import GUEST_ID, block_actions_payload, interactive_body

MAYA = PEOPLE[0].slack_id
INITECH = "18340012003"


async def _assess_book(bot: Bot, user: str = MAYA) -> int:
    """What the daily round does for a rep's accounts: a snapshot each."""
    owner, _ = await bot.deps.book.owner(user)
    deals = await bot.deps.book.deals(owner.id, bot.deps.clock().date())
    taken = [await bot.deps.worker.snapshotter.take(d.deal_id, refresh=False) for d in deals]
    return sum(1 for t in taken if t)


async def _open_home(bot: Bot, user: str = MAYA) -> dict:
    before = (bot.slack.home_view(user) or {}).get("hash")
    await bot.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home", "event_ts": "1.0"})
    return await bot.until(
        lambda: (v := bot.slack.home_view(user)) and v.get("hash") != before and "Loading" not in json.dumps(v) and v,
        timeout=30,
        what="home published",
    )


async def test_home_lists_the_reps_book_worst_first(bot: Bot) -> None:
    """Maya's deals (won in 18 months, plus the open one past the stage), each with health, red first."""
    assert await _assess_book(bot) >= 5
    view = await _open_home(bot)
    text = json.dumps(view, ensure_ascii=False)
    for name in ("Acme Logistics", "Initech", "Vandelay", "Wayne Foundation", "Tyrell"):
        assert name in text, name
    assert "Globex" not in text and "Stark" not in text  # other reps' accounts
    sections = [b for b in view["blocks"] if b.get("accessory", {}).get("action_id") == "show_card"]
    levels = [s["text"]["text"][:1] for s in sections]
    order = {"🔴": 0, "🟡": 1, "⚪": 2, "🟢": 3}
    assert [order[x] for x in levels] == sorted(order[x] for x in levels)
    assert "⚪" not in levels and {"🟡", "🟢"} <= set(levels)
    assert "not assessed" not in text


async def test_home_filter_is_remembered(bot: Bot) -> None:
    """'Needs attention' shows only red and yellow accounts, and sticks for next time."""
    await _assess_book(bot)
    view = await _open_home(bot)
    button = next(
        e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "home_filter_attention"
    )
    payload = block_actions_payload(button, user_id=MAYA, view=view)
    await bot.post(interactive_body(payload))
    await bot.until(
        lambda: (v := bot.slack.home_view(MAYA)) and '"attention"' in v.get("private_metadata", ""),
        what="filtered home",
    )
    assert (await bot.services.store.rep_prefs(MAYA))["home_filter"] == "attention"
    shown = [
        b["text"]["text"][:1]
        for b in bot.slack.home_view(MAYA)["blocks"]
        if b.get("accessory", {}).get("action_id") == "show_card"
    ]
    assert shown and set(shown) <= {"🔴", "🟡"}


async def test_a_rep_without_a_hubspot_owner_is_told_how_to_fix_it(bot: Bot) -> None:
    """No HubSpot owner with their Slack email: the fix, not an empty page."""
    bot.slack.add_user("U0NEWREP01", "Nina", "New", email="nina.new@brightline.example")
    view = await _open_home(bot, "U0NEWREP01")
    text = json.dumps(view)
    assert "nina.new@brightline.example" in text and "HubSpot" in text


async def test_guests_get_no_book(bot: Bot) -> None:
    """A guest opening Home sees a refusal, no account."""
    await bot.event({"type": "app_home_opened", "user": GUEST_ID, "channel": "D0G", "tab": "home", "event_ts": "1.0"})
    view = await bot.until(lambda: bot.slack.home_view(GUEST_ID), what="guest home")
    assert "Acme" not in json.dumps(view) and "only available to members" in json.dumps(view)


async def test_weekly_digest_once_per_rep_per_week(bot: Bot) -> None:
    """Monday 9:05 in the rep's zone: one DM; again that week: nothing; opted out: nothing."""
    await _open_home(bot)  # Maya has a book
    digest = bot.deps.worker.digest
    monday_905_ny = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)  # 9:05 in New York
    digest.clock = lambda: datetime(2026, 11, 30, 13, 55, tzinfo=UTC)  # 8:55: not yet
    assert await digest.run_due() == 0
    digest.clock = lambda: monday_905_ny
    assert await digest.run_due() == 1
    assert await digest.run_due() == 0
    await bot.deps.worker.sender.run_once()
    dms = [
        m for m in bot.slack.messages() if m["channel"].startswith("D") and "Your accounts this week" in json.dumps(m)
    ]
    assert len(dms) == 1 and "Needs attention" in json.dumps(dms[0], ensure_ascii=False)
    await bot.services.store.set_rep_prefs(MAYA, digest_opt_out=True)
    digest.clock = lambda: datetime(2026, 12, 7, 14, 5, tzinfo=UTC)
    assert await digest.run_due() == 0


async def test_history_shows_a_pm_change_on_the_card(bot: Bot) -> None:
    """Snapshot, hand the project to another PM in Asana, snapshot: the card says who replaced whom."""
    snapshotter = bot.deps.worker.snapshotter
    assert await snapshotter.take(INITECH)
    asana = bot.sandbox.asana
    asana.set_owner(asana.project_gid(INITECH), "ava")
    bot.services.status.invalidate(INITECH)
    assert await snapshotter.take(INITECH)
    card = await bot.deps.cards.for_deal(INITECH)
    pm_changes = [c for c in card.delivery.value.changes if c.kind == "pm_changed"]
    assert pm_changes and pm_changes[0].new == "Ava Moreno" and pm_changes[0].old == "Lena Fischer"


async def test_upsell_moment_reaches_the_rep_once(bot: Bot) -> None:
    """Hooli finished and paid: snapshots flag an upsell; the rep (Jordan) gets one DM, however often it's seen."""
    snapshotter = bot.deps.worker.snapshotter
    hooli = "18340012007"
    first = await snapshotter.take(hooli)
    assert first and first["health_detail"]["upsell"] is True
    await snapshotter.take(hooli)
    await bot.deps.worker.sender.run_once()
    jordan = PEOPLE[1].slack_id
    dms = [m for m in bot.slack.messages() if m["channel"].startswith("D") and "Upsell moment" in m.get("text", "")]
    assert len(dms) == 1 and "Hooli" in dms[0]["text"]
    [row] = [r for r in await bot.services.store.outbox_rows() if r.kind == "upsell"]
    assert row.status == "sent" and bot.slack.channels[row.channel]["user"] == jordan  # Jordan's DM
