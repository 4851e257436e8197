"""The emulated Asana workspace: records seeded from the book, the views the API renders,
the events log, and the control methods that add projects (the changes tests make are in `changes`).

The workspace is an organization with two teams: "Delivery", which every sandbox user
(the token's user included) is in and which holds the book's projects, and "Finance",
which the token's user is not in: its projects are invisible to the token, as a personal
access token sees only what its owner can.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from sandbox.asana.changes import WorkspaceChanges
from sandbox.asana.customfields import FieldDef, Setting, field_view, setting_view
from sandbox.asana.records import ProjectRec, TaskRec, iso, now
from sandbox.book import ASANA_WORKSPACE_GID, PEOPLE, PEOPLE_BY_KEY, Account, Project, Task

DEAL_FIELD_NAME: Final = "HubSpot Deal ID"
DELIVERY_TEAM_GID: Final = "1201994857363001"
FINANCE_TEAM_GID: Final = "1201994857363002"
# Team gid -> (name, members as book keys). The token's user (PEOPLE[0], maya) is not in Finance.
TEAMS: Final = {
    DELIVERY_TEAM_GID: ("Delivery", tuple(h.key for h in PEOPLE)),
    FINANCE_TEAM_GID: ("Finance", ("jordan", "priya")),
}
HOURS_FIELD_NAME: Final = "Contracted hours"
BUDGET_OPTIONS: Final = ("On budget", "At risk", "Over budget")
# Internal projects carry no deal: (name, owner, has the deal field but left empty).
INTERNAL_PROJECTS: Final = (
    ("Internal: website refresh", "maya", False),
    ("Hiring plan 2026", "tom", True),
    ("Ops runbook", "raj", False),
)


class AsanaData(WorkspaceChanges):
    """Records and control methods; mixed into AsanaEmulator."""

    today: date

    def _seed(self, accounts: Sequence[Account]) -> None:
        self._gids = itertools.count(1205000000000001)
        # Records the book's seeding did not always have (settings, hours field, ...) draw from their
        # own range, so the seeded projects and tasks keep the gids golden outputs name.
        self._later_gids = itertools.count(1206000000000001)
        self.workspace = {
            "gid": ASANA_WORKSPACE_GID,
            "resource_type": "workspace",
            "name": "Brightline",
            "is_organization": True,
            "email_domains": ["brightline.example"],
        }
        self.users: dict[str, dict[str, Any]] = {
            h.asana_gid: {
                "gid": h.asana_gid,
                "resource_type": "user",
                "name": h.name,
                "email": h.email,
                "photo": None,
                "workspaces": [self.workspace],
            }
            for h in PEOPLE
        }
        self._seed_teams()
        self._seed_fields()
        self.projects: dict[str, ProjectRec] = {}
        self.sections: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, TaskRec] = {}
        self.events: list[tuple[int, frozenset[str], dict[str, Any]]] = []
        for n, (name, owner, has_field) in enumerate(INTERNAL_PROJECTS):
            self.add_project(
                name,
                owner=owner,
                has_deal_field=has_field,
                sections=("To do", "Doing", "Done"),
                created_days_ago=200 + n,
            )
        for account in accounts:
            if account.project is not None:
                value = account.project.deal_field if account.project.deal_field is not None else account.deal_id
                self.add_book_project(account.project, value, max(account.close_days_ago, 30))
        acme = next((a for a in accounts if a.key == "acme"), None)
        if acme is not None:  # an archived earlier phase that carries the same deal ID
            self.add_project(
                "ACME fleet portal – discovery (2025)",
                deal_id=acme.deal_id,
                owner="sam",
                archived=True,
                sections=("Discovery",),
                created_days_ago=300,
            )
        self.add_project(
            "FY27 budget planning",
            owner="priya",
            team=FINANCE_TEAM_GID,
            has_deal_field=False,
            sections=("Inputs", "Review"),
            created_days_ago=60,
        )

    def _seed_teams(self) -> None:
        self.teams: dict[str, dict[str, Any]] = {
            gid: {
                "gid": gid,
                "resource_type": "team",
                "name": name,
                "description": f"The {name} team",
                "html_description": f"<body>The {name} team</body>",
                "organization": self.workspace,
                "permalink_url": f"https://app.asana.com/0/{gid}/overview",
                "visibility": "request_to_join",
            }
            for gid, (name, _) in TEAMS.items()
        }
        self.team_members = {gid: {PEOPLE_BY_KEY[k].asana_gid for k in keys} for gid, (_, keys) in TEAMS.items()}
        self.team_gid = DELIVERY_TEAM_GID  # the team project-on-close puts new projects in

    def _seed_fields(self) -> None:
        self.deal_field_gid = self._gid()
        self.budget_field_gid = self._gid()
        self.budget_options = [
            {"gid": self._gid(), "resource_type": "enum_option", "name": n, "color": c, "enabled": True}
            for n, c in zip(BUDGET_OPTIONS, ("green", "yellow", "red"))
        ]
        self.hours_field_gid = self._later_gid()
        self.custom_fields: dict[str, FieldDef] = {
            f.gid: f
            for f in (
                FieldDef(
                    self.deal_field_gid, DEAL_FIELD_NAME, "text", "Deal ID of the HubSpot deal this project delivers"
                ),
                FieldDef(self.budget_field_gid, "Budget status", "enum", options=tuple(self.budget_options)),
                FieldDef(self.hours_field_gid, HOURS_FIELD_NAME, "number", "Hours the contract buys"),
            )
        }

    # -- helpers ------------------------------------------------------------------------

    def _gid(self) -> str:
        return str(next(self._gids))

    def _later_gid(self) -> str:
        return str(next(self._later_gids))

    def at(self, days_offset: int) -> datetime:
        """The sandbox's clock: `today + days_offset` at 15:00 UTC."""
        return datetime.combine(self.today + timedelta(days=days_offset), time(15), UTC)

    def _user(self, key: str | None) -> str | None:
        return None if key is None else PEOPLE_BY_KEY[key].asana_gid

    def _emit(
        self,
        resources: Iterable[str],
        kind: str,
        resource: dict[str, Any],
        by: str | None,
        change: dict[str, Any] | None,
        parent: dict[str, Any] | None = None,
    ) -> None:
        event = {
            "user": self.users.get(by or ""),
            "resource": resource,
            "type": kind,
            "action": "changed" if change else "added",
            "created_at": iso(now()),
            "parent": parent,
            "change": change,
        }
        self.events.append((len(self.events) + 1, frozenset(resources), event))

    # -- views: full records the renderer picks fields from -----------------------------

    def project_view(self, p: ProjectRec) -> dict[str, Any]:
        owner = self.users.get(p.owner or "")
        compact = {"gid": p.gid, "resource_type": "project", "name": p.name}
        return {
            "gid": p.gid,
            "resource_type": "project",
            "name": p.name,
            "archived": p.archived,
            "color": "light-green",
            "created_at": iso(p.created_at),
            "modified_at": iso(p.modified_at or p.created_at),
            "notes": p.notes,
            "owner": owner,
            "custom_fields": [field_view(self.custom_fields[s.field], p.values.get(s.field)) for s in p.settings],
            "custom_field_settings": [setting_view(s, self.custom_fields[s.field], compact) for s in p.settings],
            "workspace": self.workspace,
            "team": self.teams.get(p.team or ""),
            "permalink_url": f"https://app.asana.com/0/{p.gid}/{p.gid}",
            "public": True,
            "due_on": p.due_on.isoformat() if p.due_on else None,
            "start_on": p.start_on.isoformat() if p.start_on else None,
            "current_status": None,
            "members": [owner] if owner else [],
            "followers": [owner] if owner else [],
        }

    def section_view(self, gid: str) -> dict[str, Any]:
        s = self.sections[gid]
        return {**s, "project": self.project_view(self.projects[s["project"]])}

    def task_view(self, t: TaskRec) -> dict[str, Any]:
        project = self.projects[t.project]
        compact_project = {"gid": project.gid, "resource_type": "project", "name": project.name}
        return {
            "gid": t.gid,
            "resource_type": "task",
            "name": t.name,
            "resource_subtype": "milestone" if t.milestone else "default_task",
            "completed": t.completed,
            "completed_at": iso(t.completed_at) if t.completed_at else None,
            "due_on": t.due_on.isoformat() if t.due_on else None,
            "due_at": None,
            "start_on": None,
            "assignee": self.users.get(t.assignee or ""),
            "memberships": [{"project": compact_project, "section": self.sections[t.section]}],
            "projects": [compact_project],
            "workspace": self.workspace,
            "modified_at": iso(t.modified_at),
            "created_at": iso(t.created_at),
            "notes": "",
            "permalink_url": f"https://app.asana.com/0/{project.gid}/{t.gid}",
            "parent": None,
            "num_subtasks": 0,
            "custom_fields": [],
            "followers": [],
        }

    def project_tasks(self, project_gid: str) -> list[TaskRec]:
        """The project's tasks in board order: by section, then as created."""
        project = self.projects[project_gid]
        order = {gid: n for n, gid in enumerate(project.sections)}
        return sorted((self.tasks[g] for g in project.tasks), key=lambda t: order.get(t.section, len(order)))

    # -- control: what tests (and the demo) change --------------------------------------

    def add_project(
        self,
        name: str,
        *,
        deal_id: str | None = None,
        owner: str | None = "sam",
        sections: Sequence[str] = ("Build",),
        tasks: Sequence[Task] = (),
        archived: bool = False,
        has_deal_field: bool = True,
        created_days_ago: int = 1,
        team: str = DELIVERY_TEAM_GID,
    ) -> str:
        """Create a project (owner, sections, tasks are book keys/records) in `team`; returns its gid.

        It carries the deal field (set to `deal_id`) unless `has_deal_field` is false, and the
        budget status field.
        """
        p = ProjectRec(self._gid(), name, self._user(owner), self.at(-created_days_ago), team, archived)
        if has_deal_field:
            self._add_setting(p, self.deal_field_gid)
            p.values[self.deal_field_gid] = deal_id
        self._add_setting(p, self.budget_field_gid)
        p.values[self.budget_field_gid] = self.budget_options[int(p.gid) % len(BUDGET_OPTIONS)]["gid"]
        self.projects[p.gid] = p
        for section in sections:
            self._add_section(p, section)
        p.modified_at = max([p.created_at] + [self._add_task(p, task).modified_at for task in tasks])
        self._emit([p.gid], "project", {"gid": p.gid, "resource_type": "project", "name": name}, None, None)
        return p.gid

    def add_book_project(self, project: Project, deal_value: str, created_days_ago: int) -> str:
        """Seed one of the book's delivery projects."""
        return self.add_project(
            project.name,
            deal_id=deal_value,
            owner=project.owner,
            sections=project.sections,
            tasks=project.tasks,
            archived=project.archived,
            created_days_ago=created_days_ago,
        )

    def _add_setting(self, p: ProjectRec, field_gid: str, is_important: bool = False) -> Setting:
        setting = Setting(self._later_gid(), field_gid, is_important)
        p.settings.append(setting)
        return setting

    def _add_section(self, p: ProjectRec, name: str) -> str:
        gid = self._gid()
        self.sections[gid] = {
            "gid": gid,
            "resource_type": "section",
            "name": name,
            "created_at": iso(p.created_at),
            "project": p.gid,
        }
        p.sections.append(gid)
        return gid

    def _new_task(
        self,
        p: ProjectRec,
        name: str,
        section: str,
        due_on: date | None,
        assignee: str | None,
        milestone: bool,
        completed_at: datetime | None = None,
    ) -> TaskRec:
        """A task of `p` in `section` (a gid), created with the project, with its `added_to_project` story."""
        t = TaskRec(
            self._gid(),
            name,
            p.gid,
            section,
            p.created_at,
            completed_at or p.created_at,
            completed_at is not None,
            completed_at,
            due_on,
            assignee,
            milestone,
        )
        self.tasks[t.gid] = t
        p.tasks.append(t.gid)
        t.stories.append(self._story(t, "added_to_project", p.created_at, None, text=f"added to {p.name}"))
        return t

    def _add_task(self, p: ProjectRec, task: Task) -> TaskRec:
        section = next(g for g in p.sections if self.sections[g]["name"] == task.section)
        completed_at = self.at(min(task.due, -1) if task.due is not None else -1) if task.completed else None
        due_on = self.today + timedelta(days=task.due) if task.due is not None else None
        t = self._new_task(p, task.name, section, due_on, self._user(task.assignee), task.milestone, completed_at)
        for story in sorted(task.stories, key=lambda s: -s.days_ago):
            self._book_story(t, story)
        return t

    def deal_of(self, p: ProjectRec) -> str | None:
        """The text of the project's deal field (None when empty or not on the project)."""
        if all(s.field != self.deal_field_gid for s in p.settings):
            return None
        return p.values.get(self.deal_field_gid)

    def project_gid(self, deal_id: str) -> str:
        """The gid of the live project carrying `deal_id`."""
        return next(p.gid for p in self.projects.values() if self.deal_of(p) == deal_id and not p.archived)

    def projects_carrying(self, deal_id: str) -> list[str]:
        """Gids of every project (archived too) whose deal field, stripped, is `deal_id`, oldest first."""
        return [p.gid for p in self.projects.values() if (self.deal_of(p) or "").strip() == deal_id]

    def visible(self, p: ProjectRec, user: str) -> bool:
        """Whether `user` (a gid) sees the project: it is in no team or in one of the user's teams."""
        return p.team is None or user in self.team_members.get(p.team, set())

    def task_gid(self, project_gid: str, name: str) -> str:
        """The gid of the task called `name` in the project."""
        return next(g for g in self.projects[project_gid].tasks if self.tasks[g].name == name)
