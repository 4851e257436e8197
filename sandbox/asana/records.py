"""The emulated workspace's records (projects and tasks) and Asana's timestamp format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sandbox.asana.customfields import Setting


def iso(moment: datetime) -> str:
    """Asana's timestamp format: 2026-11-25T15:00:00.000Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def now() -> datetime:
    """Wall-clock time, UTC: when a write through the API happens."""
    return datetime.now(UTC)


@dataclass
class ProjectRec:
    gid: str
    name: str
    owner: str | None  # user gid
    created_at: datetime
    team: str | None  # team gid
    archived: bool = False
    settings: list[Setting] = field(default_factory=list)  # the custom fields on the project, in order
    values: dict[str, Any] = field(default_factory=dict)  # custom field gid -> text, number or option gid
    sections: list[str] = field(default_factory=list)  # section gids, board order
    tasks: list[str] = field(default_factory=list)  # task gids, as created
    modified_at: datetime | None = None
    notes: str = ""
    start_on: date | None = None
    due_on: date | None = None


@dataclass
class TaskRec:
    gid: str
    name: str
    project: str
    section: str
    created_at: datetime
    modified_at: datetime
    completed: bool = False
    completed_at: datetime | None = None
    due_on: date | None = None
    assignee: str | None = None  # user gid
    milestone: bool = False
    stories: list[dict[str, Any]] = field(default_factory=list)
