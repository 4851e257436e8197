"""Health rules: each rule's level and sentence, thresholds from the environment, failed sources, upsell."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from blocks.content import card_content
from blocks.text import status_text
from bot.health import LEVEL_EMOJI, Health, Thresholds, assess
from bot.models import AccountStatus, Section
from connectors.asana.derive import completed_on, phase
from connectors.types import (
    Change,
    Communication,
    Deal,
    Deliverable,
    Delivery,
    Escalation,
    Milestone,
    Money,
    Person,
    Phase,
)

NOW = datetime(2026, 11, 25, 16, tzinfo=UTC)
TODAY = NOW.date()


def days_ago(n: float) -> datetime:
    """A moment `n` days before NOW."""
    return NOW - timedelta(days=n)


def status(
    *,
    escalations: tuple[Escalation, ...] = (),
    money: Money | None = None,
    delivery: Delivery | None = None,
    contact_days: float | None = 2,
    failed: tuple[str, ...] = (),
) -> AccountStatus:
    """A healthy account unless told otherwise; `failed` names sections whose source did not answer."""
    deal = Deal(
        "1",
        "Acme",
        "closedwon",
        "Closed won",
        "Sales Pipeline",
        True,
        True,
        Decimal("1000"),
        "USD",
        TODAY,
        Person("Rep"),
        "Acme",
        "https://hubspot.example/1",
    )
    comm = Communication("c", "call", days_ago(contact_days), "ok") if contact_days is not None else None
    values: dict[str, Any] = {
        "deal": Section("hubspot", deal, NOW),
        "escalations": Section("hubspot", escalations, NOW),
        "communication": Section("hubspot", comm, NOW),
        "delivery": Section("asana", delivery or project(), NOW),
        "money": Section("quickbooks", money or paid(Decimal("500")), NOW),
    }
    for name in failed:
        values[name] = Section(values[name].source, None, None, "didn't answer")
    return AccountStatus(deal_id="1", generated_at=NOW, today=TODAY, **values)


def project(
    *,
    done: int = 2,
    total: int = 10,
    is_last: bool = False,
    milestones: tuple[Milestone, ...] = (),
    changes: tuple[Change, ...] = (),
    completed_on: date | None = None,
) -> Delivery:
    """A delivery project in Build (or finished on `completed_on`)."""
    current = None if completed_on else Phase("Build", 1, 3, done, total, is_last=is_last)
    return Delivery(
        "p",
        "Acme rollout",
        "https://asana.example/p",
        Person("Pat PM"),
        current,
        None,
        changes,
        completed=completed_on is not None,
        completed_on=completed_on,
        milestones=milestones,
    )


def paid(outstanding: Decimal = Decimal("0"), overdue_days: int | None = None, count: int = 1) -> Money:
    """Invoices of 1000, `outstanding` of it open, overdue since `overdue_days` ago when given."""
    due = TODAY - timedelta(days=overdue_days) if overdue_days is not None else None
    overdue = outstanding if overdue_days is not None else Decimal("0")
    return Money(
        "USD",
        Decimal("1000"),
        Decimal("1000") - outstanding,
        outstanding,
        overdue,
        2,
        count if overdue_days is not None else 0,
        due,
    )


def esc(priority: str | None, days: float) -> Escalation:
    """An open ticket created `days` ago."""
    return Escalation(f"e{priority}{days}", "Broken export", priority, days_ago(days), "New")


def late(name: str, days: int, completed: bool = False) -> Milestone:
    """A milestone due `days` ago."""
    return Milestone(name.lower(), name, TODAY - timedelta(days=days), completed)


def pm_change(days: float) -> Change:
    """The PM changed `days` ago."""
    return Change("pm_changed", days_ago(days), "Acme rollout", "Old PM", "Pat PM", None)


def test_healthy_account_is_green() -> None:
    """No rule hits: green with no reasons, and the default thresholds are the issue's."""
    health = assess(status(), TODAY)
    assert health == Health("green", (), False, None)
    assert Thresholds() == Thresholds(30, 14, 21, 14, 0.8, 30)


