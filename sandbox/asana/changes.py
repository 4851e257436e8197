"""Task stories, and the changes tests (and the demo) make: due dates, assignees, completion, PM, deal field.

A mixin of `AsanaData` (data.py), which provides the records, the gids and the events log.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sandbox.asana.records import ProjectRec, TaskRec, iso, now
from sandbox.book import Story

if TYPE_CHECKING:
    from sandbox.asana.customfields import Setting


class WorkspaceChanges:
    """Stories and the control methods that change tasks and projects (mixed into AsanaData)."""

    if TYPE_CHECKING:  # provided by AsanaData
        today: date
        users: dict[str, dict[str, Any]]
        projects: dict[str, ProjectRec]
        tasks: dict[str, TaskRec]
        deal_field_gid: str

        def _gid(self) -> str: ...

        def _user(self, key: str | None) -> str | None: ...

        def at(self, days_offset: int) -> datetime: ...

        def _add_setting(self, p: ProjectRec, field_gid: str, is_important: bool = False) -> Setting: ...

        def _emit(
            self,
            resources: Iterable[str],
            kind: str,
            resource: dict[str, Any],
            by: str | None,
            change: dict[str, Any] | None,
            parent: dict[str, Any] | None = None,
        ) -> None: ...

    def _story(self, t: TaskRec, subtype: str, when: datetime, by: str | None, **extra: Any) -> dict[str, Any]:
        story = {
            "gid": self._gid(),
            "resource_type": "story",
            "resource_subtype": subtype,
            "type": "comment" if subtype == "comment_added" else "system",
            "text": "",
            "html_text": "",
            "created_at": iso(when),
            "created_by": self.users.get(by or ""),
            "old_dates": None,
            "new_dates": None,
            "assignee": None,
            "is_pinned": False,
            "is_edited": False,
            "target": {"gid": t.gid, "resource_type": "task", "name": t.name},
            **extra,
        }
        if when > t.modified_at and subtype != "comment_added":  # comments do not touch modified_at
            t.modified_at = when
        return story

    def _book_story(self, t: TaskRec, s: Story) -> None:
        by, when = self._user(s.by), self.at(-s.days_ago)
        if s.kind == "due_date_changed":
            old = self.today + timedelta(days=s.old_due) if s.old_due is not None else None
            new = self.today + timedelta(days=s.new_due) if s.new_due is not None else None
            t.stories.append(self._due_story(t, old, new, when, by))
        elif s.kind == "assigned":
            user = self.users[self._user(s.assignee) or ""]
            t.stories.append(self._story(t, "assigned", when, by, assignee=user, text=f"assigned to {user['name']}"))
        else:
            t.stories.append(self._story(t, s.kind, when, by, text=s.text or ""))

    def _due_story(self, t: TaskRec, old: date | None, new: date | None, when: datetime, by: str | None) -> dict:
        def dates(d: date | None) -> dict[str, Any]:
            return {"start_on": None, "due_at": None, "due_on": d.isoformat() if d else None}

        text = f"changed the due date to {new:%b %d}" if new else "removed the due date"
        return self._story(t, "due_date_changed", when, by, old_dates=dates(old), new_dates=dates(new), text=text)

    def _task_changed(self, t: TaskRec, by: str | None, field_name: str, when: datetime) -> None:
        t.modified_at = max(t.modified_at, when)
        resource = {"gid": t.gid, "resource_type": "task", "name": t.name}
        parent = {"gid": t.project, "resource_type": "project", "name": self.projects[t.project].name}
        self._emit([t.gid, t.project], "task", resource, by, {"field": field_name, "action": "changed"}, parent)

    def move_due_date(self, task_gid: str, new_due: date | None, *, by: str = "sam", days_ago: int = 0) -> None:
        """Move a task's due date, leaving a `due_date_changed` story by `by` (a book key)."""
        t, user, when = self.tasks[task_gid], self._user(by), self.at(-days_ago)
        t.stories.append(self._due_story(t, t.due_on, new_due, when, user))
        t.due_on = new_due
        self._task_changed(t, user, "due_on", when)

    def reassign_task(self, task_gid: str, assignee: str, *, by: str = "sam", days_ago: int = 0) -> None:
        """Assign the task to someone else, leaving an `assigned` story."""
        t, user, when = self.tasks[task_gid], self._user(by), self.at(-days_ago)
        t.assignee = self._user(assignee)
        target = self.users[t.assignee or ""]
        t.stories.append(self._story(t, "assigned", when, user, assignee=target, text=f"assigned to {target['name']}"))
        self._task_changed(t, user, "assignee", when)

    def complete_task(self, task_gid: str, *, by: str = "sam", days_ago: int = 0) -> None:
        """Mark a task complete."""
        t, when = self.tasks[task_gid], self.at(-days_ago)
        t.completed, t.completed_at = True, when
        t.stories.append(self._story(t, "marked_complete", when, self._user(by), text="marked this task complete"))
        self._task_changed(t, self._user(by), "completed", when)

    def set_owner(self, project_gid: str, owner: str | None) -> None:
        """Hand the project to another PM (a book key), or to nobody."""
        p = self.projects[project_gid]
        p.owner = self._user(owner)
        self._project_changed(p, "owner")

    def set_deal_field(self, project_gid: str, value: str | None) -> None:
        """Set (or clear) the project's deal field, adding the field to the project if it lacks it."""
        p = self.projects[project_gid]
        if all(s.field != self.deal_field_gid for s in p.settings):
            self._add_setting(p, self.deal_field_gid)
        p.values[self.deal_field_gid] = value
        self._project_changed(p, "custom_fields")

    def _project_changed(self, p: ProjectRec, field_name: str, by: str | None = None) -> None:
        """Touch `modified_at` and log a `changed` event on the project (`by`: a user gid)."""
        p.modified_at = now()
        self._emit(
            [p.gid],
            "project",
            {"gid": p.gid, "resource_type": "project", "name": p.name},
            by,
            {"field": field_name, "action": "changed"},
        )
