"""History: snapshots of a status, the changes read from them, and their merge with Asana's stories."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from blocks.content import change_line
from bot.history import changes_from, merge_changes, snapshot
from bot.models import AccountStatus, Section
from connectors.asana.derive import milestones
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
KICKOFF = (
    Milestone("m1", "Design sign-off", date(2026, 11, 10), True),
    Milestone("m2", "Beta", date(2026, 12, 4), False),
    Milestone("m3", "Go-live", date(2027, 1, 15), False),
)


def days_ago(n: float) -> datetime:
    """A moment `n` days before NOW."""
    return NOW - timedelta(days=n)


def status(
    at: datetime,
    *,
    phase: str | None = "Design",
    pm: str = "Pat",
    ms: tuple[Milestone, ...] = KICKOFF,
    project_id: str = "p",
    asana_failed: bool = False,
) -> AccountStatus:
    """The account as seen at `at`."""
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
    current = Phase(phase, 2, 4, 5, 20, is_last=phase == "Launch") if phase else None
    item = Deliverable("m2", "Beta", date(2026, 12, 4), "Sam", True)
    delivery = Delivery(
        project_id,
        "Acme rollout",
        "https://asana.example/p",
        Person(pm, id=pm.lower()),
        current,
        item,
        completed=current is None,
        milestones=ms,
    )
    money = Money("USD", Decimal("1000"), Decimal("600"), Decimal("400.50"), Decimal("0"), 2)
    asana = Section("asana", None, None, "didn't answer") if asana_failed else Section("asana", delivery, at)
    return AccountStatus(
        deal_id="1",
        deal=Section("hubspot", deal, at),
        escalations=Section("hubspot", (Escalation("e", "Bug", "LOW", at, "New"),), at),
        communication=Section("hubspot", Communication("c", "call", at - timedelta(days=1), "ok"), at),
        delivery=asana,
        money=Section("quickbooks", money, at),
        generated_at=at,
        today=at.date(),
    )


def snaps(*statuses: AccountStatus) -> list[dict[str, Any]]:
    """Snapshots as stored: through JSON and back."""
    return [json.loads(json.dumps(snapshot(s))) for s in statuses]


def kinds(changes: list[Change]) -> list[tuple[str, str | None, str | None, str | None, datetime]]:
    """The comparable part of each change."""
    return [(c.kind, c.subject, c.old, c.new, c.at) for c in changes]


def test_snapshot_is_compact_and_json_able() -> None:
    """What a snapshot keeps, and that it survives JSON."""
    snap = snaps(status(days_ago(1), phase="Launch"))[0]
    assert snap["taken_at"] == days_ago(1).isoformat() and snap["missing"] == []
    assert (snap["phase"], snap["progress"], snap["is_last"], snap["pm"]) == ("Launch", 0.25, True, "Pat")
    assert snap["milestones"][0] == ["m1", "Design sign-off", "2026-11-10", True]
    assert snap["next"] == ["m2", "Beta", "2026-12-04"]
    assert (snap["escalations"], snap["outstanding"], snap["overdue"], snap["currency"]) == (1, "400.50", "0", "USD")
    assert snap["last_contact"] == days_ago(2).isoformat()
    assert snap["health"] == "yellow"  # the LOW escalation
    failed = snaps(status(days_ago(1), asana_failed=True))[0]
    assert failed["missing"] == ["delivery"] and failed["phase"] is None and failed["milestones"] == []
    done = snaps(status(days_ago(1), phase=None))[0]
    assert done["phase"] == "All work done" and done["progress"] is None


def test_phase_change() -> None:
    """A new phase between two snapshots is a change at the later one; unchanged days are not."""
    history = snaps(
        status(days_ago(10)),
        status(days_ago(9)),
        status(days_ago(4), phase="Build"),
        status(days_ago(1), phase="Build"),
    )
    assert kinds(changes_from(history, now=NOW)) == [("phase_changed", "Acme rollout", "Design", "Build", days_ago(4))]


def test_pm_change_who_replaced_whom() -> None:
    """Old PM → new PM, at the snapshot that first saw the new one; back again is a second change."""
    history = snaps(
        status(days_ago(20), pm="Pat"),
        status(days_ago(12), pm="Dana"),
        status(days_ago(11), pm="Dana"),
        status(days_ago(2), pm="Pat"),
    )
    assert kinds(changes_from(history, now=NOW)) == [
        ("pm_changed", "Acme rollout", "Dana", "Pat", days_ago(2)),
        ("pm_changed", "Acme rollout", "Pat", "Dana", days_ago(12)),
    ]


def test_scope_added_and_removed_vs_kickoff() -> None:
    """Milestones added or removed since the first snapshot, once each, when they appeared or disappeared."""
    extra = Milestone("m4", "Training", date(2026, 12, 20), False)
    later = KICKOFF[:2] + (extra,)  # Go-live dropped, Training added
    history = snaps(
        status(days_ago(25)),
        status(days_ago(20), ms=KICKOFF + (extra,)),
        status(days_ago(15), ms=later),
        status(days_ago(3), ms=later),
    )
    assert kinds(changes_from(history, now=NOW)) == [
        ("scope_removed", "Go-live", "2027-01-15", None, days_ago(15)),
        ("scope_added", "Training", None, "2026-12-20", days_ago(20)),
    ]


def test_added_then_removed_is_no_scope_change() -> None:
    """A milestone that came and went, or went and came back, leaves scope as at kickoff."""
    temp = Milestone("m9", "Spike", None, False)
    history = snaps(
        status(days_ago(9)),
        status(days_ago(8), ms=KICKOFF + (temp,)),
        status(days_ago(7), ms=KICKOFF[1:]),
        status(days_ago(6)),
    )
    assert changes_from(history, now=NOW) == []


def test_readded_milestone_reports_its_latest_appearance() -> None:
    """Added, gone, added again: one change, when it last appeared."""
    temp = Milestone("m9", "Spike", None, False)
    history = snaps(
        status(days_ago(9)),
        status(days_ago(8), ms=KICKOFF + (temp,)),
        status(days_ago(7)),
        status(days_ago(5), ms=KICKOFF + (temp,)),
    )
    assert kinds(changes_from(history, now=NOW)) == [("scope_added", "Spike", None, None, days_ago(5))]


def test_due_date_moves_between_consecutive_snapshots() -> None:
    """Each move of a milestone's due date is a change, old → new, at the snapshot that saw it."""
    moved = (KICKOFF[0], replace(KICKOFF[1], due_on=date(2026, 12, 11)), KICKOFF[2])
    again = (KICKOFF[0], replace(KICKOFF[1], due_on=date(2026, 12, 18)), KICKOFF[2])
    history = snaps(
        status(days_ago(9)), status(days_ago(6), ms=moved), status(days_ago(5), ms=moved), status(days_ago(1), ms=again)
    )
    assert kinds(changes_from(history, now=NOW)) == [
        ("due_date_moved", "Beta", "2026-12-11", "2026-12-18", days_ago(1)),
        ("due_date_moved", "Beta", "2026-12-04", "2026-12-11", days_ago(6)),
    ]