@pytest.mark.parametrize(
    "kwargs, level, reason",
    [
        ({"escalations": (esc("URGENT", 3.2),)}, "red", "URGENT escalation open 3 days"),
        ({"escalations": (esc("high", 1),)}, "red", "HIGH escalation open 1 day"),
        ({"escalations": (esc("HIGH", 5), esc("URGENT", 2))}, "red", "2 HIGH/URGENT escalations open, oldest 5 days"),
        ({"escalations": (esc("MEDIUM", 3),)}, "yellow", "escalation open 3 days"),
        ({"escalations": (esc(None, 0.2),)}, "yellow", "escalation opened today"),
        ({"escalations": (esc("LOW", 9), esc("MEDIUM", 4))}, "yellow", "2 escalations open, oldest 9 days"),
        ({"money": paid(Decimal("300"), overdue_days=34)}, "red", "invoice 34 days overdue"),
        ({"money": paid(Decimal("300"), overdue_days=31, count=2)}, "red", "2 invoices overdue, oldest 31 days"),
        ({"money": paid(Decimal("300"), overdue_days=30)}, "yellow", "invoice 30 days overdue"),
        ({"money": paid(Decimal("300"), overdue_days=1)}, "yellow", "invoice 1 day overdue"),
        ({"delivery": project(milestones=(late("Go-live", 16),))}, "red", "milestone 'Go-live' 16 days late"),
        (
            {"delivery": project(milestones=(late("Beta", 3), late("UAT", 15)))},
            "red",
            "milestone 'UAT' 15 days late (and 1 more late)",
        ),
        ({"delivery": project(milestones=(late("Go-live", 14),))}, "yellow", "milestone 'Go-live' 14 days late"),
        ({"contact_days": 26}, "yellow", "no client contact for 26 days"),
        ({"contact_days": 21}, "yellow", "no client contact for 21 days"),
        ({"contact_days": None}, "yellow", "no client contact logged"),
        ({"delivery": project(changes=(pm_change(5),))}, "yellow", "new PM 5 days ago"),
        ({"delivery": project(changes=(pm_change(0.1),))}, "yellow", "new PM today"),
    ],
)
def test_each_rule(kwargs: dict[str, Any], level: str, reason: str) -> None:
    """One rule hit: its level and its sentence, alone."""
    health = assess(status(**kwargs), TODAY)
    assert (health.level, health.reasons) == (level, (reason,))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"contact_days": 20.9},
        {"delivery": project(changes=(pm_change(15),))},
        {"delivery": project(milestones=(late("Done already", 40, completed=True), late("Later", -5)))},
        {"delivery": project(changes=(Change("reassigned", days_ago(1), "Beta", "A", "B", "A"),))},
        {"money": paid(Decimal("300"))},  # open, not overdue
    ],
)
def test_below_thresholds_stays_green(kwargs: dict[str, Any]) -> None:
    """Just short of a rule, or something no rule watches: green."""
    assert assess(status(**kwargs), TODAY).level == "green"


def test_next_milestone_counts_without_the_milestone_list() -> None:
    """Data without `milestones` still judges the next deliverable when it is a milestone."""
    item = Deliverable("m", "Go-live", TODAY - timedelta(days=20), None, True)
    delivery = replace(project(), next_deliverable=item)
    assert assess(status(delivery=delivery), TODAY).reasons == ("milestone 'Go-live' 20 days late",)
    task = replace(item, is_milestone=False)
    assert assess(status(delivery=replace(project(), next_deliverable=task)), TODAY).level == "green"


def test_reasons_worst_first() -> None:
    """Red reasons before yellow ones, whatever the rule order."""
    health = assess(
        status(escalations=(esc("LOW", 3),), money=paid(Decimal("1"), overdue_days=34), contact_days=26), TODAY
    )
    assert health.level == "red"
    assert health.reasons == ("invoice 34 days overdue", "escalation open 3 days", "no client contact for 26 days")


