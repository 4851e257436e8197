"""The Asana connector with the real SDK against the emulator, on both store backends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import aiohttp
import asana
import pytest

from bot.settings import Settings
from bot.store import Store
from bot.wiring import asana_from
from connectors.asana import INDEX_FIELDS, PROJECT_FIELDS, SECTION_FIELDS, STORY_FIELDS, TASK_FIELDS, AsanaConnector
from connectors.errors import AuthError, ConfigError, RateLimitedError, UnavailableError
from connectors.runtime import Policy
from sandbox.asana import AsanaEmulator
from sandbox.book import BOOK_BY_DEAL, DEMO_ACCOUNTS, STD_SECTIONS, Task
from sandbox.core import Faults
from tests.conftest import TODAY

ACME, GLOBEX, INITECH, HOOLI, SOYLENT, VANDELAY, CYBERDYNE = (
    "18340012001",
    "18340012002",
    "18340012003",
    "18340012007",
    "18340012008",
    "18340012009",
    "18340012011",
)
PROJECTS_PATH = "/workspaces/1201994857362001/projects"
FAST: Policy = Policy(timeout=5.0, retries=2, backoff=0.01)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def emu(serve: Callable) -> AsanaEmulator:
    """The Asana emulator seeded with the demo book, on loopback."""
    return await serve(AsanaEmulator(DEMO_ACCOUNTS, today=TODAY))


@pytest.fixture
async def make(emu: AsanaEmulator, store: Store) -> AsyncIterator[Callable[..., AsanaConnector]]:
    """Build connectors against the emulator (closed after the test)."""
    built: list[AsanaConnector] = []

    def _make(**kwargs: Any) -> AsanaConnector:
        env = emu.env()
        kwargs.setdefault("policy", FAST)
        token = kwargs.pop("token", env["ASANA_ACCESS_TOKEN"])
        connector = AsanaConnector(token, env["ASANA_WORKSPACE_GID"], store, env["ASANA_BASE_URL"], **kwargs)
        built.append(connector)
        return connector

    yield _make
    for connector in built:
        connector.close()


def scans(emu: AsanaEmulator) -> int:
    """Full index scans made so far (first pages of the workspace's project list)."""
    return sum(1 for c in emu.calls if c.path.endswith(PROJECTS_PATH) and "offset" not in c.query)


async def test_index_is_built_from_every_page(emu: AsanaEmulator, make: Callable) -> None:
    """Every page of workspace projects (archived too) is scanned; only projects with a deal ID are kept."""
    connector = make(page_size=5)
    assert await connector.refresh_index() == 13  # 12 delivery projects + an archived earlier phase
    calls = [c for c in emu.calls if c.path.endswith(PROJECTS_PATH)]
    assert len(calls) == 4  # 16 projects, 5 a page
    assert all(c.query["opt_fields"] == INDEX_FIELDS and c.query["limit"] == "5" for c in calls)
    assert "archived" not in calls[0].query and all("offset" in c.query for c in calls[1:])
    found = await connector.find_project(CYBERDYNE)
    assert found is not None and found.project_name == "CYB analytics retainer"
    acme = await connector.store.asana_projects_for(connector.workspace_gid, ACME)
    assert [p.archived for p in acme] == [False, True]


@pytest.mark.parametrize("field_name", ["HubSpot Deal ID", "  hubspot deal id "])
async def test_find_by_deal_id_not_by_name(emu: AsanaEmulator, make: Callable, field_name: str) -> None:
    """The join is the deal field (name matched in any case, value stripped), never the project name."""
    connector = make(deal_field=field_name)
    found = await connector.find_project(f" {GLOBEX} ")
    assert found is not None and found.project_name == "Globex CDP implementation"
    assert found.project_name != BOOK_BY_DEAL[GLOBEX].deal_name
    emu.set_deal_field(found.project_gid, "  18340012099 ")
    await connector.refresh_index()
    moved = await connector.find_project("18340012099")
    assert moved is not None and moved.project_gid == found.project_gid


async def test_miss_refreshes_at_most_once_per_interval(emu: AsanaEmulator, make: Callable) -> None:
    """An unknown deal ID refreshes the index; more misses within 60 s do not."""
    clock = Clock()
    connector = make(clock=clock)
    assert await connector.find_project(ACME) is not None and scans(emu) == 1
    clock.now = 100
    assert await connector.find_project("999") is None and scans(emu) == 2
    gid = emu.add_project("Brand new delivery", deal_id="18340019999")
    clock.now = 110
    assert await connector.find_project("18340019999") is None and scans(emu) == 2
    clock.now = 170
    found = await connector.find_project("18340019999")
    assert found is not None and found.project_gid == gid and scans(emu) == 3


async def test_stale_index_answers_now_and_refreshes_in_background(emu: AsanaEmulator, make: Callable) -> None:
    """A stale index answers from the store at once, while a scan runs behind that later lookups join."""
    connector = make(index_max_age=0.0, clock=Clock())
    await connector.refresh_index()
    acme_gid = emu.project_gid(ACME)
    emu.set_deal_field(acme_gid, "18340012999")
    emu.faults.latency = 0.3  # keeps the background scan in flight while the test looks
    stale = await connector.find_project(ACME)
    assert stale is not None and stale.project_gid == acme_gid  # answered from the old index
    found = await connector.find_project("18340012999")  # a miss joins the scan in flight
    assert found is not None and found.project_gid == acme_gid and scans(emu) == 2


async def test_concurrent_refreshes_coalesce(emu: AsanaEmulator, make: Callable) -> None:
    """Five refreshes at once make one scan."""
    connector = make()
    assert await asyncio.gather(*(connector.refresh_index() for _ in range(5))) == [13] * 5
    assert scans(emu) == 1


@pytest.mark.parametrize(
    "deal_id, phase, progress, next_name, overdue",
    [
        (ACME, "Build", (2, 5), "Beta release to 20 drivers", 0),
        (GLOBEX, "Build", (1, 4), "UAT environment handover", 3),
        (SOYLENT, STD_SECTIONS[-1], (1, 2), "Handover documentation", 0),
    ],
)
async def test_phase_and_next_deliverable(
    make: Callable, deal_id: str, phase: str, progress: tuple[int, int], next_name: str, overdue: int
) -> None:
    """Phase is the first section with open tasks; the next deliverable is the first-due milestone."""
    project = BOOK_BY_DEAL[deal_id].project
    assert project is not None
    delivery = await make().delivery(deal_id, today=TODAY)
    assert delivery is not None and delivery.project_name == project.name and not delivery.completed
    assert delivery.phase is not None and delivery.phase.name == phase
    assert (delivery.phase.done, delivery.phase.total) == progress
    assert delivery.phase.project_total == len(project.tasks)
    assert delivery.phase.project_done == sum(t.completed for t in project.tasks)
    nxt = delivery.next_deliverable
    assert nxt is not None and nxt.name == next_name and nxt.is_milestone and nxt.days_overdue(TODAY) == overdue
    assert delivery.url == f"https://app.asana.com/0/{delivery.project_id}/list"


async def test_completed_project_and_no_project(make: Callable) -> None:
    """Hooli is done (no phase, completed); Vandelay has no project at all."""
    connector = make()
    hooli = await connector.delivery(HOOLI, today=TODAY)
    assert hooli is not None and hooli.completed and hooli.phase is None and hooli.next_deliverable is None
    assert hooli.pm is not None and hooli.pm.name == "Tom Becker" and hooli.pm.email == "tom.becker@brightline.example"
    assert await connector.delivery(VANDELAY, today=TODAY) is None


async def test_every_task_page_is_read(emu: AsanaEmulator, make: Callable) -> None:
    """Cyberdyne's 139 tasks come in two pages, and all are counted."""
    delivery = await make().delivery(CYBERDYNE, today=TODAY)
    assert delivery is not None and delivery.phase is not None
    assert (delivery.phase.project_done, delivery.phase.project_total) == (126, 139)
    assert (delivery.phase.name, delivery.phase.done, delivery.phase.total) == ("Sprint", 6, 19)
    task_calls = [c for c in emu.calls if c.path.endswith("/tasks")]
    assert len(task_calls) == 2 and "offset" in task_calls[1].query
    assert all(c.query["opt_fields"] == TASK_FIELDS for c in task_calls)


async def test_milestones_first_then_earliest_undated_last(emu: AsanaEmulator, make: Callable) -> None:
    """A milestone beats an earlier (even overdue) task; undated tasks come after dated ones."""
    gid = emu.add_project(
        "Ordering",
        deal_id="18340017777",
        tasks=(
            Task("Overdue task", "Build", due=-10),
            Task("Later milestone", "Build", due=20, milestone=True),
            Task("Sooner milestone", "Build", due=15, milestone=True),
            Task("Undated milestone", "Build", milestone=True),
            Task("Undated task", "Build"),
        ),
    )
    connector = make()
    expected = ["Sooner milestone", "Later milestone", "Overdue task", "Undated milestone", "Undated task"]
    for name in expected:
        delivery = await connector.delivery("18340017777", today=TODAY)
        assert delivery is not None and delivery.next_deliverable is not None
        assert delivery.next_deliverable.name == name
        emu.complete_task(emu.task_gid(gid, name))
    done = await connector.delivery("18340017777", today=TODAY)
    assert done is not None and done.completed and done.next_deliverable is None


async def test_story_changes_within_30_days_newest_first(emu: AsanaEmulator, make: Callable) -> None:
    """Due-date moves and reassignments from stories show for 30 days, with who and when."""
    acme = emu.project_gid(ACME)
    beta = emu.task_gid(acme, "Beta release to 20 drivers")
    emu.move_due_date(beta, TODAY + timedelta(days=11), by="sam", days_ago=45)
    emu.reassign_task(beta, "raj", by="sam", days_ago=40)
    emu.reassign_task(beta, "tom", by="maya", days_ago=2)
    emu.move_due_date(beta, TODAY + timedelta(days=14), by="tom", days_ago=1)
    delivery = await make().delivery(ACME, today=TODAY)
    assert delivery is not None
    assert [(c.kind, c.old, c.new, c.by) for c in delivery.changes] == [
        ("due_date_moved", "2026-12-06", "2026-12-09", "Tom Becker"),
        ("reassigned", "Raj Patel", "Tom Becker", "Maya Chen"),
    ]
    assert delivery.changes[0].at == datetime.combine(TODAY - timedelta(days=1), time(15), UTC)
    globex = await make().delivery(GLOBEX, today=TODAY)
    assert globex is not None
    assert [(c.subject, c.old, c.new) for c in globex.changes] == [
        ("UAT environment handover", "2026-11-18", "2026-11-22"),
        ("Segment builder", "2026-11-27", "2026-12-05"),
        ("UAT environment handover", "2026-11-15", "2026-11-18"),
    ]
    initech = await make().delivery(INITECH, today=TODAY)
    assert initech is not None and sorted((c.subject, c.kind, c.new, c.by) for c in initech.changes) == [
        ("Integration spec", "reassigned", "Lena Fischer", "Tom Becker"),
        ("Prototype review", "reassigned", "Lena Fischer", "Tom Becker"),
    ]


async def test_stories_read_only_for_tasks_that_can_have_recent_ones(emu: AsanaEmulator, make: Callable) -> None:
    """Stories are fetched for open milestones and recently modified tasks, and cached by modified_at."""
    connector = make(max_workers=3)
    emu.faults.latency = 0.02
    gid = emu.project_gid(CYBERDYNE)
    since = datetime.combine(TODAY - timedelta(days=30), time(0), UTC)
    expected = {
        t.gid
        for t in emu.tasks.values()
        if t.project == gid and (t.modified_at >= since or (t.milestone and not t.completed))
    }
    assert 0 < len(expected) < 20
    await connector.delivery(CYBERDYNE, today=TODAY)
    fetched = {c.path.split("/")[-2] for c in emu.calls if c.path.endswith("/stories")}
    assert fetched == expected and emu.max_inflight <= 3
    assert all(c.query["opt_fields"] == STORY_FIELDS for c in emu.calls if c.path.endswith("/stories"))
    emu.reset_calls()
    emu.move_due_date(emu.task_gid(gid, "Quarterly business review"), TODAY + timedelta(days=20))
    again = await connector.delivery(CYBERDYNE, today=TODAY)
    assert emu.count("/stories") == 1 and again is not None and again.changes[0].new == "2026-12-15"


async def test_pm_change_is_detected_and_kept(emu: AsanaEmulator, make: Callable) -> None:
    """A new project owner shows as a PM change (kept in the store for 30 days, across connectors)."""
    now = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    first = await make(utcnow=lambda: now).delivery(ACME, today=TODAY)
    assert first is not None and first.pm is not None and first.pm.name == "Sam Okafor"
    assert not [c for c in first.changes if c.kind == "pm_changed"]
    emu.set_owner(emu.project_gid(ACME), "tom")
    changed = await make(utcnow=lambda: now).delivery(ACME, today=TODAY)
    assert changed is not None and changed.pm is not None and changed.pm.name == "Tom Becker"
    pm = [c for c in changed.changes if c.kind == "pm_changed"]
    assert [(c.old, c.new, c.at) for c in pm] == [("Sam Okafor", "Tom Becker", now)]
    later = await make(utcnow=lambda: now + timedelta(days=10)).delivery(ACME, today=TODAY)
    assert later is not None and [c.new for c in later.changes if c.kind == "pm_changed"] == ["Tom Becker"]
    gone = await make(utcnow=lambda: now + timedelta(days=31)).delivery(ACME, today=TODAY)
    assert gone is not None and not [c for c in gone.changes if c.kind == "pm_changed"]


async def test_deal_field_moved_to_another_project(emu: AsanaEmulator, make: Callable) -> None:
    """When the indexed project no longer carries the deal ID, the index is refreshed and the new one used."""
    clock = Clock()
    connector = make(clock=clock)
    old = await connector.delivery(ACME, today=TODAY)
    assert old is not None
    emu.set_deal_field(old.project_id, None)
    new_gid = emu.add_project("Acme fleet portal – phase 2", deal_id=ACME, owner="ava")
    clock.now = 100
    moved = await connector.delivery(ACME, today=TODAY)
    assert moved is not None and moved.project_id == new_gid and moved.pm is not None
    assert moved.pm.name == "Ava Moreno"


async def test_opt_fields_go_out_as_comma_strings(emu: AsanaEmulator, make: Callable) -> None:
    """Every request names its fields as one comma-separated string; a list's repr is refused."""
    await make().delivery(GLOBEX, today=TODAY)
    sent = {c.query.get("opt_fields") for c in emu.calls}
    assert sent == {INDEX_FIELDS, PROJECT_FIELDS, SECTION_FIELDS, TASK_FIELDS, STORY_FIELDS}
    config = asana.Configuration()
    config.host, config.access_token = emu.env()["ASANA_BASE_URL"], emu.env()["ASANA_ACCESS_TOKEN"]
    projects = asana.ProjectsApi(asana.ApiClient(config))
    with pytest.raises(asana.rest.ApiException) as refused:
        await asyncio.to_thread(projects.get_project, emu.project_gid(GLOBEX), {"opt_fields": ["name", "owner"]})
    assert refused.value.status == 400 and "Unknown field" in json.loads(refused.value.body)["errors"][0]["message"]


def _inject(**fault: Any) -> Callable[[AsanaEmulator], None]:
    return lambda emu: emu.inject(path_contains="/projects/", count=9, **fault)


@pytest.mark.parametrize(
    "fault, expected",
    [
        (_inject(status=401), AuthError),
        (_inject(status=429, retry_after=1), RateLimitedError),
        (_inject(status=503), UnavailableError),
        (lambda emu: setattr(emu.faults, "refuse", True), UnavailableError),
    ],
    ids=["401", "429", "503", "refused"],
)
async def test_errors_are_sorted_then_recover(
    emu: AsanaEmulator, make: Callable, fault: Callable[[AsanaEmulator], None], expected: type[Exception]
) -> None:
    """SDK and transport errors map onto the connector hierarchy; once the fault clears, the card comes back."""
    connector = make(policy=Policy(timeout=5.0, retries=0, backoff=0.01))
    await connector.refresh_index()
    fault(emu)
    with pytest.raises(expected) as caught:
        await connector.delivery(ACME, today=TODAY)
    if expected is RateLimitedError:
        assert caught.value.retry_after == 1.0
    emu.faults = Faults()
    assert await connector.delivery(ACME, today=TODAY) is not None


async def test_bad_token_is_an_auth_error_without_retries(emu: AsanaEmulator, make: Callable) -> None:
    """A refused token raises AuthError at once."""
    with pytest.raises(AuthError):
        await make(token="wrong").find_project(ACME)
    assert [c.status for c in emu.calls] == [401]


async def test_rate_limited_request_is_retried_after_retry_after(emu: AsanaEmulator, make: Callable) -> None:
    """A 429 with Retry-After is waited out and retried; the card still arrives."""
    connector = make()
    emu.inject(429, retry_after=1, path_contains="/sections")
    delivery = await connector.delivery(SOYLENT, today=TODAY)
    assert delivery is not None and delivery.phase is not None
    assert [c.status for c in emu.calls if c.path.endswith("/sections")] == [429, 200]
    assert connector.runner.retries == 1


async def test_events_first_412_then_changes(emu: AsanaEmulator, make: Callable) -> None:
    """The first events call gets a sync token from a 412; later calls return what changed since."""
    gid = emu.project_gid(GLOBEX)
    first = await make().events(gid)
    assert first.resynced and first.items == ()
    emu.move_due_date(emu.task_gid(gid, "Segment builder"), TODAY + timedelta(days=12))
    later = await make().events(gid)  # a new connector: the token is in the store
    assert not later.resynced and [e["resource"]["name"] for e in later.items] == ["Segment builder"]
    assert [c.status for c in emu.calls if c.path.endswith("/events")] == [412, 200]


def test_from_settings_requires_token_and_workspace() -> None:
    """asana_from takes the Asana settings and refuses to start without credentials."""
    with pytest.raises(ConfigError):
        asana_from(Settings(), store=None)  # type: ignore[arg-type]
    connector = asana_from(
        Settings(asana_access_token="t", asana_workspace_gid="1", asana_deal_field="Deal"), store=None
    )  # type: ignore[arg-type]
    assert connector.deal_field == "Deal" and connector.workspace_gid == "1"
    connector.close()


async def test_emulator_refuses_what_asana_refuses(emu: AsanaEmulator) -> None:
    """Auth, limit, offset, opt_fields, unknown gids, premium search, compact records and rate limits."""
    base, token = emu.env()["ASANA_BASE_URL"], emu.env()["ASANA_ACCESS_TOKEN"]
    auth = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http:

        async def get(path: str, headers: dict | None = None, **params: str) -> tuple[int, dict, Any]:
            async with http.get(base + path, params=params, headers=auth if headers is None else headers) as r:
                return r.status, dict(r.headers), await r.json()

        status, _, body = await get("/users/me", headers={})
        assert status == 401 and body["errors"][0]["message"] == "Not Authorized"
        for bad in ("0", "101", "ten"):
            assert (await get(PROJECTS_PATH, limit=bad))[0] == 400
        assert (await get(PROJECTS_PATH, limit="5", offset="not-a-token"))[0] == 400
        assert (await get(PROJECTS_PATH, limit="5", opt_fields="['name', 'owner']"))[0] == 400
        status, _, body = await get("/projects/123")
        assert status == 404 and body["errors"][0]["message"] == "project: Unknown object: 123"
        assert (await get("/workspaces/1201994857362001/tasks/search", text="x"))[0] == 402
        status, _, body = await get(PROJECTS_PATH, limit="100")
        assert body["next_page"] is None and all(set(p) == {"gid", "name", "resource_type"} for p in body["data"])
        assert (
            len(body["data"]) == 16
            and sum(
                p["archived"] for p in (await get(PROJECTS_PATH, archived="true", opt_fields="archived"))[2]["data"]
            )
            == 1
        )
        tasks = (await get(f"/projects/{emu.project_gid(ACME)}/tasks", limit="2"))[2]
        assert set(tasks["data"][0]) == {"gid", "name", "resource_type", "resource_subtype"}
        assert tasks["next_page"]["offset"] and tasks["next_page"]["uri"].startswith(base)
        emu.max_concurrent_reads, emu.faults.latency = 2, 0.2
        assert 429 in [r[0] for r in await asyncio.gather(*(get("/users/me") for _ in range(4)))]
        emu.max_concurrent_reads, emu.faults.latency, emu.rate_limit = 50, 0.0, 1
        await get("/users/me")
        status, headers, body = await get("/users/me")
        assert status == 429 and int(headers["Retry-After"]) >= 1 and body["errors"][0]["message"]
