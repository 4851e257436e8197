"""Name resemblance for link repair: pure functions, no I/O.

Names differ across systems on purpose ("Acme Logistics Inc." in HubSpot, "Acme Logistics, Inc."
in QuickBooks, "Acme WMS rollout" in Asana), so two names resemble each other when their words
do: legal suffixes and punctuation are ignored, a word matches its abbreviation's start
("Sys." ~ "Systems"), and the score weighs shared words against the shorter name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Final, Generic, TypeVar

T = TypeVar("T")

# Words that say nothing about who the customer is.
NOISE: Final = frozenset(
    {
        "inc", "incorporated", "llc", "ltd", "limited", "gmbh", "ag", "sa", "plc", "corp", "corporation",
        "co", "company", "the", "and", "of", "group", "holdings", "intl", "international",
    }
)  # fmt: skip
MIN_PREFIX: Final = 3  # an abbreviation matches a word that starts with it when it has at least this many letters
THRESHOLD: Final = 0.5  # resemblance below this is not evidence


def words(name: str) -> tuple[str, ...]:
    """The meaningful words of a name, lower case, accents and punctuation gone."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return tuple(w for w in re.split(r"[^a-z0-9]+", plain) if w and w not in NOISE)


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= MIN_PREFIX and long_.startswith(short)


def shared(a: Sequence[str], b: Sequence[str]) -> list[str]:
    """The words of `a` that match a word of `b`."""
    return [w for w in a if any(_same(w, v) for v in b)]


def resemblance(a: str, b: str) -> float:
    """0..1: how much two names look like the same customer or project."""
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 0.0
    common = shared(wa, wb)
    overlap = len(common) / min(len(wa), len(wb))
    first = 0.15 if _same(wa[0], wb[0]) else 0.0  # the customer's name usually comes first
    ratio = SequenceMatcher(None, " ".join(wa), " ".join(wb)).ratio()
    score = min(1.0, 0.55 * overlap + 0.3 * ratio + first)
    numbers_a, numbers_b = {w for w in wa if w.isdigit()}, {w for w in wb if w.isdigit()}
    if numbers_a and numbers_b and not numbers_a & numbers_b:
        score *= 0.3  # "Client 0001" and "Client 0002" are different customers
    return score


@dataclass(frozen=True)
class Match(Generic[T]):
    """A candidate and why it resembles: the best score over the names compared, and those names."""

    item: T
    score: float
    ours: str
    theirs: str

    @property
    def evidence(self) -> str:
        """ "“Acme WMS rollout” resembles “Acme Logistics – WMS Rollout” (acme, wms, rollout)"."""
        common = shared(words(self.ours), words(self.theirs))
        why = f" ({', '.join(common)})" if common else ""
        return f"“{self.ours}” resembles “{self.theirs}”{why}"


class Matcher(Generic[T]):
    """Candidates indexed by the starts of their words, so a name is only compared with those sharing one.

    A word start shared by more than `common` candidates ("client", "project") narrows nothing and is
    used only when the name has no rarer one.
    """

    def __init__(self, candidates: Iterable[tuple[T, Sequence[str]]], *, common: int = 200) -> None:
        self._items: list[tuple[T, Sequence[str]]] = list(candidates)
        self._by_start: dict[str, set[int]] = {}
        for n, (_, names) in enumerate(self._items):
            for name in names:
                for w in words(name):
                    self._by_start.setdefault(w[:MIN_PREFIX], set()).add(n)
        self._common = common

    def _near(self, names: Sequence[str]) -> set[int]:
        starts = {w[:MIN_PREFIX] for name in names for w in words(name)}
        groups = [self._by_start.get(s, set()) for s in starts]
        rare = [g for g in groups if len(g) <= self._common]
        return set().union(*(rare or groups)) if groups else set()

    def best(self, names: Sequence[str], *, limit: int = 3, threshold: float = THRESHOLD) -> list[Match[T]]:
        """The candidates resembling any of `names` best, strongest first, at most `limit`."""
        near = sorted(self._near(names))
        return best_matches(names, (self._items[n] for n in near), limit=limit, threshold=threshold)


def best_matches(
    names: Sequence[str], candidates: Iterable[tuple[T, Sequence[str]]], *, limit: int = 3, threshold: float = THRESHOLD
) -> list[Match[T]]:
    """The candidates whose names resemble any of `names` best, strongest first, at most `limit`."""
    out: list[Match[T]] = []
    for item, theirs in candidates:
        best: Match[T] | None = None
        for ours in names:
            for other in theirs:
                if not ours or not other:
                    continue
                score = resemblance(ours, other)
                if best is None or score > best.score:
                    best = Match(item, score, ours, other)
        if best is not None and best.score >= threshold:
            out.append(best)
    out.sort(key=lambda m: -m.score)
    return out[:limit]
