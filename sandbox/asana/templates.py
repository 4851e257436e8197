"""Project templates, and the jobs that instantiate them.

`POST /project_templates/{gid}/instantiateProject` answers 201 with a job at once; the new
project exists from then on (named, owned by the token's user, in the given team) but is
empty. It fills in when the job succeeds: the template's sections, its tasks (due dates
offset from the requested start date, assignees from the requested roles) and its custom
field settings. A job succeeds on the poll after `job_polls_before_done` polls of
`GET /jobs/{gid}`, or `job_seconds` after it started (None: polls only); `fail_next_job`
makes the next one end `failed`, its project left empty. At most `max_concurrent_jobs`
jobs run at once per token (Asana: 5), beyond that 429.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from aiohttp import web

from sandbox.asana import instantiation
from sandbox.asana.api import Answer, AsanaApi
from sandbox.asana.data import DELIVERY_TEAM_GID, FINANCE_TEAM_GID
from sandbox.asana.errors import AsanaError, RateLimited, check_gid, missing, no_access
from sandbox.asana.fields import Tree
from sandbox.asana.limits import MAX_CONCURRENT_JOBS
from sandbox.asana.records import ProjectRec, now
from sandbox.book import PEOPLE_BY_KEY, STD_SECTIONS

TEMPLATE_GID: Final = "1201994857364001"
FINANCE_TEMPLATE_GID: Final = "1201994857364002"
START_DATE: Final = "1"  # Asana: date variable "1" is the project's start date, "2" its due date
DUE_DATE: Final = "2"
# The subtype of an instantiation job is *unconfirmed* (the reference's example is "duplicate_task").
JOB_SUBTYPE: Final = "instantiate_project"


@dataclass(frozen=True)
class TemplateTask:
    """A task of a template: due `due` days after the start date, assigned to whoever fills `role`."""

    name: str
    section: str
    due: int | None
    role: str | None = None
    milestone: bool = False


PM, SE = "Project manager", "Solutions engineer"
STANDARD_TASKS: Final = (
    TemplateTask("Kickoff meeting", "Discovery", 2, PM),
    TemplateTask("Requirements workshop", "Discovery", 7, SE),
    TemplateTask("Discovery sign-off", "Discovery", 10, PM, milestone=True),
    TemplateTask("Solution design", "Design", 20, SE),
    TemplateTask("Design sign-off", "Design", 28, PM, milestone=True),
    TemplateTask("Configure platform", "Build", 45, SE),
    TemplateTask("Integrations", "Build", 55, SE),
    TemplateTask("UAT sign-off", "Build", 62, PM, milestone=True),
    TemplateTask("Go-live", "Launch", 70, PM, milestone=True),
    TemplateTask("User training", "Launch", 72, SE),
    TemplateTask("Hypercare review", "Hypercare", 85, PM),
    TemplateTask("Handover to support", "Hypercare", 90, PM, milestone=True),
)


@dataclass
class TemplateRec:
    gid: str
    name: str
    description: str
    owner: str  # user gid
    team: str  # team gid
    color: str
    dates: tuple[tuple[str, str, str], ...]  # date variables: (gid, name, description)
    roles: dict[str, str]  # template role gid -> name
    sections: tuple[str, ...]
    tasks: tuple[TemplateTask, ...]
    fields: tuple[str, ...]  # custom field gids the new project gets settings for
    length_days: int  # the project's due date when none is requested: start + length


@dataclass
class JobRec:
    """One instantiation; `request` is the body's `data` as sent."""

    gid: str
    template: str
    project: str
    user: str  # who asked (the token's user)
    start: date
    roles: dict[str, str]  # template role gid -> user gid
    request: dict[str, Any]
    started: float
    status: str = "in_progress"
    polls: int = 0
    fail_reason: str | None = None


