"""The HubSpot emulator's properties API and record writes refuse what HubSpot refuses (HTTP, no SDK)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from sandbox.book import DEMO_ACCOUNTS
from sandbox.hubspot import HubSpotEmulator
from tests.conftest import TODAY

ACME, TYRELL, MASSIVE = "18340012001", "18340012013", "18340012015"
DEALS = "/crm/v3/objects/deals"
PROPS = "/crm/v3/properties/deals"
GROUP = {"name": "accountbot", "label": "Delivery & billing (accountbot)"}
HEALTH = {
    "name": "accountbot_health",
    "label": "Health",
    "type": "enumeration",
    "fieldType": "select",
    "groupName": "accountbot",
    "description": "The account's health colour",
    "options": [
        {"label": "Green", "value": "green"},
        {"label": "Yellow", "value": "yellow"},
        {"label": "Red", "value": "red"},
    ],
}
# The write-back properties of DESIGN.md: name -> (type, fieldType)
WRITE_BACK = {
    "accountbot_health_reason": ("string", "text"),
    "accountbot_phase": ("string", "text"),
    "accountbot_progress": ("number", "number"),
    "accountbot_next_deliverable": ("string", "text"),
    "accountbot_next_deliverable_due": ("date", "date"),
    "accountbot_pm": ("string", "text"),
    "accountbot_open_escalations": ("number", "number"),
    "accountbot_invoiced": ("number", "number"),
    "accountbot_paid": ("number", "number"),
    "accountbot_outstanding": ("number", "number"),
    "accountbot_overdue": ("number", "number"),
    "accountbot_last_client_communication": ("datetime", "date"),
    "accountbot_project_url": ("string", "text"),
    "accountbot_synced_at": ("datetime", "date"),
}


async def call(hub: HubSpotEmulator, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One authenticated request: (status, JSON body or None)."""
    headers = {"Authorization": f"Bearer {hub.access_token}"}
    async with aiohttp.ClientSession() as session:
        async with session.request(method, hub.base_url + path, json=body, headers=headers) as response:
            text = await response.text()
            return response.status, json.loads(text) if text else None


def definition(name: str) -> dict:
    """The create body of a write-back property."""
    kind, field_type = WRITE_BACK[name]
    return {
        "name": name,
        "label": name.removeprefix("accountbot_").replace("_", " ").title(),
        "type": kind,
        "fieldType": field_type,
        "groupName": "accountbot",
    }


@pytest.fixture
async def setup_hub(serve: Callable) -> HubSpotEmulator:
    """The emulator after `accountbot setup hubspot` would have run: the group and every write-back property."""
    hub = await serve(HubSpotEmulator(DEMO_ACCOUNTS, today=TODAY))
    assert (await call(hub, "POST", PROPS + "/groups", GROUP))[0] == 201
    inputs = [HEALTH] + [definition(n) for n in WRITE_BACK]
    status, body = await call(hub, "POST", PROPS + "/batch/create", {"inputs": inputs})
    assert status == 201 and len(body["results"]) == len(inputs)
    return hub


def validation(body: dict) -> list[tuple[str, str]]:
    """(property, error code) pairs of a 400 VALIDATION_ERROR for property values, in HubSpot's shape."""
    assert body["category"] == "VALIDATION_ERROR" and body["status"] == "error" and body["correlationId"]
    assert body["message"].startswith("Property values were not valid: [")
    inner = json.loads(body["message"].removeprefix("Property values were not valid: "))
    assert all(i["isValid"] is False and i["message"] for i in inner)
    assert [(e["context"]["propertyName"][0], e["code"]) for e in body["errors"]] == [
        (i["name"], i["error"]) for i in inner
    ]
    return [(i["name"], i["error"]) for i in inner]


# -- properties API -------------------------------------------------------------------------


