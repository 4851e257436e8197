"""Pure functions from Asana records (as the API answers them) to the typed results: no I/O."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from connectors.types import Change, Deliverable, Milestone, Person, Phase

Record = Mapping[str, Any]
CHANGE_WINDOW: Final = timedelta(days=30)
MAX_PM_CHANGES: Final = 10


def deal_value(project: Record, field_name: str) -> str | None:
    """The project's deal ID: the text custom field called `field_name` (any case), stripped."""
    wanted = field_name.strip().casefold()
    for field in project.get("custom_fields") or ():
        if (field.get("name") or "").strip().casefold() != wanted:
            continue
        value = str(field.get("text_value") or field.get("display_value") or "").strip()
        if value:
            return value
    return None


def parse_time(value: str | None) -> datetime | None:
    """An Asana timestamp (2026-11-25T15:00:00.000Z) as an aware datetime."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def due_date(task: Record) -> date | None:
    """`due_on`, or the (UTC) date of `due_at`."""
    if task.get("due_on"):
        try:
            return date.fromisoformat(task["due_on"])
        except ValueError:
            return None
    moment = parse_time(task.get("due_at"))
    return moment.date() if moment else None


def person(user: Record | None) -> Person | None:
    """An Asana user as a Person (email when the token may see it)."""
    if not user or not user.get("name"):
        return None
    return Person(name=user["name"], email=user.get("email") or None, id=user.get("gid"))


def section_of(task: Record, project_gid: str) -> str | None:
    """The gid of the task's section in this project (a task can live in several projects)."""
    for membership in task.get("memberships") or ():
        project = membership.get("project") or {}
        section = membership.get("section") or {}
        if project.get("gid") in (None, project_gid) and section.get("gid"):
            return section["gid"]
    return None


def phase(project_gid: str, sections: Sequence[Record], tasks: Sequence[Record]) -> tuple[Phase | None, bool]:
    """The first section in board order that still holds incomplete tasks, and whether all is done."""
    by_section: dict[str | None, list[Record]] = {}
    for task in tasks:
        by_section.setdefault(section_of(task, project_gid), []).append(task)
    names = {s["gid"]: s.get("name") or "Untitled section" for s in sections}
    order = [s["gid"] for s in sections] + [g for g in by_section if g not in names]
    done_total = sum(1 for t in tasks if t.get("completed"))
    last = next((gid for gid in reversed(order) if by_section.get(gid)), None)
    for gid in order:
        members = by_section.get(gid, [])
        done = sum(1 for t in members if t.get("completed"))
        if done < len(members):
            name = names.get(gid, "Untitled section") if gid else "No section"
            return Phase(name, done, len(members), done_total, len(tasks), is_last=gid == last), False
    return None, bool(tasks)


def completed_on(tasks: Sequence[Record]) -> date | None:
    """The (UTC) date the last task was completed, when every task is done and Asana says when."""
    if not tasks or not all(t.get("completed") for t in tasks):
        return None
    moments = [m for m in (parse_time(t.get("completed_at")) for t in tasks) if m is not None]
    return max(moments).date() if moments else None


def milestones(tasks: Iterable[Record]) -> tuple[Milestone, ...]:
    """Every milestone task, done or not, in the order Asana lists them."""
    return tuple(
        Milestone(t["gid"], t.get("name") or "", due_date(t), bool(t.get("completed")))
        for t in tasks
        if t.get("resource_subtype") == "milestone"
    )


def next_deliverable(tasks: Iterable[Record]) -> Deliverable | None:
    """The incomplete task due first, milestones before other tasks; undated tasks last."""
    best: tuple[Any, ...] | None = None
    choice: Record | None = None
    for n, task in enumerate(tasks):
        if task.get("completed"):
            continue
        due = due_date(task)
        key = (due is None, task.get("resource_subtype") != "milestone", due or date.max, n)
        if best is None or key < best:
            best, choice = key, task
    if choice is None:
        return None
    assignee = choice.get("assignee") or {}
    return Deliverable(
        id=choice["gid"],
        name=choice.get("name") or "",
        due_on=due_date(choice),
        assignee=assignee.get("name"),
        is_milestone=choice.get("resource_subtype") == "milestone",
    )


def story_candidates(tasks: Iterable[Record], since: datetime) -> list[Record]:
    """Tasks whose stories may hold recent changes: open milestones, and tasks modified since."""
    out = []
    for task in tasks:
        modified = parse_time(task.get("modified_at"))
        recent = modified is None or modified >= since
        if recent or (task.get("resource_subtype") == "milestone" and not task.get("completed")):
            out.append(task)
    return out


def story_changes(task: Record, stories: Sequence[Record], since: datetime) -> list[Change]:
    """Due-date moves and reassignments among the task's stories made since `since`."""
    changes: list[Change] = []
    previous_assignee: str | None = None
    for story in sorted(stories, key=lambda s: s.get("created_at") or ""):
        kind = story.get("resource_subtype")
        at = parse_time(story.get("created_at"))
        by = (story.get("created_by") or {}).get("name")
        if kind in ("assigned", "unassigned"):
            new = (story.get("assignee") or {}).get("name") if kind == "assigned" else None
            if at is not None and at >= since:
                changes.append(Change("reassigned", at, task.get("name"), previous_assignee, new, by))
            previous_assignee = new
        elif kind == "due_date_changed" and at is not None and at >= since:
            changes.append(
                Change(
                    "due_date_moved",
                    at,
                    task.get("name"),
                    _story_due(story.get("old_dates")),
                    _story_due(story.get("new_dates")),
                    by,
                )
            )
    return changes


def _story_due(dates: Record | None) -> str | None:
    if not dates:
        return None
    if dates.get("due_on"):
        return str(dates["due_on"])
    moment = parse_time(dates.get("due_at"))
    return moment.date().isoformat() if moment else None


def track_owner(stored: str | None, project_name: str, owner: Person | None, now: datetime) -> tuple[str, list[Change]]:
    """Compare the owner with the last one seen; returns the new stored JSON and the PM changes to show.

    The stored value is {"owner": {"gid", "name"} | null, "changes": [...]}; a change is kept
    for 30 days after it was first seen, so later cards still show it.
    """
    state = _load(stored)
    current = {"gid": owner.id, "name": owner.name} if owner else None
    seen = [c for c in state.get("changes") or () if isinstance(c, dict)]
    if "owner" in state and (state["owner"] or {}).get("gid") != (current or {}).get("gid"):
        seen.append(
            {"at": now.isoformat(), "old": (state["owner"] or {}).get("name"), "new": (current or {}).get("name")}
        )
    kept = [c for c in seen if (parse_time(c.get("at")) or now) >= now - CHANGE_WINDOW][-MAX_PM_CHANGES:]
    state = {"owner": current, "changes": kept}
    changes = [
        Change("pm_changed", parse_time(c.get("at")) or now, project_name, c.get("old"), c.get("new"), None)
        for c in kept
    ]
    return json.dumps(state, sort_keys=True), changes


def _load(stored: str | None) -> dict[str, Any]:
    if not stored:
        return {}
    try:
        value = json.loads(stored)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
