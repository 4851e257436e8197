"""A QuickBooks company whose "Deal ID" was made with QuickBooks' newer (enhanced) custom fields."""

from __future__ import annotations

from sandbox.harness import block_texts, start_bot, stop_bot


async def test_enhanced_field_company_gives_correct_money_on_the_card(tmp_path) -> None:
    """The deal field arrives only on reads that ask for enhanced fields: the card's money is still right."""
    bot = await start_bot(tmp_path, qbo_custom_fields="enhanced")
    try:
        status, _, url = await bot.command("Globex")
        assert status == 200
        [card] = await bot.delivered(url)
        text = block_texts(card)
        for fact in ("$106,250.00", "$83,750.00", "$22,500.00"):
            assert fact in text, fact
        assert "No invoices" not in text and "No invoice carries" not in text
    finally:
        await stop_bot(bot)


async def test_enhanced_field_is_read_by_the_scan_and_by_cdc(serve, store) -> None:
    """The full scan indexes the enhanced field, and a deal ID added later arrives through CDC."""
    from decimal import Decimal

    from sandbox.book import DEMO_ACCOUNTS
    from sandbox.quickbooks import QuickBooksEmulator
    from tests.conftest import TODAY
    from tests.test_quickbooks import connect

    qbo = await serve(QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY, custom_fields="enhanced"))
    connector = connect(qbo, store)
    try:
        money = await connector.money("18340012002", today=TODAY)
        assert money is not None and money.invoiced == Decimal("106250.00")
        loose = next(
            i for i, inv in qbo.invoices.items() if inv["CustomerRef"]["name"] == "Globex Corp" and not qbo.deal_of(i)
        )
        qbo.set_deal(loose, "18340012002")
        await connector.sync_index()  # CDC since the scan
        after = await connector.money("18340012002", today=TODAY)
        assert after is not None and loose in after.invoice_ids
    finally:
        connector.close()