def test_thresholds_from_env() -> None:
    """HEALTH_* variables move the thresholds; unset or empty keep the defaults."""
    t = Thresholds.from_env(
        {
            "HEALTH_INVOICE_RED_DAYS": "45",
            "HEALTH_MILESTONE_RED_DAYS": " 7 ",
            "HEALTH_SILENCE_DAYS": "30",
            "HEALTH_PM_CHANGE_DAYS": "",
        }
    )
    assert (t.invoice_red_days, t.milestone_red_days, t.silence_days, t.pm_change_days) == (45, 7, 30, 14)
    assert Thresholds.from_env({}) == Thresholds()
    s = status(
        money=paid(Decimal("1"), overdue_days=34), contact_days=26, delivery=project(milestones=(late("Go-live", 10),))
    )
    assert assess(s, TODAY).reasons == (
        "invoice 34 days overdue",
        "milestone 'Go-live' 10 days late",
        "no client contact for 26 days",
    )
    assert assess(s, TODAY, t).reasons == ("milestone 'Go-live' 10 days late", "invoice 34 days overdue")


@pytest.mark.parametrize(
    "name, value",
    [("HEALTH_SILENCE_DAYS", "three"), ("HEALTH_PM_CHANGE_DAYS", "-1"), ("HEALTH_INVOICE_RED_DAYS", "2.5")],
)
def test_bad_threshold_names_the_variable(name: str, value: str) -> None:
    """A bad value is a ValueError that says which variable."""
    with pytest.raises(ValueError, match=name):
        Thresholds.from_env({name: value})


EVERY_RULE: dict[str, Any] = {
    "escalations": (esc("MEDIUM", 2),),
    "money": paid(Decimal("1"), overdue_days=5),
    "contact_days": 40,
    "delivery": project(milestones=(late("Beta", 3),)),
}
EVERY_REASON = {
    "escalations": "escalation open 2 days",
    "money": "invoice 5 days overdue",
    "delivery": "milestone 'Beta' 3 days late",
    "communication": "no client contact for 40 days",
}


@pytest.mark.parametrize(
    "failed, note",
    [
        ("money", "QuickBooks unavailable — money not assessed"),
        ("delivery", "Asana unavailable — delivery not assessed"),
        ("escalations", "HubSpot unavailable — escalations not assessed"),
        ("communication", "HubSpot unavailable — client contact not assessed"),
    ],
)
def test_failed_source_is_said_not_judged(failed: str, note: str) -> None:
    """A section that failed adds a note last and no rule hit: nothing else wrong is unknown, not green."""
    health = assess(status(failed=(failed,)), TODAY)
    assert (health.level, health.reasons) == ("unknown", (note,))
    assert health.text().startswith("⚪ unknown")
    busy = assess(status(failed=(failed,), **EVERY_RULE), TODAY)
    others = tuple(r for k, r in EVERY_REASON.items() if k != failed)
    assert busy.level == "yellow" and busy.reasons == (*sorted(others, key=list(EVERY_REASON.values()).index), note)


def test_stale_section_is_still_judged() -> None:
    """Last known values (stale) are judged like fresh ones."""
    s = status(money=paid(Decimal("1"), overdue_days=40))
    s = replace(s, money=replace(s.money, error="didn't answer", stale=True))
    assert assess(s, TODAY).reasons == ("invoice 40 days overdue",)


@pytest.mark.parametrize(
    "delivery, reason",
    [
        (project(is_last=True), "in the last phase (Build), invoices paid"),
        (project(done=8, total=10), "80% done, invoices paid"),
        (project(completed_on=TODAY - timedelta(days=30)), "finished 30 days ago, invoices paid"),
        (project(completed_on=TODAY), "finished today, invoices paid"),
    ],
)
def test_upsell_in_each_form(delivery: Delivery, reason: str) -> None:
    """Last phase, 80% done, or finished in the last 30 days, with the invoices paid: an upsell moment."""
    health = assess(status(delivery=delivery, money=paid()), TODAY)
    assert (health.upsell, health.upsell_reason) == (True, reason)
    owing = assess(status(delivery=delivery, money=paid(Decimal("0.01"))), TODAY)
    assert (owing.upsell, owing.upsell_reason) == (False, None)


