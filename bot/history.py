"""Account history: compact snapshots of a status, and the changes read from a run of them. Pure, no I/O.

A snapshot is taken daily and on every event, and kept 180 days (the store prunes them). Comparing them shows what
Asana's stories cannot: phase moves, PM changes, scope added or removed since kickoff, and due-date
moves of milestones; `merge_changes` joins them with the changes the stories tell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from bot.health import Health, assess
from bot.models import AccountStatus
from bot.models.snapshot import Snapshot
from connectors.types import Change

SNAPSHOT_VERSION: Final = 1
SECTIONS: Final = ("deal", "escalations", "communication", "delivery", "money")
DONE: Final = "All work done"


def snapshot(status: AccountStatus, *, health: Health | None = None) -> Snapshot:
    """The status as a compact JSON-able dict; `missing` lists the sections that could not be read."""
    delivery = status.delivery.value if status.delivery.available else None
    money = status.money.value if status.money.available else None
    comm = status.communication.value if status.communication.available else None
    phase = delivery.phase if delivery else None
    item = delivery.next_deliverable if delivery else None
    health = health or assess(status, status.today)
    return {
        "v": SNAPSHOT_VERSION,
        "taken_at": status.generated_at.isoformat(),
        "deal_id": status.deal_id,
        "missing": [name for name, s in zip(SECTIONS, status.sections()) if not s.available],
        "project_id": delivery.project_id if delivery else None,
        "project": delivery.project_name if delivery else None,
        "phase": phase.name if phase else (DONE if delivery and delivery.completed else None),
        "progress": round(phase.project_done / phase.project_total, 3) if phase and phase.project_total else None,
        "is_last": bool(phase and phase.is_last),
        "pm": delivery.pm.name if delivery and delivery.pm else None,
        "pm_id": delivery.pm.id if delivery and delivery.pm else None,
        "milestones": [
            [m.id, m.name, m.due_on.isoformat() if m.due_on else None, m.completed]
            for m in (delivery.milestones if delivery else ())
        ],
        "next": [item.id, item.name, item.due_on.isoformat() if item.due_on else None] if item else None,
        "escalations": len(status.escalations.value or ()) if status.escalations.available else None,
        "outstanding": str(money.outstanding) if money else None,
        "overdue": str(money.overdue) if money else None,
        "currency": money.currency if money else None,
        "last_contact": comm.at.isoformat() if comm else None,
        "health": health.level,
    }


def changes_from(snapshots: Sequence[Snapshot], *, now: datetime, window_days: int = 30) -> list[Change]:
    """Phase, PM, scope and milestone due-date changes seen in `snapshots` (oldest first), newest first.

    Only snapshots that read Asana and found the current project count. Scope is compared with the
    first of them (kickoff): each milestone added or removed since is reported once, when it
    appeared or disappeared. Changes older than `window_days` are left out.
    """
    run = _project_run(snapshots)
    if not run:
        return []
    changes: list[Change] = []
    for before, after in zip(run, run[1:]):
        changes.extend(_step(before, after))
    changes.extend(_scope(run))
    since = now - timedelta(days=window_days)
    return sorted((c for c in changes if c.at >= since), key=lambda c: c.at, reverse=True)


def merge_changes(from_stories: Sequence[Change], from_history: Sequence[Change]) -> list[Change]:
    """Both lists in one, newest first; a due-date move or PM change both tell keeps the stories' version."""
    told = {_key(c) for c in from_stories if _key(c) is not None}
    merged = list(from_stories) + [c for c in from_history if _key(c) is None or _key(c) not in told]
    return sorted(merged, key=lambda c: c.at, reverse=True)


def _key(change: Change) -> tuple[str, ...] | None:
    """What makes two reports the same change: the task and its new date, or the new PM."""
    if change.kind == "due_date_moved":
        return (change.kind, (change.subject or "").casefold(), (change.new or "")[:10])
    if change.kind == "pm_changed":
        return (change.kind, (change.new or "").casefold())
    return None


def _at(snap: Snapshot) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(snap.get("taken_at")))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _Seen:
    """One readable snapshot: when, the snapshot, and its milestones as id -> (name, due_on)."""

    at: datetime
    snap: Snapshot
    milestones: dict[str, tuple[str, str | None]]


def _project_run(snapshots: Sequence[Snapshot]) -> list[_Seen]:
    """The snapshots that read Asana and saw the latest project, by time."""
    readable = sorted(
        (
            _Seen(at, s, _milestones(s))
            for s in snapshots
            if (at := _at(s)) is not None and s.get("project_id") and "delivery" not in (s.get("missing") or ())
        ),
        key=lambda x: x.at,
    )
    if not readable:
        return []
    project = readable[-1].snap["project_id"]
    return [seen for seen in readable if seen.snap["project_id"] == project]


def _milestones(snap: Snapshot) -> dict[str, tuple[str, str | None]]:
    """id -> (name, due_on) of the snapshot's milestones."""
    out = {}
    for entry in snap.get("milestones") or ():
        if isinstance(entry, (list, tuple)) and len(entry) >= 3:
            out[str(entry[0])] = (str(entry[1]), entry[2])
    return out


def _step(before: _Seen, after: _Seen) -> list[Change]:
    """Phase, PM and milestone due-date changes between two consecutive snapshots."""
    old, new, at = before.snap, after.snap, after.at
    project = new.get("project")
    out: list[Change] = []
    if old.get("phase") != new.get("phase"):
        out.append(Change("phase_changed", at, project, old.get("phase"), new.get("phase"), None))
    if _pm(old) != _pm(new):
        out.append(Change("pm_changed", at, project, old.get("pm"), new.get("pm"), None))
    for gid, (name, due) in after.milestones.items():
        if gid in before.milestones and before.milestones[gid][1] != due:
            out.append(Change("due_date_moved", at, name, before.milestones[gid][1], due, None))
    return out


def _pm(snap: Snapshot) -> str | None:
    """Who the PM is: the Asana id when known, else the name."""
    return snap.get("pm_id") or snap.get("pm")


def _scope(run: list[_Seen]) -> list[Change]:
    """Milestones the latest snapshot has that kickoff had not, and the reverse; once each, when it happened."""
    kickoff, latest = run[0].milestones, run[-1].milestones
    out: list[Change] = []
    for gid, (name, due) in latest.items():
        if gid not in kickoff:
            out.append(Change("scope_added", _since(run, gid, present=True), name, None, due, None))
    for gid in [g for g in kickoff if g not in latest]:
        name, due = next(seen.milestones[gid] for seen in reversed(run) if gid in seen.milestones)
        out.append(Change("scope_removed", _since(run, gid, present=False), name, due, None, None))
    return out


def _since(run: list[_Seen], gid: str, *, present: bool) -> datetime:
    """When the milestone's current state (present or absent) began: the first snapshot of the latest stretch."""
    when = run[-1].at
    for seen in reversed(run):
        if (gid in seen.milestones) != present:
            break
        when = seen.at
    return when
