"""The Asana emulator's project templates and instantiation jobs, over HTTP as Asana answers them:
the template reads, every refusal of instantiateProject, the job that fills the project in, the
knobs that finish or fail it, the five-jobs limit, and the official SDK driving it all."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import asana
import pytest

from sandbox.asana import AsanaEmulator
from sandbox.asana.data import FINANCE_TEAM_GID
from sandbox.asana.errors import RATE_LIMITED
from sandbox.asana.templates import FINANCE_TEMPLATE_GID, STANDARD_TASKS
from sandbox.book import DEMO_ACCOUNTS, PEOPLE_BY_KEY, STD_SECTIONS
from tests.conftest import TODAY

WORKSPACE = "1201994857362001"
START = "2026-12-07"
MAYA = PEOPLE_BY_KEY["maya"].asana_gid  # the sandbox token's user


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Api:
    """Raw HTTP to the emulator with the sandbox token: `await api("GET", path, **params)`."""

    emu: AsanaEmulator
    http: aiohttp.ClientSession

    async def __call__(
        self, method: str, path: str, body: Any = None, *, raw: bytes | None = None, **params: str
    ) -> tuple[int, Any]:
        env = self.emu.env()
        headers = {"Authorization": f"Bearer {env['ASANA_ACCESS_TOKEN']}"}
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        if raw is not None:
            kwargs["data"] = raw
        elif body is not None:
            kwargs["json"] = body
        async with self.http.request(method, env["ASANA_BASE_URL"] + path, **kwargs) as response:
            return response.status, await response.json()

    async def instantiate(self, **data: Any) -> dict[str, Any]:
        """Instantiate the demo template (201 expected); the job record."""
        body = {
            "name": "Hooli rollout",
            "team": self.emu.team_gid,
            "is_strict": True,
            "requested_dates": [{"gid": "1", "value": START}],
            **data,
        }
        status, answer = await self(
            "POST", f"/project_templates/{self.emu.template_gid}/instantiateProject", {"data": body}
        )
        assert status == 201, answer
        return answer["data"]

    async def finish(self, job: dict[str, Any]) -> dict[str, Any]:
        """Poll the job until it is done; its last record."""
        for _ in range(10):
            status, answer = await self("GET", f"/jobs/{job['gid']}")
            assert status == 200
            if answer["data"]["status"] != "in_progress":
                return answer["data"]
        raise AssertionError("the job never finished")


def message(answer: dict[str, Any]) -> str:
    return answer["errors"][0]["message"]


@pytest.fixture
async def emu(serve: Callable) -> AsanaEmulator:
    """The Asana emulator with the demo book; jobs finish by polls only (no wall clock)."""
    emulator = AsanaEmulator(DEMO_ACCOUNTS, today=TODAY)
    emulator.job_seconds = None
    return await serve(emulator)


@pytest.fixture
async def api(emu: AsanaEmulator) -> Any:
    async with aiohttp.ClientSession() as http:
        yield Api(emu, http)


async def test_env_points_at_the_delivery_team_and_its_template(emu: AsanaEmulator, api: Api) -> None:
    """env() configures project-on-close; the token's user is in that team, not in Finance; an organization."""
    env = emu.env()
    assert (env["ASANA_TEAM_GID"], env["ASANA_PROJECT_TEMPLATE_GID"]) == (emu.team_gid, emu.template_gid)
    status, team = await api("GET", f"/teams/{emu.team_gid}")
    assert status == 200 and team["data"]["name"] == "Delivery"
    _, mine = await api("GET", "/users/me/teams", organization=WORKSPACE)
    assert [t["name"] for t in mine["data"]] == ["Delivery"]
    status, refused = await api("GET", "/users/me/teams")
    assert status == 400 and message(refused) == "organization: Missing input"
    _, teams = await api("GET", f"/workspaces/{WORKSPACE}/teams")
    assert {t["name"] for t in teams["data"]} == {"Delivery", "Finance"}
    _, workspace = await api("GET", f"/workspaces/{WORKSPACE}")
    assert workspace["data"]["is_organization"] is True


