"""The account card in Block Kit: pure functions of AccountStatus."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from blocks import format as fmt
from blocks import ids, kit
from blocks.content import CardContent, Segment, card_content
from bot.models import SOURCE_LABELS, AccountStatus

# Characters Slack would turn into formatting; replaced by look-alikes in data we show.
_LOOKALIKES: Final = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})


def escape(text: str) -> str:
    """Make any text safe inside mrkdwn: &, <, > escaped, formatting characters neutralised."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")).translate(_LOOKALIKES)


def entities(text: str) -> str:
    """Escape only &, < and > (for the bot's own sentences, whose `code` and *bold* are meant)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(segments: list[Segment]) -> str:
    """Styled segments as mrkdwn; bold and warnings in *bold*, muted in _italics_."""
    out = []
    for text, style in segments:
        if not text.strip():
            out.append(escape(text))
            continue
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        core = escape(text.strip())
        if style in ("bold", "warn", "alarm"):
            core = f"*{core}*"
        elif style == "muted":
            core = f"_{core}_"
        out.append(f"{lead}{core}{trail}")
    return "".join(out)


def status_card(status: AccountStatus, now: datetime, *, ephemeral: bool = False) -> dict[str, Any]:
    """The full card: a message payload with `text` fallback and `blocks`."""
    content = card_content(status, now)
    blocks: list[dict[str, Any]] = [
        kit.header(fmt.truncate(content.title, kit.HEADER_TEXT_LIMIT)),
        kit.context([fmt.truncate(mrkdwn(content.subtitle), 2000)]),
    ]
    for part in content.parts:
        body = "\n".join(mrkdwn(line) for line in part.lines)
        text = f"*{escape(part.title)}*\n{body}"
        blocks.append(kit.section(fmt.truncate(text, kit.SECTION_TEXT_LIMIT), block_id=f"card_{part.key}"))
    blocks.append(
        kit.context([fmt.truncate(escape(line), 2000) for line in content.sources[:10]], block_id="card_sources")
    )
    actions = _buttons(status, ephemeral)
    if actions:
        blocks.append(kit.divider())
        blocks.append(kit.actions(actions, block_id=ids.CARD_ACTIONS_BLOCK))
    return {"text": fallback_text(status, content), "blocks": blocks}


def card_modal(status: AccountStatus, now: datetime) -> dict[str, Any]:
    """The card in a modal (from App Home, where there is no message to answer): links only."""
    card = status_card(status, now, ephemeral=False)
    blocks = []
    for block in card["blocks"]:
        if block.get("block_id") == ids.CARD_ACTIONS_BLOCK:
            links = [e for e in block["elements"] if e.get("url")]
            if links:
                blocks.append({**block, "elements": links})
            continue
        blocks.append(block)
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Account card"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks[:100],
    }


def fallback_text(status: AccountStatus, content: CardContent | None = None) -> str:
    """The notification / screen-reader text: the name and the headline facts."""
    deal = status.deal.value
    bits = [status.name]
    if deal is not None:
        bits.append(deal.stage_label)
    delivery = status.delivery.value
    if delivery is not None and delivery.phase is not None:
        bits.append(fmt.phase_text(delivery.phase))
    escalations = status.escalations.value or ()
    if escalations:
        bits.append(f"{len(escalations)} open escalation{'s' if len(escalations) != 1 else ''}")
    return fmt.truncate(" · ".join(bits), 3000)


def _buttons(status: AccountStatus, ephemeral: bool) -> list[dict[str, Any]]:
    value = status.deal_id
    buttons = [
        kit.button("Log client communication", ids.LOG_COMMUNICATION, value=value, style="primary"),
        kit.button("Refresh", ids.REFRESH_CARD, value=value),
    ]
    if ephemeral:
        buttons.append(kit.button("Share in channel", ids.SHARE_CARD, value=value))
    deal = status.deal.value
    if deal is not None and deal.url:
        buttons.append(kit.button("Open in HubSpot", ids.OPEN_HUBSPOT, url=deal.url))
    delivery = status.delivery.value
    if delivery is not None and delivery.url:
        buttons.append(kit.button("Open in Asana", ids.OPEN_ASANA, url=delivery.url))
    money = status.money.value
    if money is not None and money.url:
        source = status.money.source
        buttons.append(
            kit.button(
                f"Open in {SOURCE_LABELS.get(source, source)}",
                ids.OPEN_ACCOUNTING.get(source, ids.OPEN_QUICKBOOKS),
                url=money.url,
            )
        )
    return buttons