async def test_built_in_deal_properties_carry_real_types_and_read_only_flags(hub: HubSpotEmulator) -> None:
    status, body = await call(hub, "GET", PROPS)
    assert status == 200
    props = {p["name"]: p for p in body["results"]}
    for name in ("hs_object_id", "createdate", "hs_lastmodifieddate", "hs_v2_date_entered_75001005"):
        assert props[name]["modificationMetadata"]["readOnlyValue"] is True, name
    assert props["dealname"]["modificationMetadata"]["readOnlyValue"] is False
    assert (props["amount"]["type"], props["amount"]["fieldType"]) == ("number", "number")
    assert (props["closedate"]["type"], props["closedate"]["fieldType"]) == ("datetime", "date")
    assert (props["dealstage"]["type"], props["hubspot_owner_id"]["referencedObjectType"]) == ("enumeration", "OWNER")
    assert {"closedwon", "75001005"} <= {o["value"] for o in props["dealstage"]["options"]}
    status, one = await call(hub, "GET", PROPS + "/dealname")
    assert status == 200 and one == props["dealname"]
    status, missing = await call(hub, "GET", PROPS + "/accountbot_health")
    assert (status, missing["category"]) == (404, "OBJECT_NOT_FOUND")


async def test_groups_are_created_once(hub: HubSpotEmulator) -> None:
    assert (await call(hub, "GET", PROPS + "/groups/accountbot"))[0] == 404
    status, group = await call(hub, "POST", PROPS + "/groups", GROUP)
    assert status == 201 and group["label"] == GROUP["label"]
    status, again = await call(hub, "POST", PROPS + "/groups", GROUP)
    assert (status, again["category"]) == (409, "OBJECT_ALREADY_EXISTS")
    _, groups = await call(hub, "GET", PROPS + "/groups")
    assert {"dealinformation", "accountbot"} <= {g["name"] for g in groups["results"]}
    assert (await call(hub, "GET", PROPS + "/groups/accountbot"))[1]["name"] == "accountbot"


async def test_a_property_needs_its_group_first(hub: HubSpotEmulator) -> None:
    status, body = await call(hub, "POST", PROPS, HEALTH)
    assert (status, body["category"]) == (400, "VALIDATION_ERROR")
    assert (await call(hub, "GET", PROPS + "/accountbot_health"))[0] == 404


async def test_create_returns_the_definition_and_a_taken_name_is_409(hub: HubSpotEmulator) -> None:
    await call(hub, "POST", PROPS + "/groups", GROUP)
    status, created = await call(hub, "POST", PROPS, HEALTH)
    assert status == 201
    assert (created["name"], created["type"], created["fieldType"], created["groupName"]) == (
        "accountbot_health",
        "enumeration",
        "select",
        "accountbot",
    )
    assert created["description"] == HEALTH["description"]
    assert [o["value"] for o in created["options"]] == ["green", "yellow", "red"]
    assert (await call(hub, "GET", PROPS + "/accountbot_health"))[1]["description"] == HEALTH["description"]
    status, again = await call(hub, "POST", PROPS, HEALTH)
    assert (status, again["category"]) == (409, "OBJECT_ALREADY_EXISTS")
    status, builtin = await call(hub, "POST", PROPS, {**definition("accountbot_pm"), "name": "amount"})
    assert (status, builtin["category"]) == (409, "OBJECT_ALREADY_EXISTS")


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Accountbot_pm"},
        {"name": "1accountbot"},
        {"name": "accountbot-pm"},
        {"name": "_pm"},
        {"name": ""},
        {"label": ""},
        {"label": None},
        {"type": None},
        {"fieldType": None},
        {"groupName": None},
        {"type": "text"},
        {"fieldType": "select"},
        {"type": "number", "fieldType": "text"},
        {"type": "date", "fieldType": "text"},
        {"type": "datetime", "fieldType": "datetime"},
        {"type": "enumeration", "fieldType": "text", "options": [{"label": "A", "value": "a"}]},
        {"type": "enumeration", "fieldType": "select"},
        {"type": "enumeration", "fieldType": "select", "options": []},
        {"type": "enumeration", "fieldType": "radio", "options": [{"label": "A"}]},
        {
            "type": "enumeration",
            "fieldType": "select",
            "options": [{"label": "A", "value": "a"}, {"label": "B", "value": "a"}],
        },
        {"type": "bool", "fieldType": "select"},
        {"type": "bool", "fieldType": "booleancheckbox"},
        {"type": "string", "fieldType": "booleancheckbox"},
        {"groupName": "nosuchgroup"},
    ],
    ids=lambda c: json.dumps(c),
)
async def test_invalid_definitions_are_refused(hub: HubSpotEmulator, change: dict) -> None:
    await call(hub, "POST", PROPS + "/groups", GROUP)
    body = {**definition("accountbot_pm"), **change}
    status, answer = await call(hub, "POST", PROPS, {k: v for k, v in body.items() if v is not None})
    assert (status, answer["category"]) == (400, "VALIDATION_ERROR")
    assert (await call(hub, "GET", PROPS + "/" + str(body.get("name") or "x")))[0] == 404