async def test_templates_are_listed_by_team_or_workspace(emu: AsanaEmulator, api: Api) -> None:
    """One of team or workspace is required; compact records; a team the user is not in is 403."""
    status, answer = await api("GET", "/project_templates")
    assert status == 400
    for params in ({"team": emu.team_gid}, {"workspace": WORKSPACE}):
        status, answer = await api("GET", "/project_templates", **params)
        assert status == 200 and answer["data"] == [
            {"gid": emu.template_gid, "resource_type": "project_template", "name": "Standard delivery (template)"}
        ]
    _, page = await api("GET", "/project_templates", team=emu.team_gid, limit="1", opt_fields="name,team.name")
    assert page["data"][0]["team"]["name"] == "Delivery" and page["next_page"] is None
    assert (await api("GET", "/project_templates", team=FINANCE_TEAM_GID))[0] == 403
    assert (await api("GET", "/project_templates", team="1201994857369999"))[0] == 404
    assert (await api("GET", "/project_templates", team="delivery"))[0] == 400
    assert (await api("GET", "/project_templates", team=emu.team_gid, limit="101"))[0] == 400


async def test_a_template_reads_in_full(emu: AsanaEmulator, api: Api) -> None:
    """Name, description, owner, team, public, color, requested dates and roles; unknown 404, Finance's 403."""
    status, answer = await api("GET", f"/project_templates/{emu.template_gid}")
    template = answer["data"]
    assert status == 200 and template["resource_type"] == "project_template"
    assert template["team"]["gid"] == emu.team_gid and template["owner"]["resource_type"] == "user"
    assert template["public"] is True and template["color"] and template["description"]
    assert template["requested_dates"] == [
        {"gid": "1", "name": "Start date", "description": "When delivery starts: the deal's close date"}
    ]
    assert [r["name"] for r in template["requested_roles"]] == ["Project manager", "Solutions engineer"]
    _, picked = await api("GET", f"/project_templates/{emu.template_gid}", opt_fields="requested_dates.name")
    assert picked["data"] == {"gid": emu.template_gid, "requested_dates": [{"gid": "1", "name": "Start date"}]}
    status, answer = await api("GET", "/project_templates/1201994857369999")
    assert status == 404 and message(answer) == "project_template: Unknown object: 1201994857369999"
    assert (await api("GET", f"/project_templates/{FINANCE_TEMPLATE_GID}"))[0] == 403
    assert (await api("GET", f"/project_templates/{emu.template_gid}", opt_fields="tasks"))[0] == 400


