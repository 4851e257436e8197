"""Pure formatters: money exact to the cent, dates and ages in words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from blocks import format as fmt
from bot.models import Phase


@pytest.mark.parametrize(
    "amount, currency, expected",
    [
        (Decimal("12480.5"), "USD", "$12,480.50"),
        (Decimal("31250"), "EUR", "€31,250.00"),
        (Decimal("0.005"), "USD", "$0.01"),
        (Decimal("-45.10"), "GBP", "-£45.10"),
        (Decimal("1200"), "SEK", "1,200.00 SEK"),
        (None, "USD", "—"),
    ],
)
def test_money_is_exact(amount, currency, expected) -> None:
    """Amounts are never rounded to thousands: always to the cent, with the currency."""
    assert fmt.money(amount, currency) == expected


@pytest.mark.parametrize(
    "due, expected",
    [
        (date(2026, 11, 25), "due today"),
        (date(2026, 11, 26), "due tomorrow"),
        (date(2026, 12, 4), "due in 9 days"),
        (date(2026, 11, 24), "1 day overdue"),
        (date(2026, 11, 22), "3 days overdue"),
        (None, "no due date"),
    ],
)
def test_due_in_words(due, expected) -> None:
    """Overdue is said in words, as a rep would say it on the phone."""
    assert fmt.due_in_words(due, date(2026, 11, 25)) == expected


@pytest.mark.parametrize(
    "delta, expected",
    [
        (timedelta(seconds=10), "just now"),
        (timedelta(minutes=2), "2 min ago"),
        (timedelta(hours=3), "3 h ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=1, hours=15), "1 day ago"),  # whole days, as the health reasons count them
        (timedelta(minutes=59, seconds=40), "59 min ago"),
        (timedelta(hours=23, minutes=50), "23 h ago"),
        (timedelta(days=3), "3 days ago"),
        (timedelta(days=35), "5 weeks ago"),
    ],
)
def test_ago(delta, expected) -> None:
    """Ages read naturally."""
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert fmt.ago(now - delta, now) == expected


def test_day_always_shows_the_year() -> None:
    """Every date carries its year, on cards, alerts and digests alike."""
    assert fmt.day(date(2026, 12, 4)) == "Dec 4, 2026"
    assert fmt.day(date(2025, 12, 4)) == "Dec 4, 2025"
    assert fmt.moment(datetime(2026, 11, 25, 16, 0, tzinfo=UTC)) == "Nov 25, 2026, 16:00 UTC"


def test_task_counts_agree_in_number() -> None:
    """ "(0 of 1 task done)", "(2 of 4 tasks)"."""
    one = Phase(name="Pilot", done=0, total=1, project_done=1, project_total=1)
    assert fmt.phase_text(one) == "Pilot (0 of 1 task done)"
    assert fmt.project_progress(one) == "100% of the project done (1 of 1 task)"


def test_truncate_and_one_line() -> None:
    """Long text is cut with an ellipsis; whitespace collapses."""
    assert fmt.truncate("abcdef", 4) == "abc…"
    assert fmt.one_line("a\n\n b   c", 10) == "a b c"
