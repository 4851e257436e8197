"""The HubSpot emulator's token carries scopes; a call without one is 403 MISSING_SCOPES, as HubSpot answers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.errors import AuthError
from sandbox.book import DEMO_ACCOUNTS
from sandbox.core import CONTROL_PREFIX
from sandbox.hubspot import DEFAULT_SCOPES, HubSpotEmulator
from sandbox.hubspot.scopes import SCOPE_TABLE, required_scopes
from tests.conftest import TODAY
from tests.test_hubspot_emulator_writes import ACME, call

NOTE = {
    "properties": {"hs_timestamp": "2026-11-25T10:00:00Z", "hs_note_body": "hi"},
    "associations": [
        {"to": {"id": ACME}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 214}]}
    ],
}


def denied(status: int, body: dict) -> list[list[str]]:
    """The scope alternatives a 403 names, checking HubSpot's body shape."""
    assert (status, body["status"], body["category"]) == (403, "error", "MISSING_SCOPES")
    assert body["message"].startswith("This app hasn't been granted all required scopes to make this call.")
    assert body["correlationId"] and body["links"]["scopes"]
    assert all(e["message"] == "One or more of the following scopes are required." for e in body["errors"])
    return [e["context"]["requiredGranularScopes"] for e in body["errors"]]


def test_the_table_covers_every_endpoint(hub: HubSpotEmulator) -> None:
    """Each API route the emulator serves has a scope rule (a test can read what each needs)."""
    routes = {
        (r.method, r.resource.canonical)
        for r in hub.build_app().router.routes()
        if r.method != "HEAD" and not r.resource.canonical.startswith(CONTROL_PREFIX)
    }
    assert routes == set(SCOPE_TABLE)


@pytest.mark.parametrize(
    ("method", "route", "params", "expected"),
    [
        ("PATCH", "/crm/v3/objects/{type}/{id}", {"type": "deals", "id": "1"}, [{"crm.objects.deals.write"}]),
        ("POST", "/crm/v3/objects/{type}/search", {"type": "tickets"}, [{"tickets"}]),
        ("POST", "/crm/v3/objects/{type}", {"type": "notes"}, [{"crm.objects.contacts.write"}]),
        (
            "POST",
            "/crm/v4/associations/{from}/{to}/batch/read",
            {"from": "deals", "to": "emails"},
            [{"crm.objects.deals.read"}, {"crm.objects.contacts.read"}, {"sales-email-read"}],
        ),
        ("GET", "/crm/v3/pipelines/{type}", {"type": "deals"}, [{"crm.objects.deals.read", "crm.schemas.deals.read"}]),
        ("POST", "/crm/v3/properties/{type}/batch/create", {"type": "deals"}, [{"crm.schemas.deals.write"}]),
        ("GET", "/crm/v3/owners/", {}, [{"crm.objects.owners.read"}]),
    ],
)
def test_required_scopes(method: str, route: str, params: dict, expected: list) -> None:
    assert [set(c) for c in required_scopes(method, route, params)] == expected


def test_the_default_token_has_what_the_bot_needs() -> None:
    assert DEFAULT_SCOPES >= {
        "crm.objects.deals.read",
        "crm.objects.deals.write",
        "crm.objects.companies.read",
        "crm.objects.contacts.read",
        "crm.objects.contacts.write",
        "tickets",
        "crm.objects.owners.read",
        "sales-email-read",
        "crm.schemas.deals.read",
        "crm.schemas.deals.write",
    }


async def test_a_write_without_the_write_scope_changes_nothing(hub: HubSpotEmulator) -> None:
    hub.revoke_scopes("crm.objects.deals.write")
    before = dict(hub.crm.objects["deals"][ACME].properties)
    status, body = await call(hub, "PATCH", f"/crm/v3/objects/deals/{ACME}", {"properties": {"description": "x"}})
    assert denied(status, body) == [["crm.objects.deals.write"]]
    status, body = await call(
        hub,
        "POST",
        "/crm/v3/objects/deals/batch/update",
        {"inputs": [{"id": ACME, "properties": {"description": "x"}}]},
    )
    assert denied(status, body) == [["crm.objects.deals.write"]]
    assert hub.crm.objects["deals"][ACME].properties == before
    assert (await call(hub, "GET", f"/crm/v3/objects/deals/{ACME}"))[0] == 200