class AsanaTemplates(AsanaApi):
    """Templates, jobs and their handlers; mixed into AsanaEmulator."""

    template_gid: str = TEMPLATE_GID
    templates: dict[str, TemplateRec]
    job_polls_before_done: int = 1
    job_seconds: float | None = 5.0
    max_concurrent_jobs: int = MAX_CONCURRENT_JOBS
    job_clock: Callable[[], float] = staticmethod(time.monotonic)

    def _seed_templates(self) -> None:
        self.jobs: dict[str, JobRec] = {}
        self._fail_next: str | None = None
        standard = TemplateRec(
            TEMPLATE_GID,
            "Standard delivery (template)",
            "Our standard five-phase delivery.",
            PEOPLE_BY_KEY["sam"].asana_gid,
            DELIVERY_TEAM_GID,
            "light-green",
            ((START_DATE, "Start date", "When delivery starts: the deal's close date"),),
            {self._later_gid(): PM, self._later_gid(): SE},
            STD_SECTIONS,
            STANDARD_TASKS,
            (self.budget_field_gid, self.hours_field_gid),
            90,
        )
        finance = TemplateRec(
            FINANCE_TEMPLATE_GID,
            "Quarterly close (template)",
            "Finance's quarter-end checklist.",
            PEOPLE_BY_KEY["priya"].asana_gid,
            FINANCE_TEAM_GID,
            "dark-blue",
            ((START_DATE, "Start date", ""), (DUE_DATE, "Due date", "")),
            {},
            ("Checklist",),
            (TemplateTask("Reconcile accounts", "Checklist", 5),),
            (),
            10,
        )
        self.templates = {t.gid: t for t in (standard, finance)}

    # -- control ------------------------------------------------------------------------

    def fail_next_job(self, reason: str = "Instantiation failed") -> None:
        """The next instantiation job ends `failed` (its project stays empty); `reason` is kept on the job."""
        self._fail_next = reason

    # -- views --------------------------------------------------------------------------

    def template_view(self, t: TemplateRec) -> dict[str, Any]:
        return {
            "gid": t.gid,
            "resource_type": "project_template",
            "name": t.name,
            "description": t.description,
            "html_description": f"<body>{t.description}</body>",
            "owner": self.users[t.owner],
            "team": self.teams[t.team],
            "public": True,
            "color": t.color,
            "requested_dates": [{"gid": g, "name": n, "description": d} for g, n, d in t.dates],
            "requested_roles": [{"gid": g, "resource_type": "template_role", "name": n} for g, n in t.roles.items()],
        }

    def job_view(self, j: JobRec) -> dict[str, Any]:
        return {
            "gid": j.gid,
            "resource_type": "job",
            "resource_subtype": JOB_SUBTYPE,
            "status": j.status,
            "new_project": self.project_view(self.projects[j.project]),
            "new_task": None,
            "new_project_template": None,
        }

    # -- jobs -----------------------------------------------------------------------------

    def running_jobs(self, user: str) -> int:
        """How many of `user`'s jobs are still in progress."""
        return sum(1 for j in self.jobs.values() if j.user == user and j.status == "in_progress")

    def advance_jobs(self) -> None:
        """Finish the jobs older than `job_seconds` (called before every request)."""
        if self.job_seconds is None:
            return
        for job in self.jobs.values():
            if job.status == "in_progress" and self.job_clock() - job.started >= self.job_seconds:
                self._finish(job)

    def _poll(self, job: JobRec) -> None:
        job.polls += 1
        if job.status == "in_progress" and job.polls > self.job_polls_before_done:
            self._finish(job)

    def _finish(self, job: JobRec) -> None:
        if job.fail_reason is not None:
            job.status = "failed"
            return
        t, p = self.templates[job.template], self.projects[job.project]
        for field_gid in t.fields:
            if all(s.field != field_gid for s in p.settings):
                self._add_setting(p, field_gid)
        sections = {name: self._add_section(p, name) for name in t.sections}
        roles = {name: job.roles.get(gid) for gid, name in t.roles.items()}
        parent = {"gid": p.gid, "resource_type": "project", "name": p.name}
        for task in t.tasks:
            due = job.start + timedelta(days=task.due) if task.due is not None else None
            rec = self._new_task(p, task.name, sections[task.section], due, roles.get(task.role or ""), task.milestone)
            self._emit(
                [rec.gid, p.gid],
                "task",
                {"gid": rec.gid, "resource_type": "task", "name": rec.name},
                job.user,
                None,
                parent,
            )
        p.modified_at = now()
        job.status = "succeeded"

    def _instantiate(self, t: TemplateRec, data: dict[str, Any], user: str) -> JobRec:
        asked = instantiation.parse(
            data, date_vars=[g for g, _, _ in t.dates], roles=t.roles, users=self.users, caller=user
        )
        team = asked.team
        if team is None:
            # API_FACTS: required in an organization. Asana's OpenAPI document says it defaults to
            # the template's team instead; the stricter answer is kept (*unconfirmed*).
            if self.workspace["is_organization"]:
                raise missing("team")
            team = t.team
        if team not in self.teams:
            raise AsanaError(400, f"team: Unknown object: {team}")
        if user not in self.team_members[team]:
            raise no_access("team")
        if self.running_jobs(user) >= self.max_concurrent_jobs:
            raise RateLimited(1)
        start = asked.dates.get(START_DATE, self.today)
        p = ProjectRec(
            self._gid(),
            asked.name,
            user,
            now(),
            team,
            start_on=start,
            due_on=asked.dates.get(DUE_DATE, start + timedelta(days=t.length_days)),
        )
        self.projects[p.gid] = p
        self._emit([p.gid], "project", {"gid": p.gid, "resource_type": "project", "name": p.name}, user, None)
        job = JobRec(
            self._gid(), t.gid, p.gid, user, start, asked.roles, data, self.job_clock(), fail_reason=self._fail_next
        )
        self._fail_next = None
        self.jobs[job.gid] = job
        return job

    # -- handlers -----------------------------------------------------------------------

    def _template_for(self, request: web.Request, gid: str) -> TemplateRec:
        template: TemplateRec = self._find(self.templates, "project_template", gid)
        if self._caller(request) not in self.team_members[template.team]:
            raise no_access("project template")
        return template

    def _team_for(self, request: web.Request, gid: str) -> str:
        """A team named in a query: it must exist, and the caller must be in it (*unconfirmed*: 403)."""
        self._find(self.teams, "team", check_gid("team", gid))
        if self._caller(request) not in self.team_members[gid]:
            raise no_access("team")
        return gid

    async def _templates(self, request: web.Request, fields: Tree | None) -> Answer:
        """Templates of a team, or of the workspace (those of the caller's teams); one of them is required."""
        team, workspace = request.query.get("team"), request.query.get("workspace")
        if team is None and workspace is None:
            # *unconfirmed* wording; the reference lists both parameters as optional.
            raise AsanaError(400, "Must specify exactly one of team or workspace")
        if team is not None:
            team = self._team_for(request, team)
            items = [t for t in self.templates.values() if t.team == team]
        else:
            self._workspace_gid(check_gid("workspace", workspace))
            caller = self._caller(request)
            items = [t for t in self.templates.values() if caller in self.team_members[t.team]]
        return self._page(request, "project_template", items, fields, self.template_view)

    async def _template(self, request: web.Request, fields: Tree | None) -> Answer:
        return self._one(
            "project_template", self.template_view(self._template_for(request, request.match_info["gid"])), fields
        )

    async def _instantiate_project(self, request: web.Request, fields: Tree | None) -> Answer:
        template = self._template_for(request, request.match_info["gid"])
        job = self._instantiate(template, await self._data(request), self._caller(request))
        return 201, self._one("job", self.job_view(job), fields)

    async def _job(self, request: web.Request, fields: Tree | None) -> Answer:
        job: JobRec = self._find(self.jobs, "job", request.match_info["gid"])
        if job.user != self._caller(request):
            raise no_access("job")
        self._poll(job)
        return self._one("job", self.job_view(job), fields)
