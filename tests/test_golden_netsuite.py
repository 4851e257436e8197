"""Golden Block Kit for cards whose money comes from NetSuite (ACCOUNTING=netsuite), beside QuickBooks'."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import pytest_asyncio

from blocks.card import status_card
from bot.settings import Settings
from bot.status import StatusService
from bot.store import Store
from bot.wiring import asana_from, hubspot_from, netsuite_from, quickbooks_from, settings_on_sandbox
from sandbox.book import DEMO_ACCOUNTS
from sandbox.server import Sandbox
from tests.conftest import TODAY
from tests.test_golden_cards import NOW, SLOW_OK

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def statuses(tmp_path_factory) -> AsyncIterator[dict]:
    """Every demo account's status twice, on one sandbox and a frozen clock: money from NetSuite and QuickBooks."""
    tmp = tmp_path_factory.mktemp("golden-netsuite")
    async with Sandbox(today=TODAY, netsuite=True) as sandbox:
        settings = settings_on_sandbox(Settings.from_env({}, dotenv=None), sandbox.env(), database_dir=tmp)
        store = await Store.open(settings.database_url)
        hubspot = hubspot_from(settings, general_limit=(190, 10.0))
        asana = asana_from(settings, store, utcnow=lambda: NOW)
        result: dict[str, dict] = {}
        for accounting in (
            netsuite_from(replace(settings, accounting="netsuite"), store),
            quickbooks_from(settings, store),
        ):
            service = StatusService(
                hubspot, asana, accounting, timing=SLOW_OK, today=lambda: TODAY, clock=lambda: NOW.timestamp()
            )
            result[accounting.system] = {a.key: await service.get_status(a.deal_id) for a in DEMO_ACCOUNTS}
            assert not any(s.partial for s in result[accounting.system].values())
            await accounting.aclose()
        hubspot.close()
        asana.close()
        await store.close()
        yield result


@pytest.mark.parametrize("key", ["globex", "acme"])
async def test_netsuite_card(statuses: dict, key: str, snapshot) -> None:
    """The ephemeral card with NetSuite's money, exactly (NetSuite in the footer and on the link button)."""
    card = status_card(statuses["netsuite"][key], NOW, ephemeral=True)
    assert card == snapshot


@pytest.mark.parametrize("key", [a.key for a in DEMO_ACCOUNTS])
async def test_money_reads_the_same_from_either_system(statuses: dict, key: str) -> None:
    """Every demo account: the card's Money block is word for word the same from NetSuite and QuickBooks."""

    def money_block(status) -> dict:  # type: ignore[no-untyped-def]
        card = status_card(status, NOW, ephemeral=True)
        return next(b for b in card["blocks"] if b.get("block_id") == "card_money")

    assert money_block(statuses["netsuite"][key]) == money_block(statuses["quickbooks"][key])


async def test_link_button_opens_netsuite(statuses: dict) -> None:
    """The money's link button says NetSuite, carries its own action id and opens the NetSuite UI."""
    card = status_card(statuses["netsuite"]["acme"], NOW, ephemeral=True)
    actions = next(b for b in card["blocks"] if b.get("block_id") == "card_actions")
    by_id = {e["action_id"]: e for e in actions["elements"]}
    assert "open_quickbooks" not in by_id
    assert by_id["open_netsuite"]["text"]["text"] == "Open in NetSuite"
    assert by_id["open_netsuite"]["url"].startswith("https://1234567-sb1.app.netsuite.com/app/")
