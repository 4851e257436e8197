"""Socket Mode for real: the bot connects to the emulator's WebSocket and answers /account; /healthz."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from bot.app import BOLT
from sandbox.book import PEOPLE
from sandbox.harness import Bot, block_texts
from sandbox.slack import SALES


async def test_account_over_socket_mode(bot: Bot) -> None:
    """apps.connections.open with the app token, hello, a slash_commands envelope acked, the card posted."""
    handler = AsyncSocketModeHandler(bot.runner.app[BOLT], bot.slack.app_token)  # as serve does with SLACK_APP_TOKEN
    await handler.connect_async()
    try:
        await bot.slack.wait_connected()
        fields = bot.slack.slash_command_fields("Soylent", user_id=PEOPLE[1].slack_id, channel_id=SALES)
        ack = await bot.slack.send_envelope("slash_commands", fields, timeout=10)
        assert ack is not None  # acknowledged within the window
        [card] = await bot.delivered(fields["response_url"])
        text = block_texts(card)
        assert "Soylent Foods – Supplier Portal" in text and "Handover documentation" in text
    finally:
        await handler.close_async()


async def test_healthz_reports_each_connector(bot: Bot) -> None:
    """GET /healthz: 200 with per-connector state; a failing backend shows as degraded."""
    async with bot.http.get(f"{bot.url}/healthz") as resp:
        assert resp.status == 200
        body = await resp.json()
    assert set(body["connectors"]) == {"hubspot", "asana", "quickbooks"}
    assert body["status"] == "ok" and body["connectors"]["quickbooks"]["mode"] == "sandbox"
    bot.sandbox.quickbooks.faults.down = True
    _, _, url = await bot.command("Globex")
    [card] = await bot.delivered(url)
    assert "QuickBooks" in block_texts(card)
    async with bot.http.get(f"{bot.url}/healthz") as resp:
        body = await resp.json()
    assert body["status"] == "degraded" and body["connectors"]["quickbooks"]["available"] is False
    assert body["connectors"]["quickbooks"]["last_error"]
