"""An account's health as the surfaces show it: the level, the reasons in words, the upsell moment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Level = Literal["green", "yellow", "red", "unknown"]  # unknown: nothing wrong seen, but a source is missing

LEVEL_EMOJI: Final[dict[str, str]] = {"green": "🟢", "yellow": "🟡", "red": "🔴", "unknown": "⚪"}
LEVEL_RANK: Final[dict[str, int]] = {"green": 0, "unknown": 0, "yellow": 1, "red": 2}


@dataclass(frozen=True)
class Health:
    """The level, the sentences that explain it (worst first), and whether it is a moment to upsell."""

    level: Level
    reasons: tuple[str, ...]
    upsell: bool
    upsell_reason: str | None

    @property
    def emoji(self) -> str:
        """🟢, 🟡, 🔴, or ⚪ (unknown)."""
        return LEVEL_EMOJI[self.level]

    def text(self) -> str:
        """ "🟡 yellow — invoice 34 days overdue; escalation open 3 days"."""
        head = f"{self.emoji} {self.level}"
        return f"{head} — {'; '.join(self.reasons)}" if self.reasons else head
