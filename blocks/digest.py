"""The weekly digest DM."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Final

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from blocks import format as fmt
from blocks import ids
from blocks.card import escape
from bot.models.alerts import DigestAlert, DigestAttention

EMOJI: Final = {"red": "🔴", "yellow": "🟡"}
MAX_ITEMS: Final = 10


def digest_message(payload: DigestAlert) -> dict[str, Any]:
    """Needs attention (with reasons), upsell moments, invoices paid last week."""
    attention, upsell, paid = payload.get("attention", []), payload.get("upsell", []), payload.get("paid", [])
    blocks: list[Any] = [HeaderBlock(text=f"Your accounts this week ({payload.get('week', '')})")]
    blocks.append(SectionBlock(text=MarkdownTextObject(text=fmt.truncate(_attention(attention), 3000))))
    if upsell:
        lines = [
            f"🌱 *{escape(fmt.truncate(u['name'], 150))}* — {escape(u.get('reason') or 'nearly done, invoices paid')}"
            for u in upsell[:MAX_ITEMS]
        ]
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=fmt.truncate("*Upsell moments*\n" + "\n".join(lines), 3000)))
        )
    if paid:
        lines = [
            f"💰 {escape(fmt.truncate(p.get('name') or p['deal_id'], 150))}: "
            f"{fmt.money(Decimal(p['amount']), p.get('currency'))} on {fmt.day(date.fromisoformat(p['paid_on']))}"
            for p in paid[:MAX_ITEMS]
        ]
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=fmt.truncate("*Paid last week*\n" + "\n".join(lines), 3000)))
        )
    buttons = [
        ButtonElement(text=fmt.truncate(a["name"], 75), action_id=f"{ids.SHOW_CARD}_digest_{i}", value=a["deal_id"])
        for i, a in enumerate(attention[:5])
    ]
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"{payload.get('accounts', 0)} accounts in your book · "
                    "turn this digest off in the app's Home tab"
                )
            ]
        )
    )
    text = (
        f"Weekly digest: {len(attention)} need attention, {len(upsell)} upsell moments, {len(paid)} payments last week"
    )
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}


def _attention(items: list[DigestAttention]) -> str:
    if not items:
        return "*Needs attention*\nNothing this week — every account is green."
    order = {"red": 0, "yellow": 1}
    lines = [
        f"{EMOJI.get(i['level'], '⚪')} *{escape(fmt.truncate(i['name'], 150))}* — "
        f"{escape('; '.join(i.get('reasons') or []))}"
        for i in sorted(items, key=lambda i: order.get(i["level"], 2))[:MAX_ITEMS]
    ]
    more = f"\nand {len(items) - MAX_ITEMS} more" if len(items) > MAX_ITEMS else ""
    return "*Needs attention*\n" + "\n".join(lines) + more