async def test_the_project_exists_at_once_and_fills_in_when_the_job_succeeds(emu: AsanaEmulator, api: Api) -> None:
    """201 and a job; the project is listed, empty, owned by the token's user; at success it has it all."""
    before = datetime.now(UTC).replace(microsecond=0)
    roles = {
        r["name"]: r["gid"]
        for r in (await api("GET", f"/project_templates/{emu.template_gid}"))[1]["data"]["requested_roles"]
    }
    raj = PEOPLE_BY_KEY["raj"].asana_gid
    job = await api.instantiate(
        requested_roles=[
            {"gid": roles["Project manager"], "value": "me"},
            {"gid": roles["Solutions engineer"], "value": raj},
        ]
    )
    assert (job["resource_type"], job["status"], job["new_task"], job["new_project_template"]) == (
        "job",
        "in_progress",
        None,
        None,
    )
    gid = job["new_project"]["gid"]
    assert job["new_project"] == {"gid": gid, "resource_type": "project", "name": "Hooli rollout"}
    _, listed = await api("GET", f"/workspaces/{WORKSPACE}/projects", limit="100")
    assert gid in {p["gid"] for p in listed["data"]}
    _, project = await api("GET", f"/projects/{gid}")
    record = project["data"]
    assert record["owner"]["gid"] == MAYA and record["team"]["gid"] == emu.team_gid
    assert datetime.fromisoformat(record["created_at"].replace("Z", "+00:00")) >= before
    assert record["custom_fields"] == [] and record["start_on"] == START
    assert (await api("GET", f"/projects/{gid}/sections"))[1]["data"] == []
    assert (await api("GET", f"/projects/{gid}/tasks"))[1]["data"] == []
    status, sync = await api("GET", "/events", resource=gid)
    assert status == 412

    assert (await api("GET", f"/jobs/{job['gid']}"))[1]["data"]["status"] == "in_progress"
    assert (await api("GET", f"/jobs/{job['gid']}"))[1]["data"]["status"] == "succeeded"

    _, sections = await api("GET", f"/projects/{gid}/sections")
    assert [s["name"] for s in sections["data"]] == list(STD_SECTIONS)
    _, tasks = await api(
        "GET", f"/projects/{gid}/tasks", opt_fields="name,due_on,resource_subtype,assignee,memberships.section.name"
    )
    start = date.fromisoformat(START)
    expected = {t.name: (start + timedelta(days=t.due or 0)).isoformat() for t in STANDARD_TASKS}
    assert {t["name"]: t["due_on"] for t in tasks["data"]} == expected
    first = next(t for t in tasks["data"] if t["resource_subtype"] == "milestone")
    assert first["name"] == "Discovery sign-off" and first["memberships"][0]["section"]["name"] == "Discovery"
    assignees = {t["name"]: (t["assignee"] or {}).get("gid") for t in tasks["data"]}
    assert assignees["Kickoff meeting"] == MAYA and assignees["Requirements workshop"] == raj
    _, fields = await api("GET", f"/projects/{gid}", opt_fields="custom_field_settings.custom_field.name")
    names = [s["custom_field"]["name"] for s in fields["data"]["custom_field_settings"]]
    assert names == ["Budget status", "Contracted hours"] and "HubSpot Deal ID" not in names
    _, events = await api("GET", "/events", resource=gid, sync=sync["sync"])
    added = [e for e in events["data"] if e["action"] == "added" and e["resource"]["resource_type"] == "task"]
    assert len(added) == len(STANDARD_TASKS) and all(e["parent"]["gid"] == gid for e in added)
    assert emu.jobs[job["gid"]].request["requested_dates"] == [{"gid": "1", "value": START}]


def _body(**change: Any) -> dict[str, Any]:
    data = {
        "name": "Refused",
        "team": "1201994857363001",
        "is_strict": True,
        "requested_dates": [{"gid": "1", "value": START}],
        **change,
    }
    return {"data": {k: v for k, v in data.items() if v is not None}}


@pytest.mark.parametrize(
    "body, status, words",
    [
        (_body(name=None), 400, "name: Missing input"),
        (_body(name=""), 400, "name: Missing input"),
        (_body(team=None), 400, "team: Missing input"),
        (_body(team=FINANCE_TEAM_GID), 403, "You do not have access to this team."),
        (_body(team="1201994857369999"), 400, "team: Unknown object: 1201994857369999"),
        (_body(team="Delivery"), 400, "team: Not a recognized ID: Delivery"),
        (_body(requested_dates=None), 400, "requested_dates"),
        (_body(requested_dates=[]), 400, "requested_dates"),
        (_body(requested_dates=[{"gid": "2", "value": START}]), 400, "requested_dates: [0]: gid"),
        (
            _body(requested_dates=[{"gid": "1", "value": "2026-13-01"}]),
            400,
            "requested_dates: [0]: value: Date must be in ISO-8601 (yyyy-mm-dd) format, not: 2026-13-01",
        ),
        (_body(requested_dates=[{"gid": "1", "value": "12/07/2026"}]), 400, "ISO-8601"),
        (_body(requested_dates=[{"gid": "1", "value": "20261207"}]), 400, "ISO-8601"),
        (_body(requested_dates=[{"gid": "1"}]), 400, "requested_dates: [0]: value: Missing input"),
        (_body(requested_dates={"1": START}), 400, "requested_dates"),
        (_body(requested_roles=[{"gid": "1206999999999999", "value": "me"}]), 400, "requested_roles: [0]: gid"),
        (_body(is_strict="yes"), 400, "is_strict"),
        (_body(owner="me"), 400, "owner"),
        ({"name": "Hooli"}, 400, "Unrecognized request field"),
        ({}, 400, "data: Missing input"),
    ],
    ids=[
        "no-name",
        "empty-name",
        "no-team",
        "team-not-mine",
        "unknown-team",
        "team-by-name",
        "strict-no-dates",
        "strict-empty-dates",
        "not-the-templates-date",
        "bad-month",
        "us-date",
        "basic-date",
        "no-value",
        "dates-as-object",
        "unknown-role",
        "strict-not-bool",
        "unknown-key",
        "not-wrapped",
        "empty-body",
    ],
)
async def test_instantiation_is_refused_as_asana_refuses(
    emu: AsanaEmulator, api: Api, body: dict[str, Any], status: int, words: str
) -> None:
    """Each fault answers in Asana's envelope, and nothing is created."""
    projects = len(emu.projects)
    got, answer = await api("POST", f"/project_templates/{emu.template_gid}/instantiateProject", body)
    assert got == status and words in message(answer)
    assert len(emu.projects) == projects and emu.jobs == {}


