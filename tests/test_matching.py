"""Name resemblance for link repair (bot.matching): pure, so plain asserts."""

from __future__ import annotations

import pytest

from bot.matching import best_matches, resemblance, words


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Logistics Inc.", "Acme Logistics, Inc."),
        ("Acme Logistics – WMS Rollout", "Acme WMS rollout"),
        ("Cyberdyne Systems", "Cyberdyne Sys."),
        ("Umbrella Health Group", "UHG – Umbrella Health"),
        ("Globex Corporation", "Globex Corp"),
        ("Vandelay Imports – ERP Connector", "Vandelay ERP connector"),
    ],
)
def test_the_same_customer_across_systems_resembles(a: str, b: str) -> None:
    """Legal suffixes, punctuation and abbreviations do not hide the same name."""
    assert resemblance(a, b) >= 0.75


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Globex Corporation", "Initech LLC"),
        ("Client 0001 Ltd", "Client 0002"),
        ("Stark Industries", "Wayne Foundation"),
    ],
)
def test_different_customers_do_not(a: str, b: str) -> None:
    """Different words, or different numbers, are not evidence."""
    assert resemblance(a, b) < 0.5


def test_best_matches_ranks_and_says_why() -> None:
    """The closest candidate first, with the words the names share."""
    found = best_matches(
        ["Acme Logistics – WMS Rollout", "Acme Logistics Inc."],
        [("p1", ["Acme Robotics arm"]), ("p2", ["Acme WMS rollout"]), ("p3", ["Initech portal"])],
    )
    assert [m.item for m in found] == ["p2", "p1"]
    assert found[0].evidence == "“Acme Logistics – WMS Rollout” resembles “Acme WMS rollout” (acme, wms, rollout)"
    assert words("The Wayne Foundation, Inc.") == ("wayne", "foundation")


def test_matcher_compares_only_names_sharing_a_word_start_and_agrees_with_best_matches() -> None:
    """The index narrows the comparisons without changing the answer."""
    from bot.matching import Matcher

    candidates = [(f"p{n}", [f"Client {n:04d} rollout"]) for n in range(300)] + [("acme", ["Acme WMS rollout"])]
    matcher = Matcher(candidates)
    found = matcher.best(["Acme Logistics – WMS Rollout"])
    assert [m.item for m in found][:1] == ["acme"]
    assert found == best_matches(["Acme Logistics – WMS Rollout"], candidates)[: len(found)]