async def test_valid_type_and_field_type_pairs(hub: HubSpotEmulator) -> None:
    await call(hub, "POST", PROPS + "/groups", GROUP)
    pairs = [
        ("string", "text"),
        ("string", "textarea"),
        ("number", "number"),
        ("date", "date"),
        ("datetime", "date"),
        ("enumeration", "select"),
        ("enumeration", "radio"),
        ("enumeration", "checkbox"),
        ("bool", "booleancheckbox"),
    ]
    for n, (kind, field_type) in enumerate(pairs):
        options = {
            "enumeration": [{"label": "A", "value": "a"}],
            "bool": [{"label": "Yes", "value": "true"}, {"label": "No", "value": "false"}],
        }.get(kind)
        body = {
            "name": f"p{n}",
            "label": f"P {n}",
            "type": kind,
            "fieldType": field_type,
            "groupName": "accountbot",
            **({"options": options} if options else {}),
        }
        assert (await call(hub, "POST", PROPS, body))[0] == 201, (kind, field_type)


async def test_batch_create_reports_taken_names_and_creates_the_rest(hub: HubSpotEmulator) -> None:
    await call(hub, "POST", PROPS + "/groups", GROUP)
    assert (await call(hub, "POST", PROPS, HEALTH))[0] == 201
    inputs = [HEALTH, definition("accountbot_pm"), definition("accountbot_phase")]
    status, body = await call(hub, "POST", PROPS + "/batch/create", {"inputs": inputs})
    assert status == 207 and body["numErrors"] == 1
    assert sorted(r["name"] for r in body["results"]) == ["accountbot_phase", "accountbot_pm"]
    (error,) = body["errors"]
    assert error["category"] == "OBJECT_ALREADY_EXISTS" and error["context"]["name"] == ["accountbot_health"]
    status, bad = await call(
        hub,
        "POST",
        PROPS + "/batch/create",
        {"inputs": [definition("accountbot_paid"), {**definition("accountbot_pm"), "type": "x"}]},
    )
    assert (status, bad["category"]) == (400, "VALIDATION_ERROR")
    assert (await call(hub, "GET", PROPS + "/accountbot_paid"))[0] == 404


async def test_an_admin_deleting_a_property(setup_hub: HubSpotEmulator) -> None:
    hub = setup_hub
    assert (await call(hub, "PATCH", f"{DEALS}/{ACME}", {"properties": {"accountbot_phase": "Build"}}))[0] == 200
    status, _ = await call(hub, "DELETE", PROPS + "/accountbot_phase")
    assert status == 204
    assert (await call(hub, "GET", PROPS + "/accountbot_phase"))[0] == 404
    assert (await call(hub, "DELETE", PROPS + "/accountbot_phase"))[0] == 404
    _, deal = await call(hub, "GET", f"{DEALS}/{ACME}?properties=accountbot_phase,dealname")
    assert "accountbot_phase" not in deal["properties"] and deal["properties"]["dealname"]
    status, body = await call(hub, "PATCH", f"{DEALS}/{ACME}", {"properties": {"accountbot_phase": "Launch"}})
    assert status == 400 and validation(body) == [("accountbot_phase", "PROPERTY_DOESNT_EXIST")]
    status, builtin = await call(hub, "DELETE", PROPS + "/dealname")
    assert (status, builtin["category"]) == (400, "VALIDATION_ERROR")


# -- record writes --------------------------------------------------------------------------