@pytest.mark.parametrize(
    "delivery, money, failed",
    [
        (project(done=7, total=10), paid(), ()),
        (project(completed_on=TODAY - timedelta(days=31)), paid(), ()),
        (replace(project(), phase=None, completed=True), paid(), ()),  # finished, but Asana did not say when
        (project(is_last=True), replace(paid(), invoiced=Decimal("0"), paid=Decimal("0")), ()),  # nothing invoiced
        (project(is_last=True), paid(), ("money",)),
        (project(is_last=True), paid(), ("delivery",)),
    ],
)
def test_no_upsell(delivery: Delivery, money: Money, failed: tuple[str, ...]) -> None:
    """Not near the end, finished too long ago, nothing invoiced, or a source unknown: no upsell."""
    assert not assess(status(delivery=delivery, money=money, failed=failed), TODAY).upsell


def test_derived_is_last_and_completed_on() -> None:
    """Asana derivation: the phase knows it is the last section with tasks; a finished project knows when."""
    sections = [{"gid": "s1", "name": "Design"}, {"gid": "s2", "name": "Build"}, {"gid": "s3", "name": "Empty"}]

    def task(gid: str, section: str, done: bool, at: str | None = None) -> dict[str, Any]:
        return {
            "gid": gid,
            "completed": done,
            "completed_at": at,
            "memberships": [{"project": {"gid": "p"}, "section": {"gid": section}}],
        }

    tasks = [task("1", "s1", True, "2026-11-01T10:00:00Z"), task("2", "s2", False)]
    current, done = phase("p", sections, tasks)
    assert current is not None and current.name == "Build" and current.is_last and not done
    current, _ = phase("p", sections, [task("1", "s1", False), task("2", "s2", False)])
    assert current is not None and current.name == "Design" and not current.is_last
    assert completed_on(tasks) is None
    finished = [tasks[0], task("2", "s2", True, "2026-11-20T23:30:00Z")]
    assert completed_on(finished) == date(2026, 11, 20)
    assert completed_on([task("1", "s1", True)]) is None


def test_card_shows_health_and_upsell() -> None:
    """Health comes first on the card, then the upsell moment; without health the card is unchanged."""
    s = status(escalations=(esc("MEDIUM", 3),), money=paid(Decimal("1"), overdue_days=34))
    health = assess(s, TODAY)
    assert "Health" not in status_text(s, NOW, color=False)
    first = card_content(s, NOW, health).parts[0]
    assert first.key == "health"
    assert ["".join(t for t, _ in line) for line in first.lines] == [
        f"{LEVEL_EMOJI['red']} red — invoice 34 days overdue; escalation open 3 days"
    ]
    upsell = assess(status(delivery=project(is_last=True), money=paid()), TODAY)
    first = card_content(status(), NOW, upsell).parts[0]
    assert ["".join(t for t, _ in line) for line in first.lines] == [
        "🟢 green",
        "Upsell moment — in the last phase (Build), invoices paid",
    ]
    assert card_content(s, NOW, None) == card_content(s, NOW)


@pytest.mark.parametrize("days", [1.6, 2.5, 6.9, 13.5])
def test_the_health_line_and_the_escalation_list_agree_on_an_age(days: float) -> None:
    """One rounding: "escalation open 1 day" above "opened 1 day ago", never "2 days ago" (issue 13)."""
    s = status(escalations=(esc("MEDIUM", days),))
    content = card_content(s, NOW, assess(s, TODAY))
    text = {part.key: "".join(t for line in part.lines for t, _ in line) for part in content.parts}
    said = re.search(r"escalation open (\d+) days?", text["health"])
    listed = re.search(r"opened (\d+) days? ago", text["escalations"])
    assert said and listed, text
    assert said.group(1) == listed.group(1) == str(int(days))


def test_red_health_prints_red_in_a_terminal() -> None:
    """Red is red (and yellow yellow) when the terminal has colours."""
    red = status(escalations=(esc("HIGH", 3),))
    red_text = status_text(replace(red, health=assess(red, TODAY)), NOW, color=True)
    assert f"\033[1;31m{LEVEL_EMOJI['red']} red" in red_text
    yellow = status(escalations=(esc("LOW", 3),))
    yellow_text = status_text(replace(yellow, health=assess(yellow, TODAY)), NOW, color=True)
    assert f"\033[33m{LEVEL_EMOJI['yellow']} yellow" in yellow_text
