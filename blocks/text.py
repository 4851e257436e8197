"""The card as plain text for a terminal (`accountbot card`, `accountbot demo`)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from blocks.content import Segment, card_content
from bot.models import AccountStatus

ANSI: Final = {"bold": "\033[1m", "warn": "\033[33m", "alarm": "\033[1;31m", "muted": "\033[2m", "plain": ""}
RESET: Final = "\033[0m"


def _segments(segments: list[Segment], color: bool) -> str:
    if not color:
        return "".join(text for text, _ in segments)
    return "".join(f"{ANSI[style]}{text}{RESET}" if ANSI[style] else text for text, style in segments)


def status_text(status: AccountStatus, now: datetime, *, color: bool = False, width: int = 78) -> str:
    """A readable card: title, subtitle, one titled block per part, the sources last."""
    content = card_content(status, now)
    rule = "─" * width
    title = f"{ANSI['bold']}{content.title}{RESET}" if color else content.title
    out = [rule, title, _segments(content.subtitle, color), rule]
    for part in content.parts:
        heading = f"{ANSI['bold']}{part.title}{RESET}" if color else part.title
        out.append(heading)
        out.extend("  " + _segments(line, color) for line in part.lines)
        out.append("")
    out.append(rule)
    out.append("  ·  ".join(content.sources))
    if content.partial:
        out.append("Some sources did not answer: this card is partial.")
    return "\n".join(out)