async def test_write_back_values_come_back_as_hubspot_stores_them(setup_hub: HubSpotEmulator) -> None:
    hub = setup_hub
    hub.crm.clock = lambda: 1_796_300_000.123
    values = {
        "accountbot_health": "yellow",
        "accountbot_health_reason": "Milestone slipped 3 days",
        "accountbot_progress": 58.3,
        "accountbot_invoiced": "74000.00",
        "accountbot_paid": 44400,
        "accountbot_next_deliverable_due": "2026-12-04",
        "accountbot_open_escalations": 0,
        "accountbot_last_client_communication": "2026-11-22T15:00:00Z",
        "accountbot_synced_at": 1_796_300_000_123,
        "accountbot_pm": "Sam Okafor",
    }
    status, body = await call(hub, "PATCH", f"{DEALS}/{ACME}", {"properties": values})
    assert status == 200 and body["id"] == ACME
    names = ",".join([*values, "hs_lastmodifieddate"])
    _, deal = await call(hub, "GET", f"{DEALS}/{ACME}?properties={names}")
    props = deal["properties"]
    assert (props["accountbot_progress"], props["accountbot_paid"], props["accountbot_open_escalations"]) == (
        "58.3",
        "44400",
        "0",
    )
    assert props["accountbot_invoiced"] == "74000.00"
    assert props["accountbot_next_deliverable_due"] == "2026-12-04"
    assert props["accountbot_last_client_communication"] == "2026-11-22T15:00:00.000Z"
    assert props["accountbot_synced_at"] == "2026-12-03T12:13:20.123Z"
    assert props["hs_lastmodifieddate"] == "2026-12-03T12:13:20.123Z"
    assert deal["updatedAt"] == "2026-12-03T12:13:20.123Z"
    midnight = 1_796_256_000_000  # 2026-12-03T00:00:00Z
    assert (await call(hub, "PATCH", f"{DEALS}/{ACME}", {"properties": {"accountbot_next_deliverable_due": midnight}}))[
        0
    ] == 200
    _, after = await call(hub, "GET", f"{DEALS}/{ACME}?properties=accountbot_next_deliverable_due")
    assert after["properties"]["accountbot_next_deliverable_due"] == "2026-12-03"
    assert (await call(hub, "PATCH", f"{DEALS}/{ACME}", {"properties": {"accountbot_pm": ""}}))[0] == 200
    _, cleared = await call(hub, "GET", f"{DEALS}/{ACME}?properties=accountbot_pm")
    assert cleared["properties"]["accountbot_pm"] is None


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"accountbot_colour": "red"}, ("accountbot_colour", "PROPERTY_DOESNT_EXIST")),
        ({"hs_object_id": "1"}, ("hs_object_id", "READ_ONLY_VALUE")),
        ({"createdate": "2026-01-01"}, ("createdate", "READ_ONLY_VALUE")),
        ({"hs_lastmodifieddate": "2026-01-01T00:00:00Z"}, ("hs_lastmodifieddate", "READ_ONLY_VALUE")),
        ({"hs_v2_date_entered_closedwon": "2026-01-01T00:00:00Z"}, ("hs_v2_date_entered_closedwon", "READ_ONLY_VALUE")),
        ({"accountbot_health": "Green"}, ("accountbot_health", "INVALID_OPTION")),
        ({"accountbot_health": "blue"}, ("accountbot_health", "INVALID_OPTION")),
        ({"accountbot_health": "green "}, ("accountbot_health", "LEADING_TRAILING_WHITESPACE")),
        ({"accountbot_next_deliverable_due": 1_796_292_000_000}, ("accountbot_next_deliverable_due", "INVALID_DATE")),
        (
            {"accountbot_next_deliverable_due": "2026-12-01T10:00:00Z"},
            ("accountbot_next_deliverable_due", "INVALID_DATE"),
        ),
        ({"accountbot_next_deliverable_due": "next Friday"}, ("accountbot_next_deliverable_due", "INVALID_DATE")),
        ({"accountbot_synced_at": "yesterday"}, ("accountbot_synced_at", "INVALID_DATE")),
        ({"accountbot_invoiced": "$74,000.00"}, ("accountbot_invoiced", "INVALID_FLOAT")),
        ({"accountbot_progress": " 58"}, ("accountbot_progress", "LEADING_TRAILING_WHITESPACE")),
        ({"hubspot_owner_id": "999"}, ("hubspot_owner_id", "INVALID_OWNER_ID")),
        ({"dealstage": "75001005"}, ("dealstage", "INVALID_OPTION")),  # a stage of another pipeline
        ({"dealstage": "CLOSEDWON"}, ("dealstage", "INVALID_OPTION")),
    ],
)
async def test_one_bad_value_fails_the_whole_write(
    setup_hub: HubSpotEmulator, values: dict, expected: tuple[str, str]
) -> None:
    hub = setup_hub
    before = dict(hub.crm.objects["deals"][ACME].properties)
    status, body = await call(hub, "PATCH", f"{DEALS}/{ACME}", {"properties": {"accountbot_phase": "Build", **values}})
    assert status == 400 and validation(body) == [expected]
    assert hub.crm.objects["deals"][ACME].properties == before
    assert hub.pending_webhook_delivery("https://bot.example/webhooks/hubspot") is None