async def test_instantiating_what_is_not_there_or_not_json(emu: AsanaEmulator, api: Api) -> None:
    """An unknown template is 404, Finance's 403; a body that is not JSON is 400 in Asana's words."""
    status, _ = await api("POST", "/project_templates/1201994857369999/instantiateProject", _body())
    assert status == 404
    status, _ = await api("POST", f"/project_templates/{FINANCE_TEMPLATE_GID}/instantiateProject", _body())
    assert status == 403
    status, answer = await api("POST", f"/project_templates/{emu.template_gid}/instantiateProject", raw=b"{name")
    assert status == 400 and message(answer) == "Could not parse request data, invalid JSON"
    assert emu.jobs == {}


async def test_a_role_must_go_to_a_user_of_the_organization(emu: AsanaEmulator, api: Api) -> None:
    """requested_roles values are user gids (or "me") of the workspace."""
    role = next(iter(emu.templates[emu.template_gid].roles))
    status, answer = await api(
        "POST",
        f"/project_templates/{emu.template_gid}/instantiateProject",
        _body(requested_roles=[{"gid": role, "value": "1201994857369999"}]),
    )
    assert status == 400
    assert message(answer) == "requested_roles: [0]: value: Not a user in Organization: 1201994857369999"


async def test_without_is_strict_a_missing_start_date_is_today(emu: AsanaEmulator, api: Api) -> None:
    """is_strict false: the current date stands in for an unfilled date variable."""
    job = await api.finish(await api.instantiate(is_strict=False, requested_dates=[]))
    project = emu.projects[job["new_project"]["gid"]]
    kickoff = emu.tasks[emu.task_gid(project.gid, "Kickoff meeting")]
    assert project.start_on == TODAY and kickoff.due_on == TODAY + timedelta(days=2)


@pytest.mark.parametrize("polls", [0, 1, 3])
async def test_job_polls_before_done_is_how_many_polls_answer_in_progress(
    emu: AsanaEmulator, api: Api, polls: int
) -> None:
    """The knob counts the polls that still say in_progress; the next one says succeeded."""
    emu.job_polls_before_done = polls
    job = await api.instantiate()
    seen = [(await api("GET", f"/jobs/{job['gid']}"))[1]["data"]["status"] for _ in range(polls + 1)]
    assert seen == ["in_progress"] * polls + ["succeeded"]
    assert emu.jobs[job["gid"]].polls == polls + 1


async def test_a_job_also_finishes_unpolled_after_job_seconds(emu: AsanaEmulator, api: Api) -> None:
    """With `job_seconds`, any request after that long finds the project filled in (the clock is moved)."""
    clock = Clock()
    emu.job_clock, emu.job_seconds, emu.job_polls_before_done = clock, 2.0, 100
    job = await api.instantiate()
    gid = job["new_project"]["gid"]
    clock.now = 1.9
    assert (await api("GET", f"/projects/{gid}/sections"))[1]["data"] == []
    clock.now = 2.0
    assert len((await api("GET", f"/projects/{gid}/sections"))[1]["data"]) == len(STD_SECTIONS)
    assert emu.jobs[job["gid"]].status == "succeeded" and emu.jobs[job["gid"]].polls == 0


