"""Golden Block Kit for the card in every state of the demo book (syrupy snapshots, .ambr)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
import pytest_asyncio

from blocks import messages
from blocks.card import status_card
from blocks.modal import log_modal
from blocks.text import status_text
from blocks.unfurl import compact_card, public_card
from bot.settings import Settings
from bot.status import StatusService, Timing
from bot.store import Store
from bot.wiring import asana_from, hubspot_from, quickbooks_from, settings_on_sandbox
from sandbox.book import DEMO_ACCOUNTS
from sandbox.server import Sandbox
from tests.conftest import TODAY

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
# A noisy CI machine must not turn a slow answer into a "didn't answer" golden.
SLOW_OK = Timing(hubspot_deadline=60, asana_deadline=60, accounting_deadline=60)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def statuses(tmp_path_factory) -> AsyncIterator[dict]:
    """The status of every demo account, on a sandbox and a clock frozen at TODAY."""
    tmp = tmp_path_factory.mktemp("golden")
    async with Sandbox(today=TODAY) as sandbox:
        settings = settings_on_sandbox(Settings.from_env({}, dotenv=None), sandbox.env(), database_dir=tmp)
        store = await Store.open(settings.database_url)
        hubspot = hubspot_from(settings, general_limit=(190, 10.0))
        asana = asana_from(settings, store, utcnow=lambda: NOW)
        quickbooks = quickbooks_from(settings, store)
        service = StatusService(
            hubspot, asana, quickbooks, timing=SLOW_OK, today=lambda: TODAY, clock=lambda: NOW.timestamp()
        )
        result = {a.key: await service.get_status(a.deal_id) for a in DEMO_ACCOUNTS}
        assert not any(s.partial for s in result.values())
        for connector in (hubspot, asana, quickbooks):
            connector.close()
        await store.close()
        yield result


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize("key", [a.key for a in DEMO_ACCOUNTS])
async def test_card(statuses: dict, key: str, snapshot) -> None:
    """The ephemeral card of each demo account, exactly."""
    card = status_card(statuses[key], NOW, ephemeral=True)
    assert len(card["blocks"]) <= 50
    assert card == snapshot


@pytest.mark.parametrize("key", ["globex", "umbrella", "vandelay"])
async def test_terminal_card(statuses: dict, key: str, snapshot) -> None:
    """The terminal rendering a newcomer sees in `accountbot demo`."""
    assert status_text(statuses[key], NOW) == snapshot


async def test_unfurls(statuses: dict, snapshot) -> None:
    """Compact unfurl for insiders; name and stage only for a shared channel."""
    status = statuses["umbrella"]
    assert compact_card(status, NOW) == snapshot(name="compact")
    public = public_card(status)
    assert public == snapshot(name="public")
    assert "$" not in json.dumps(public) and "iOS" not in json.dumps(public)


async def test_card_buttons_carry_the_deal_id(statuses: dict) -> None:
    """The ids buttons rely on: action ids and the deal ID as value; link buttons open each system."""
    card = status_card(statuses["acme"], NOW, ephemeral=True)
    actions = next(b for b in card["blocks"] if b.get("block_id") == "card_actions")
    by_id = {e["action_id"]: e for e in actions["elements"]}
    assert by_id["log_communication"]["value"] == "18340012001"
    assert by_id["refresh_card"]["value"] == "18340012001"
    assert by_id["share_card"]["value"] == "18340012001"
    assert by_id["open_hubspot"]["url"].endswith("/record/0-3/18340012001")
    assert "app.asana.com" in by_id["open_asana"]["url"]
    assert "qbo.intuit.com" in by_id["open_quickbooks"]["url"]
    shared = status_card(statuses["acme"], NOW, ephemeral=False)
    assert "share_card" not in json.dumps(shared)


async def test_modal_and_small_messages(snapshot) -> None:
    """The log modal, help and the refusal, exactly."""
    assert log_modal("18340012001", "Acme Logistics – Fleet Portal Rebuild", date(2026, 11, 25)) == snapshot(
        name="modal"
    )
    assert messages.help_message() == snapshot(name="help")
    assert messages.help_message(accounting="netsuite") == snapshot(name="help_netsuite")
    assert messages.refusal() == snapshot(name="refusal")


@pytest.mark.parametrize("key", ["stark", "hooli", "umbrella"])
async def test_card_with_health(statuses: dict, key: str, snapshot) -> None:
    """Health first (red: invoice overdue; green with an upsell moment; yellow/red: escalations)."""
    from dataclasses import replace

    from bot.health import assess

    status = statuses[key]
    card = status_card(replace(status, health=assess(status, TODAY)), NOW, ephemeral=True)
    assert card["blocks"][2]["block_id"] == "card_health"
    assert card == snapshot