async def test_the_midnight_error_reads_as_hubspot_writes_it(setup_hub: HubSpotEmulator) -> None:
    _, body = await call(
        setup_hub, "PATCH", f"{DEALS}/{ACME}", {"properties": {"accountbot_next_deliverable_due": 1_521_225_089_103}}
    )
    (problem,) = json.loads(body["message"].removeprefix("Property values were not valid: "))
    assert problem["message"] == "1521225089103 is at 18:31:29.103 UTC, not midnight!"


async def test_every_problem_is_reported_at_once(setup_hub: HubSpotEmulator) -> None:
    _, body = await call(
        setup_hub,
        "PATCH",
        f"{DEALS}/{ACME}",
        {"properties": {"nope": "1", "accountbot_health": "x", "hs_object_id": "2"}},
    )
    assert validation(body) == [
        ("nope", "PROPERTY_DOESNT_EXIST"),
        ("accountbot_health", "INVALID_OPTION"),
        ("hs_object_id", "READ_ONLY_VALUE"),
    ]


async def test_a_move_across_pipelines_names_both(setup_hub: HubSpotEmulator) -> None:
    hub = setup_hub
    status, _ = await call(
        hub, "PATCH", f"{DEALS}/{TYRELL}", {"properties": {"pipeline": "75001001", "dealstage": "75001003"}}
    )
    assert status == 200
    deal = hub.crm.objects["deals"][TYRELL].properties
    assert (deal["pipeline"], deal["dealstage"]) == ("75001001", "75001003")
    assert deal["hs_v2_date_entered_75001003"] and deal["hs_v2_date_exited_contractsent"]


async def test_a_deal_created_in_a_stage_has_entered_it(hub: HubSpotEmulator) -> None:
    hub.crm.clock = lambda: 1_796_300_000.0
    deal = {"dealname": "New one", "pipeline": "75001001", "dealstage": "75001002", "amount": "100"}
    status, body = await call(hub, "POST", DEALS, {"properties": deal})
    assert status == 201
    stored = hub.crm.objects["deals"][body["id"]].properties
    assert stored["hs_v2_date_entered_75001002"] == "2026-12-03T12:13:20.000Z"
    status, refused = await call(hub, "POST", DEALS, {"properties": {**deal, "dealstage": "closedwon"}})
    assert status == 400 and validation(refused) == [("dealstage", "INVALID_OPTION")]


async def test_patch_of_an_unknown_deal_is_404(setup_hub: HubSpotEmulator) -> None:
    status, body = await call(setup_hub, "PATCH", f"{DEALS}/42", {"properties": {"accountbot_phase": "Build"}})
    assert (status, body["category"]) == (404, "OBJECT_NOT_FOUND")


async def test_batch_update(setup_hub: HubSpotEmulator) -> None:
    hub = setup_hub
    inputs = [
        {"id": ACME, "properties": {"accountbot_phase": "Build"}},
        {"id": "42", "properties": {"accountbot_phase": "Design"}},
        {"id": TYRELL, "properties": {"accountbot_health": "green"}},
    ]
    status, body = await call(hub, "POST", DEALS + "/batch/update", {"inputs": inputs})
    assert status == 207 and body["status"] == "COMPLETE"
    assert sorted(r["id"] for r in body["results"]) == [ACME, TYRELL]
    assert body["errors"][0]["category"] == "OBJECT_NOT_FOUND" and body["errors"][0]["context"]["ids"] == ["42"]
    assert hub.crm.objects["deals"][ACME].properties["accountbot_phase"] == "Build"
    assert hub.crm.objects["deals"][TYRELL].properties["accountbot_health"] == "green"
    status, ok = await call(hub, "POST", DEALS + "/batch/update", {"inputs": [inputs[0]]})
    assert status == 200 and "errors" not in ok


