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
        assert "No invoices" not in text and "No QuickBooks invoice" not in text
    finally:
        await stop_bot(bot)