def test_window_keeps_only_recent_changes() -> None:
    """Changes older than the window are left out; the window is a parameter."""
    history = snaps(status(days_ago(60)), status(days_ago(40), phase="Build"), status(days_ago(10), phase="Test"))
    assert [c.new for c in changes_from(history, now=NOW)] == ["Test"]
    assert [c.new for c in changes_from(history, now=NOW, window_days=45)] == ["Test", "Build"]
    assert changes_from(history, now=NOW, window_days=5) == []


def test_failed_reads_and_other_projects_are_skipped() -> None:
    """A snapshot without Asana says nothing; a new project starts a new kickoff."""
    history = snaps(status(days_ago(9)), status(days_ago(8), asana_failed=True), status(days_ago(7)))
    assert changes_from(history, now=NOW) == []
    history = snaps(
        status(days_ago(9), project_id="old", ms=()),
        status(days_ago(5), ms=KICKOFF[:1]),
        status(days_ago(2), ms=KICKOFF[:2]),
    )
    assert kinds(changes_from(history, now=NOW)) == [("scope_added", "Beta", None, "2026-12-04", days_ago(2))]
    assert changes_from([], now=NOW) == [] and changes_from([{"taken_at": "garbage"}], now=NOW) == []


def test_merge_prefers_stories_and_sorts_newest_first() -> None:
    """A due-date move or PM change told by both keeps the stories' version (it has who); the rest are joined."""
    stories = [
        Change("due_date_moved", days_ago(6.5), "Beta", "2026-12-04", "2026-12-11", "Sam"),
        Change("reassigned", days_ago(3), "Beta", "Sam", "Lee", "Pat"),
        Change("pm_changed", days_ago(12.2), "Acme rollout", "Pat", "Dana", None),
    ]
    history = [
        Change("phase_changed", days_ago(4), "Acme rollout", "Design", "Build", None),
        Change("due_date_moved", days_ago(6), "Beta", "2026-12-04", "2026-12-11", None),
        Change("due_date_moved", days_ago(2), "Go-live", "2027-01-15", "2027-01-29", None),
        Change("pm_changed", days_ago(12), "Acme rollout", "Pat", "Dana", None),
    ]
    merged = merge_changes(stories, history)
    assert merged == [history[2], stories[1], history[0], stories[0], stories[2]]
    assert merge_changes([], history) == sorted(history, key=lambda c: c.at, reverse=True)


def test_milestones_derived_from_tasks() -> None:
    """Every milestone task, done or not, in Asana's order; other tasks are not scope."""
    tasks = [
        {"gid": "1", "name": "Kickoff", "resource_subtype": "milestone", "completed": True, "due_on": "2026-10-01"},
        {"gid": "2", "name": "Write code", "resource_subtype": "default_task", "completed": False},
        {
            "gid": "3",
            "name": "Go-live",
            "resource_subtype": "milestone",
            "completed": False,
            "due_at": "2027-01-15T17:00:00.000Z",
        },
    ]
    assert milestones(tasks) == (
        Milestone("1", "Kickoff", date(2026, 10, 1), True),
        Milestone("3", "Go-live", date(2027, 1, 15), False),
    )


@pytest.mark.parametrize(
    "change, text",
    [
        (Change("phase_changed", days_ago(2), "P", "Design", "Build", None), "Phase moved Design → Build, 2 days ago"),
        (Change("phase_changed", days_ago(2), "P", None, "Design", None), "Phase moved to Design, 2 days ago"),
        (Change("scope_added", days_ago(3), "Training", None, None, None), "Added to scope: Training, 3 days ago"),
        (
            Change("scope_added", days_ago(3), "Training", None, "2026-12-20", None),
            "Added to scope: Training (due Dec 20, 2026), 3 days ago",
        ),
        (
            Change("scope_removed", days_ago(1), "Go-live", "2027-01-15", None, None),
            "Removed from scope: Go-live, 1 day ago",
        ),
    ],
)
def test_change_lines(change: Change, text: str) -> None:
    """The card's words for the changes history finds."""
    line = change_line(change, status(NOW), NOW)
    assert "".join(s if isinstance(s, str) else s[0] for s in line) == text
