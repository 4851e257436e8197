"""Read endpoints of the Asana emulator: users, the workspace and its teams, projects, sections,
tasks, stories and events. A project (and what it holds) in a team the caller is not in is
left out of lists and answers 403 when asked for by gid."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from aiohttp import web

from sandbox.asana.api import Answer, AsanaApi
from sandbox.asana.customfields import field_view
from sandbox.asana.errors import AsanaError, check_gid, missing
from sandbox.asana.fields import Tree, check, render
from sandbox.asana.records import TaskRec

EVENTS_PAGE: Final = 100


class AsanaReads(AsanaApi):
    """The GET handlers; mixed into AsanaEmulator."""

    def _task_for(self, request: web.Request, gid: str) -> TaskRec:
        """The task of a path parameter, 403 when its project is invisible to the caller."""
        task: TaskRec = self._find(self.tasks, "task", gid)
        self._project_for(request, task.project)
        return task

    async def _me(self, request: web.Request, fields: Tree | None) -> Answer:
        return self._one("user", self.users[self._caller(request)], fields)

    async def _user_one(self, request: web.Request, fields: Tree | None) -> Answer:
        return self._one("user", self._find(self.users, "user", request.match_info["gid"]), fields)

    async def _workspace(self, request: web.Request, fields: Tree | None) -> Answer:
        self._workspace_gid(request.match_info["gid"])
        return self._one("workspace", self.workspace, fields)

    async def _workspace_projects(self, request: web.Request, fields: Tree | None) -> Answer:
        self._workspace_gid(request.match_info["gid"])
        caller = self._caller(request)
        projects = [p for p in self.projects.values() if self.visible(p, caller)]
        archived = request.query.get("archived")
        if archived is not None:
            if archived.lower() not in ("true", "false"):
                raise AsanaError(400, f"archived: Not a boolean: {archived}")
            projects = [p for p in projects if p.archived == (archived.lower() == "true")]
        return self._page(request, "project", projects, fields, self.project_view)

    async def _task_search(self, request: web.Request, fields: Tree | None) -> Answer:
        self._workspace_gid(request.match_info["gid"])
        raise AsanaError(402, "Search is only available to premium users.")

    async def _project(self, request: web.Request, fields: Tree | None) -> Answer:
        project = self._project_for(request, request.match_info["gid"])
        return self._one("project", self.project_view(project), fields)

    async def _project_sections(self, request: web.Request, fields: Tree | None) -> Answer:
        project = self._project_for(request, request.match_info["gid"])
        return self._page(request, "section", project.sections, fields, self.section_view)

    async def _project_tasks(self, request: web.Request, fields: Tree | None) -> Answer:
        return self._list_tasks(request, request.match_info["gid"], fields)

    async def _tasks(self, request: web.Request, fields: Tree | None) -> Answer:
        if "project" not in request.query:
            raise AsanaError(
                400, "Must specify exactly one of project, tag, section, user task list, or assignee + workspace"
            )
        return self._list_tasks(request, request.query["project"], fields)

    def _list_tasks(self, request: web.Request, project_gid: str, fields: Tree | None) -> Answer:
        project = self._project_for(request, project_gid)
        tasks = self.project_tasks(project.gid)
        since = request.query.get("completed_since")
        if since is not None:  # "now": incomplete tasks only; a time: also those completed since
            cutoff = None
            if since != "now":
                try:
                    cutoff = datetime.fromisoformat(since)
                except ValueError:
                    raise AsanaError(400, f"completed_since: Not a date-time: {since}") from None
                if cutoff.tzinfo is None:
                    cutoff = cutoff.replace(tzinfo=UTC)
            tasks = [
                t
                for t in tasks
                if not t.completed or (cutoff is not None and t.completed_at is not None and t.completed_at >= cutoff)
            ]
        return self._page(request, "task", tasks, fields, self.task_view)

    async def _task(self, request: web.Request, fields: Tree | None) -> Answer:
        task = self._task_for(request, request.match_info["gid"])
        return self._one("task", self.task_view(task), fields)

    async def _task_stories(self, request: web.Request, fields: Tree | None) -> Answer:
        task = self._task_for(request, request.match_info["gid"])
        return self._page(request, "story", task.stories, fields, lambda s: s)

    async def _events(self, request: web.Request, fields: Tree | None) -> Answer:
        """Events on a project or task since the sync token; without a valid one, 412 and a new token."""
        check("event", fields)
        resource = request.query.get("resource", "")
        if not resource:
            raise AsanaError(400, "resource: Missing input")
        if resource in self.projects:
            self._project_for(request, resource)
        elif resource in self.tasks:
            self._task_for(request, resource)
        else:
            self._find({}, "resource", resource)
        head = self.events[-1][0] if self.events else 0
        entry = self._unsign(request.query.get("sync", ""))
        if entry is None or entry.get("resource") != resource:
            raise AsanaError(
                412,
                "Sync token invalid or too old. If you are attempting to keep resources "
                "in sync, you must fetch the full dataset for this query now and use the "
                "new sync token for the next sync.",
                sync=self._sign({"resource": resource, "at": head}),
            )
        pending = [(seq, e) for seq, gids, e in self.events if seq > int(entry["at"]) and resource in gids]
        chunk = pending[:EVENTS_PAGE]
        fresh = self._sign({"resource": resource, "at": chunk[-1][0] if chunk else int(entry["at"])})
        return {
            "data": [render("event", e, fields) for _, e in chunk],
            "sync": fresh,
            "has_more": len(pending) > EVENTS_PAGE,
        }

    async def _team(self, request: web.Request, fields: Tree | None) -> Answer:
        return self._one("team", self._find(self.teams, "team", request.match_info["gid"]), fields)

    async def _workspace_teams(self, request: web.Request, fields: Tree | None) -> Answer:
        """Every team of the organization (membership decides what a team's projects show, not this list)."""
        self._workspace_gid(request.match_info["gid"])
        return self._page(request, "team", list(self.teams.values()), fields, lambda t: t)

    async def _workspace_custom_fields(self, request: web.Request, fields: Tree | None) -> Answer:
        """Every custom field of the workspace (compact unless opt_fields asks), paged like any list."""
        self._workspace_gid(request.match_info["gid"])
        fields_ = list(self.custom_fields.values())
        return self._page(request, "custom_field", fields_, fields, lambda f: field_view(f, None))

    async def _user_teams(self, request: web.Request, fields: Tree | None) -> Answer:
        """The teams a user is in, within `organization` (required)."""
        gid = request.match_info["gid"]
        user = self._caller(request) if gid == "me" else self._find(self.users, "user", gid)["gid"]
        organization = request.query.get("organization")
        if organization is None:
            raise missing("organization")
        self._workspace_gid(check_gid("organization", organization))
        teams = [t for g, t in self.teams.items() if user in self.team_members[g]]
        return self._page(request, "team", teams, fields, lambda t: t)
