"""The Asana emulator's project writes over HTTP: a custom field must be on the project before it
takes a value, addCustomFieldSetting, the refusals of PUT /projects, what a write changes (index,
modified_at, events), projects of a team the token's user is not in, and the limits writes count
against."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.store import Store
from connectors.asana import INDEX_FIELDS, AsanaConnector
from connectors.runtime import Policy
from sandbox.asana import RATE_LIMIT_FREE, AsanaEmulator
from sandbox.asana.errors import RATE_LIMITED
from sandbox.book import PEOPLE_BY_KEY
from tests.test_asana_emulator_templates import WORKSPACE, Api, Clock, api, emu, message  # noqa: F401  (fixtures)

DEAL = "18340019876"
GLOBEX = "18340012002"


@pytest.fixture
async def fresh(emu: AsanaEmulator, api: Api) -> str:
    """A project just made from the template (job succeeded): it lacks the deal field."""
    return (await api.finish(await api.instantiate()))["new_project"]["gid"]


async def put(api: Api, gid: str, data: Any, **params: str) -> tuple[int, Any]:
    return await api("PUT", f"/projects/{gid}", {"data": data}, **params)


async def add_setting(api: Api, gid: str, **data: Any) -> tuple[int, Any]:
    return await api("POST", f"/projects/{gid}/addCustomFieldSetting", {"data": data})


async def test_the_deal_field_is_written_once_it_is_on_the_project(emu: AsanaEmulator, api: Api, fresh: str) -> None:
    """400 "not on given object" until addCustomFieldSetting; then the value shows in the index at once."""
    field = emu.deal_field_gid
    status, answer = await put(api, fresh, {"custom_fields": {field: DEAL}})
    assert status == 400 and message(answer) == f"Custom field with ID {field} is not on given object"
    assert emu.projects_carrying(DEAL) == []

    status, answer = await add_setting(api, fresh, custom_field=field, is_important=True)
    setting = answer["data"]
    assert status == 200 and setting["resource_type"] == "custom_field_setting" and setting["is_important"] is True
    assert setting["custom_field"]["name"] == "HubSpot Deal ID" and setting["parent"]["gid"] == fresh
    status, answer = await add_setting(api, fresh, custom_field=field)
    assert status == 400 and message(answer) == f"Custom field with ID {field} is already on given object"

    before = emu.projects[fresh].modified_at
    _, sync = await api("GET", "/events", resource=fresh)
    status, answer = await put(api, fresh, {"custom_fields": {field: DEAL}}, opt_fields="custom_fields.text_value")
    assert status == 200 and {f["gid"]: f["text_value"] for f in answer["data"]["custom_fields"]}[field] == DEAL
    _, index = await api("GET", f"/workspaces/{WORKSPACE}/projects", limit="100", opt_fields=INDEX_FIELDS)
    mine = next(p for p in index["data"] if p["gid"] == fresh)
    assert {f["name"]: f["display_value"] for f in mine["custom_fields"]}["HubSpot Deal ID"] == DEAL
    assert emu.projects_carrying(DEAL) == [fresh]
    assert emu.projects[fresh].modified_at != before
    _, events = await api("GET", "/events", resource=fresh, sync=sync["sync"])
    assert [e["change"]["field"] for e in events["data"]] == ["custom_fields"]
    assert events["data"][0]["user"]["gid"] == PEOPLE_BY_KEY["maya"].asana_gid


@pytest.mark.parametrize(
    "data, words",
    [
        ({"custom_fields": {"1205999999999999": DEAL}}, "Custom field with ID 1205999999999999 is not on given object"),
        ({"custom_fields": {"deal": DEAL}}, "custom_fields: Not a recognized ID: deal"),
        ({"custom_fields": [DEAL]}, "custom_fields: Value is not a JSON object"),
        ({"custom_fields": {"{deal}": 18340019876}}, "Value is not a string"),
        ({"custom_fields": {"{budget}": "On budget"}}, "Not a valid enum option"),
        ({"custom_fields": {"{hours}": "120"}}, "Value is not a number"),
        ({"name": ""}, "name: Missing input"),
        ({"name": 7}, "name: Value is not a string"),
        ({"owner": "1201994857369999"}, "owner: Not a user in Organization: 1201994857369999"),
        ({"archived": "yes"}, "archived: Value is not a boolean"),
        ({"created_at": "2020-01-01T00:00:00.000Z"}, "created_at: Cannot write this property"),
        ({"custom_field_settings": []}, "custom_field_settings: Cannot write this property"),
        ({"colour": "red"}, "colour: Unrecognized request field"),
        ({"name": "Renamed", "custom_fields": {"{deal}": 5}}, "Value is not a string"),
    ],
    ids=[
        "unknown-field",
        "field-by-name",
        "fields-as-list",
        "text-given-number",
        "enum-by-name",
        "number-given-text",
        "empty-name",
        "name-not-string",
        "unknown-owner",
        "archived-not-bool",
        "read-only",
        "settings-read-only",
        "unknown-key",
        "all-or-nothing",
    ],
)
async def test_project_writes_are_refused_as_asana_refuses(
    emu: AsanaEmulator, api: Api, data: dict[str, Any], words: str
) -> None:
    """Each fault is 400 in Asana's envelope and leaves the project as it was."""
    gid = emu.project_gid(GLOBEX)
    names = {"{deal}": emu.deal_field_gid, "{budget}": emu.budget_field_gid, "{hours}": emu.hours_field_gid}
    await add_setting(api, gid, custom_field=emu.hours_field_gid)
    if "custom_fields" in data and isinstance(data["custom_fields"], dict):
        data = {**data, "custom_fields": {names.get(k, k): v for k, v in data["custom_fields"].items()}}
    project = emu.projects[gid]
    before = (project.name, dict(project.values), project.modified_at, len(emu.events))
    status, answer = await put(api, gid, data)
    assert status == 400 and words in message(answer)
    assert (project.name, project.values, project.modified_at, len(emu.events)) == before


