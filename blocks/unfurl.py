"""Deal-link unfurls: a compact card, or name and stage only in a channel shared with another organisation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from blocks import format as fmt
from blocks.card import escape, mrkdwn
from blocks.content import card_content
from bot.models import AccountStatus


def compact_card(status: AccountStatus, now: datetime) -> dict[str, Any]:
    """Internal audience: headline facts of every section, in a few blocks."""
    content = card_content(status, now)
    head = f"*{escape(fmt.truncate(content.title, 300))}*\n{mrkdwn(content.subtitle)}"
    lines = []
    for part in content.parts:
        if part.key == "changes" and len(part.lines) == 1 and part.lines[0][0][1] == "muted":
            continue  # "nothing moved" is noise in an unfurl
        first = part.lines[0] if part.lines else []
        lines.append(f"*{escape(part.title)}:* {mrkdwn(first)}" if first else f"*{escape(part.title)}*")
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=fmt.truncate(head, 3000))),
        SectionBlock(text=MarkdownTextObject(text=fmt.truncate("\n".join(lines), 3000))),
        ContextBlock(elements=[MarkdownTextObject(text=fmt.truncate(escape("  ·  ".join(content.sources)), 2000))]),
    ]
    return {"blocks": [b.to_dict() for b in blocks]}


def public_card(status: AccountStatus) -> dict[str, Any]:
    """External audience (Slack Connect): deal name and stage only — no money, people or escalations."""
    deal = status.deal.value
    stage = deal.stage_label if deal else "stage unknown"
    text = f"*{escape(fmt.truncate(status.name, 300))}*\n{escape(stage)}"
    return {"blocks": [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()]}


def unavailable(deal_id: str, reason: str) -> dict[str, Any]:
    """A link whose deal could not be shown."""
    return {
        "blocks": [
            SectionBlock(text=MarkdownTextObject(text=f"HubSpot deal {escape(deal_id)}: {escape(reason)}")).to_dict()
        ]
    }