async def test_a_failed_job_leaves_its_project_empty(emu: AsanaEmulator, api: Api) -> None:
    """fail_next_job: that job ends failed, its project stays without sections or tasks; the next succeeds."""
    emu.fail_next_job("template is being edited")
    failed = await api.finish(await api.instantiate())
    assert failed["status"] == "failed" and emu.jobs[failed["gid"]].fail_reason == "template is being edited"
    project = emu.projects[failed["new_project"]["gid"]]
    assert project.sections == [] and project.tasks == [] and project.settings == []
    assert (await api.finish(await api.instantiate(name="Second try")))["status"] == "succeeded"


async def test_at_most_five_jobs_run_at_once(emu: AsanaEmulator, api: Api) -> None:
    """A sixth instantiation while five run is 429 with Retry-After; once one finishes, it is accepted."""
    jobs = [await api.instantiate(name=f"Project {n}") for n in range(5)]
    path = f"/project_templates/{emu.template_gid}/instantiateProject"
    env = emu.env()
    async with api.http.post(
        env["ASANA_BASE_URL"] + path, json=_body(), headers={"Authorization": f"Bearer {env['ASANA_ACCESS_TOKEN']}"}
    ) as response:
        assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
        assert message(await response.json()) == RATE_LIMITED
    await api.finish(jobs[0])
    assert (await api.instantiate(name="Project 6"))["status"] == "in_progress"


async def test_jobs_are_the_callers_and_unknown_ones_404(emu: AsanaEmulator, api: Api) -> None:
    """GET /jobs/{gid}: 404 unknown, 400 not a number; opt_fields select."""
    assert (await api("GET", "/jobs/1205999999999999"))[0] == 404
    assert (await api("GET", "/jobs/abc"))[0] == 400
    job = await api.instantiate()
    _, picked = await api("GET", f"/jobs/{job['gid']}", opt_fields="status,new_project.name")
    assert picked["data"] == {
        "gid": job["gid"],
        "status": "in_progress",
        "new_project": {"gid": job["new_project"]["gid"], "name": "Hooli rollout"},
    }


async def test_the_sdk_reads_instantiates_and_polls(emu: AsanaEmulator) -> None:
    """asana 5: ProjectTemplatesApi and JobsApi against the emulator, as the connector will call them."""
    config = asana.Configuration()
    config.host, config.access_token = emu.env()["ASANA_BASE_URL"], emu.env()["ASANA_ACCESS_TOKEN"]
    client = asana.ApiClient(config)
    templates, jobs = asana.ProjectTemplatesApi(client), asana.JobsApi(client)
    template = await asyncio.to_thread(
        templates.get_project_template, emu.template_gid, {"opt_fields": "name,requested_dates.name"}
    )
    assert template["requested_dates"] == [{"gid": "1", "name": "Start date"}]
    listed = await asyncio.to_thread(lambda: list(templates.get_project_templates({"team": emu.team_gid, "limit": 50})))
    assert [t["gid"] for t in listed] == [emu.template_gid]
    body = {
        "data": {
            "name": "Via the SDK",
            "team": emu.team_gid,
            "is_strict": True,
            "requested_dates": [{"gid": "1", "value": START}],
        }
    }
    job = await asyncio.to_thread(templates.instantiate_project, emu.template_gid, {"body": body})
    assert job["status"] == "in_progress"
    while job["status"] == "in_progress":
        job = await asyncio.to_thread(jobs.get_job, job["gid"], {"opt_fields": "status,new_project.name"})
    assert job["status"] == "succeeded" and job["new_project"]["name"] == "Via the SDK"
    with pytest.raises(asana.rest.ApiException) as refused:
        await asyncio.to_thread(templates.instantiate_project, emu.template_gid, {"body": {"data": {"name": "x"}}})
    assert refused.value.status == 400