async def test_name_notes_owner_archived_and_field_values_are_written(emu: AsanaEmulator, api: Api) -> None:
    """Each field written comes back; an enum takes an option gid; null clears a text field; "me" is the caller."""
    gid = emu.project_gid(GLOBEX)
    option = emu.budget_options[2]
    status, answer = await put(
        api,
        gid,
        {
            "name": "Globex CDP (phase 2)",
            "notes": "Scope grew",
            "owner": "me",
            "archived": False,
            "custom_fields": {emu.budget_field_gid: option["gid"]},
        },
        opt_fields="name,notes,owner,custom_fields.enum_value,custom_fields.display_value",
    )
    record = answer["data"]
    assert status == 200 and record["name"] == "Globex CDP (phase 2)" and record["notes"] == "Scope grew"
    assert record["owner"]["gid"] == PEOPLE_BY_KEY["maya"].asana_gid
    budget = next(f for f in record["custom_fields"] if f["gid"] == emu.budget_field_gid)
    assert budget["enum_value"]["gid"] == option["gid"] and budget["display_value"] == "Over budget"
    status, answer = await put(api, gid, {"custom_fields": {emu.deal_field_gid: None}, "owner": None})
    deal = next(f for f in answer["data"]["custom_fields"] if f["gid"] == emu.deal_field_gid)
    assert status == 200 and deal["text_value"] is None and answer["data"]["owner"] is None
    assert emu.projects_carrying(GLOBEX) == []


async def test_add_custom_field_setting_is_refused_as_asana_refuses(emu: AsanaEmulator, api: Api, fresh: str) -> None:
    """Missing, malformed or unknown field; both insert positions; an anchor that is not a setting here."""
    cases = [
        ({}, "custom_field: Missing input"),
        ({"custom_field": "HubSpot Deal ID"}, "custom_field: Not a recognized ID: HubSpot Deal ID"),
        ({"custom_field": 1205000000000001}, "custom_field: Not a valid GID type: number"),
        ({"custom_field": "1205999999999999"}, "custom_field: Unknown object: 1205999999999999"),
        ({"custom_field": emu.deal_field_gid, "is_important": "yes"}, "is_important: Value is not a boolean"),
        ({"custom_field": emu.deal_field_gid, "insert_before": "1", "insert_after": "2"}, "Cannot specify both"),
        (
            {"custom_field": emu.deal_field_gid, "insert_before": "1206999999999999"},
            "insert_before: Unknown object: 1206999999999999",
        ),
        ({"custom_field": emu.deal_field_gid, "position": 0}, "position: Unrecognized request field"),
    ]
    for data, words in cases:
        status, answer = await add_setting(api, fresh, **data)
        assert status == 400 and words in message(answer), data
    assert [s.field for s in emu.projects[fresh].settings] == [emu.budget_field_gid, emu.hours_field_gid]
    assert (await add_setting(api, "1205999999999999", custom_field=emu.deal_field_gid))[0] == 404


async def test_a_setting_goes_where_it_is_asked_and_is_listed(emu: AsanaEmulator, api: Api, fresh: str) -> None:
    """insert_before places the new setting; GET /projects/{gid}/custom_field_settings lists them in order."""
    first = emu.projects[fresh].settings[0].gid
    status, _ = await add_setting(api, fresh, custom_field=emu.deal_field_gid, insert_before=first)
    assert status == 200
    _, listed = await api("GET", f"/projects/{fresh}/custom_field_settings", opt_fields="custom_field.name")
    assert [s["custom_field"]["name"] for s in listed["data"]] == [
        "HubSpot Deal ID",
        "Budget status",
        "Contracted hours",
    ]
    _, compact = await api("GET", f"/projects/{fresh}/custom_field_settings", limit="1")
    assert set(compact["data"][0]) == {"gid", "resource_type"} and compact["next_page"] is not None