async def test_one_missing_scope_fails_a_whole_association_read(hub: HubSpotEmulator) -> None:
    hub.revoke_scopes("sales-email-read")
    inputs = {"inputs": [{"id": ACME}, {"id": "18340012002"}]}
    status, body = await call(hub, "POST", "/crm/v4/associations/deals/emails/batch/read", inputs)
    assert denied(status, body) == [["sales-email-read"]] and "results" not in body
    meetings = await call(hub, "POST", "/crm/v4/associations/deals/meetings/batch/read", {"inputs": [{"id": ACME}]})
    assert meetings[0] == 200
    status, body = await call(hub, "POST", "/crm/v3/objects/emails/batch/read", {"inputs": [{"id": "1"}]})
    assert denied(status, body) == [["sales-email-read"]]


@pytest.mark.parametrize(
    ("scope", "method", "path", "body"),
    [
        ("crm.schemas.deals.write", "POST", "/crm/v3/properties/deals/groups", {"name": "accountbot", "label": "A"}),
        ("crm.schemas.deals.read", "GET", "/crm/v3/properties/deals", None),
        ("tickets", "POST", "/crm/v3/objects/tickets/search", {}),
        ("tickets", "GET", "/crm/v3/pipelines/tickets", None),
        ("crm.objects.owners.read", "GET", "/crm/v3/owners/", None),
        ("crm.objects.contacts.write", "POST", "/crm/v3/objects/notes", NOTE),
        ("crm.objects.companies.read", "POST", "/crm/v3/objects/companies/batch/read", {"inputs": [{"id": "1"}]}),
    ],
)
async def test_each_endpoint_requires_its_scope(
    hub: HubSpotEmulator, scope: str, method: str, path: str, body: dict | None
) -> None:
    hub.revoke_scopes(scope)
    status, answer = await call(hub, method, path, body)
    assert [scope] in denied(status, answer)
    assert hub.created == [] and "accountbot" not in hub.schema.groups["deals"]


async def test_pipelines_take_the_object_or_the_schema_read_scope(hub: HubSpotEmulator) -> None:
    hub.revoke_scopes("crm.schemas.deals.read")
    assert (await call(hub, "GET", "/crm/v3/pipelines/deals"))[0] == 200
    hub.revoke_scopes("crm.objects.deals.read")
    assert denied(*await call(hub, "GET", "/crm/v3/pipelines/deals")) == [
        ["crm.objects.deals.read", "crm.schemas.deals.read"]
    ]


async def test_scopes_are_set_at_install_and_over_the_control_interface(serve: Callable) -> None:
    hub = await serve(HubSpotEmulator(DEMO_ACCOUNTS, today=TODAY, scopes={"crm.objects.deals.read"}))
    assert (await call(hub, "GET", f"/crm/v3/objects/deals/{ACME}"))[0] == 200
    assert (await call(hub, "POST", "/crm/v3/objects/tickets/search", {}))[0] == 403
    status, body = await call(hub, "PUT", CONTROL_PREFIX + "/scopes", {"scopes": ["tickets"]})
    assert (status, body) == (200, {"scopes": ["tickets"]})
    assert (await call(hub, "POST", "/crm/v3/objects/tickets/search", {}))[0] == 200
    assert (await call(hub, "GET", f"/crm/v3/objects/deals/{ACME}"))[0] == 403
    assert (await call(hub, "GET", CONTROL_PREFIX + "/scopes"))[1] == {"scopes": ["tickets"]}


async def test_the_connector_sees_a_missing_scope_as_an_auth_error(
    hub: HubSpotEmulator, hubspot_connectors: Callable
) -> None:
    hub.revoke_scopes("sales-email-read")
    with pytest.raises(AuthError) as caught:
        await hubspot_connectors(hub).last_communication(ACME)
    assert "MISSING_SCOPES" in str(caught.value)