@pytest.mark.parametrize(
    "inputs",
    [
        [{"id": str(n), "properties": {"accountbot_phase": "Build"}} for n in range(101)],
        [{"id": ACME, "properties": {"accountbot_phase": "Build"}}, {"id": ACME, "properties": {"accountbot_pm": "A"}}],
        [
            {"id": TYRELL, "properties": {"accountbot_phase": "Build"}},
            {"id": ACME, "properties": {"accountbot_health": "x"}},
        ],
        [{"id": ACME}],
    ],
    ids=["over-100", "duplicate-ids", "one-bad-value", "no-properties"],
)
async def test_a_refused_batch_update_writes_nothing(setup_hub: HubSpotEmulator, inputs: list) -> None:
    hub = setup_hub
    before = {i: dict(o.properties) for i, o in hub.crm.objects["deals"].items()}
    status, body = await call(hub, "POST", DEALS + "/batch/update", {"inputs": inputs})
    assert (status, body["category"]) == (400, "VALIDATION_ERROR")
    assert {i: o.properties for i, o in hub.crm.objects["deals"].items()} == before


async def test_writes_count_against_the_ten_second_window(serve: Callable) -> None:
    hub = await serve(HubSpotEmulator(DEMO_ACCOUNTS, today=TODAY, general_limit=2))
    statuses = [
        (await call(hub, "PATCH", f"{DEALS}/{ACME}", {"properties": {"description": str(n)}}))[0] for n in range(2)
    ]
    status, body = await call(
        hub, "POST", DEALS + "/batch/update", {"inputs": [{"id": ACME, "properties": {"description": "x"}}]}
    )
    assert statuses == [200, 200] and (status, body["policyName"]) == (429, "TEN_SECONDLY_ROLLING")


# -- engagements ----------------------------------------------------------------------------


def _engagement(**props: str) -> dict:
    return {
        "properties": {"hs_timestamp": "2026-11-25T10:00:00.000Z", **props},
        "associations": [
            {"to": {"id": ACME}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 206}]}
        ],
    }


@pytest.mark.parametrize(
    ("path", "props", "expected"),
    [
        ("calls", {"hs_call_title": "x", "hs_call_status": "DONE"}, ("hs_call_status", "INVALID_OPTION")),
        ("calls", {"hs_call_title": "x", "hs_call_status": "completed"}, ("hs_call_status", "INVALID_OPTION")),
        ("calls", {"hs_call_title": "x", "hs_call_direction": "OUTGOING"}, ("hs_call_direction", "INVALID_OPTION")),
        ("calls", {"hs_call_title": "x", "hs_call_mood": "good"}, ("hs_call_mood", "PROPERTY_DOESNT_EXIST")),
        (
            "emails",
            {"hs_email_subject": "x", "hs_email_direction": "OUTGOING"},
            ("hs_email_direction", "INVALID_OPTION"),
        ),
        ("emails", {"hs_email_subject": "x", "hs_email_status": "DELIVERED"}, ("hs_email_status", "INVALID_OPTION")),
        ("meetings", {"hs_meeting_title": "x", "hs_meeting_outcome": "DONE"}, ("hs_meeting_outcome", "INVALID_OPTION")),
        ("notes", {"hs_note_body": "x", "hs_createdate": "2026-01-01T00:00:00Z"}, ("hs_createdate", "READ_ONLY_VALUE")),
    ],
)
async def test_engagement_create_refuses_unknown_properties_and_options(
    hub: HubSpotEmulator, path: str, props: dict, expected: tuple
) -> None:
    body = _engagement(**props)
    body["associations"][0]["types"][0]["associationTypeId"] = {
        "calls": 206,
        "emails": 210,
        "meetings": 212,
        "notes": 214,
    }[path]
    status, answer = await call(hub, "POST", f"/crm/v3/objects/{path}", body)
    assert status == 400 and validation(answer) == [expected]
    assert hub.created == []


async def test_engagements_as_the_bot_sends_them_are_created(hub: HubSpotEmulator) -> None:
    status, body = await call(
        hub,
        "POST",
        "/crm/v3/objects/calls",
        _engagement(
            hs_call_title="Kickoff",
            hs_call_body="<p>Kickoff</p>",
            hs_call_status="COMPLETED",
            hubspot_owner_id="51110001",
        ),
    )
    assert status == 201 and body["properties"]["hs_call_status"] == "COMPLETED"
    assert body["properties"]["hs_timestamp"] == "2026-11-25T10:00:00.000Z"
    assert hub.created[0]["properties"]["hubspot_owner_id"] == "51110001"