async def test_the_connector_index_finds_a_project_once_its_deal_field_is_written(
    emu: AsanaEmulator, api: Api, fresh: str, store: Store
) -> None:
    """The bot's own index (a scan of workspace projects with custom_fields) sees the repaired link at once."""
    env = emu.env()
    connector = AsanaConnector(
        env["ASANA_ACCESS_TOKEN"],
        env["ASANA_WORKSPACE_GID"],
        store,
        env["ASANA_BASE_URL"],
        policy=Policy(timeout=5.0, retries=0, backoff=0.01),
    )
    try:
        await connector.refresh_index()
        assert await connector.store.asana_projects_for(connector.workspace_gid, DEAL) == []
        await add_setting(api, fresh, custom_field=emu.deal_field_gid)
        await put(api, fresh, {"custom_fields": {emu.deal_field_gid: DEAL}})
        await connector.refresh_index()
        found = await connector.find_project(DEAL)
        assert found is not None and found.project_gid == fresh
    finally:
        connector.close()


async def test_projects_of_a_team_the_user_is_not_in_are_invisible(emu: AsanaEmulator, api: Api) -> None:
    """Left out of the workspace's projects; 403 by gid, for reads, writes and events alike."""
    hidden = next(p.gid for p in emu.projects.values() if p.name == "FY27 budget planning")
    _, listed = await api("GET", f"/workspaces/{WORKSPACE}/projects", limit="100")
    assert hidden not in {p["gid"] for p in listed["data"]} and len(listed["data"]) == len(emu.projects) - 1
    for method, path, body in (
        ("GET", f"/projects/{hidden}", None),
        ("GET", f"/projects/{hidden}/sections", None),
        ("GET", f"/projects/{hidden}/tasks", None),
        ("GET", "/events", None),
        ("PUT", f"/projects/{hidden}", {"data": {"name": "x"}}),
        ("POST", f"/projects/{hidden}/addCustomFieldSetting", {"data": {"custom_field": emu.deal_field_gid}}),
    ):
        params = {"resource": hidden} if path == "/events" else {}
        status, answer = await api(method, path, body, **params)
        assert status == 403 and message(answer) == "You do not have access to this project.", path
    assert emu.projects[hidden].name == "FY27 budget planning"


async def test_writes_count_against_the_per_token_limit_refusals_too(emu: AsanaEmulator, api: Api) -> None:
    """rate_limit counts reads and writes; a refused request still counts, as Asana's limiter does."""
    clock = Clock()
    emu.rate_clock, emu.rate_limit = clock, 2
    gid = emu.project_gid(GLOBEX)
    assert (await put(api, gid, {"notes": "one"}))[0] == 200
    assert (await add_setting(api, gid, custom_field=emu.hours_field_gid))[0] == 200
    status, answer = await api("GET", "/users/me")
    assert status == 429 and message(answer) == RATE_LIMITED
    clock.now = 30.0
    assert [(await api("GET", "/users/me"))[0] for _ in range(2)] == [429, 429]
    clock.now = 60.5  # the two allowed hits have left the window; the refused ones at 30 s have not
    assert (await put(api, gid, {"notes": "two"}))[0] == 429
    clock.now = 90.5
    assert (await put(api, gid, {"notes": "three"}))[0] == 200


async def test_the_free_tier_allows_150_requests_a_minute(emu: AsanaEmulator, api: Api) -> None:
    """RATE_LIMIT_FREE as the knob: the 151st request in the minute, a write, is 429 with Retry-After."""
    clock = Clock()
    emu.rate_clock, emu.rate_limit = clock, RATE_LIMIT_FREE
    gid = emu.project_gid(GLOBEX)
    statuses = [(await put(api, gid, {"notes": f"n{n}"}))[0] for n in range(RATE_LIMIT_FREE)]
    assert set(statuses) == {200}
    env = emu.env()
    async with api.http.put(
        env["ASANA_BASE_URL"] + f"/projects/{gid}",
        json={"data": {"notes": "over"}},
        headers={"Authorization": f"Bearer {env['ASANA_ACCESS_TOKEN']}"},
    ) as response:
        assert response.status == 429 and int(response.headers["Retry-After"]) == 60


async def test_writes_have_their_own_concurrency_limit(emu: AsanaEmulator, api: Api) -> None:
    """max_concurrent_writes bounds writes in flight; reads in flight do not take from it."""
    gid = emu.project_gid(GLOBEX)
    emu.max_concurrent_writes, emu.faults.latency = 1, 0.2
    results = await asyncio.gather(
        *(put(api, gid, {"notes": str(n)}) for n in range(3)), *(api("GET", "/users/me") for _ in range(3))
    )
    writes, reads = [r[0] for r in results[:3]], [r[0] for r in results[3:]]
    assert 429 in writes and 200 in writes and reads == [200, 200, 200]
