"""Deal webhooks of the HubSpot emulator: what a write or a win in the CRM queues, signed as HubSpot signs."""

from __future__ import annotations

import json
import time

import pytest

from bot.webhooks import verify_hubspot_v3
from sandbox.book import PEOPLE_BY_KEY, PORTAL_ID
from sandbox.core import CONTROL_PREFIX
from sandbox.hubspot import HubSpotEmulator
from sandbox.hubspot.webhooks import APP_ID, OTHER_APP_ID
from tests.test_hubspot_emulator_writes import ACME, MASSIVE, TYRELL, call

URL = "https://bot.example/webhooks/hubspot"
OSCORP = "18340012012"


def delivered(hub: HubSpotEmulator, url: str = URL, **kwargs: object) -> list[dict]:
    """The events of the pending delivery, after checking its v3 signature."""
    delivery = hub.pending_webhook_delivery(url, **kwargs)  # type: ignore[arg-type]
    assert delivery is not None
    body, headers = delivery
    verify_hubspot_v3(
        "POST",
        url,
        body,
        headers["X-HubSpot-Signature-v3"],
        headers["X-HubSpot-Request-Timestamp"],
        hub.app_secret,
        time.time(),
    )
    return json.loads(body)


def changes(events: list[dict]) -> dict[str, set[tuple[str, str]]]:
    """propertyName -> {(subscriptionType, propertyValue)}."""
    out: dict[str, set[tuple[str, str]]] = {}
    for e in events:
        out.setdefault(e["propertyName"], set()).add((e["subscriptionType"], e["propertyValue"]))
    return out


async def test_an_api_write_queues_a_legacy_and_a_generic_event_per_changed_property(hub: HubSpotEmulator) -> None:
    assert hub.pending_webhook_delivery(URL) is None
    name = hub.crm.objects["deals"][ACME].properties["dealname"]
    status, _ = await call(
        hub, "PATCH", f"/crm/v3/objects/deals/{ACME}", {"properties": {"description": "On track", "dealname": name}}
    )
    assert status == 200
    events = delivered(hub)
    assert changes(events) == {
        "description": {("deal.propertyChange", "On track"), ("object.propertyChange", "On track")}
    }
    legacy, generic = sorted(events, key=lambda e: e["subscriptionType"])
    assert legacy["eventId"] != generic["eventId"]
    for event in (legacy, generic):
        assert (event["objectId"], event["portalId"], event["appId"], event["attemptNumber"]) == (
            int(ACME),
            int(PORTAL_ID),
            APP_ID,
            0,
        )
        assert (event["changeSource"], event["sourceId"]) == ("INTEGRATION", str(APP_ID))
        assert isinstance(event["occurredAt"], int) and event["subscriptionId"]
    assert generic["objectTypeId"] == "0-3" and generic["isSensitive"] is False
    assert "objectTypeId" not in legacy
    assert hub.pending_webhook_delivery(URL) is None  # delivered once


async def test_batch_updates_queue_events_for_every_deal(hub: HubSpotEmulator) -> None:
    await call(
        hub,
        "POST",
        "/crm/v3/objects/deals/batch/update",
        {
            "inputs": [
                {"id": ACME, "properties": {"description": "a"}},
                {"id": TYRELL, "properties": {"description": "b"}},
            ]
        },
    )
    events = delivered(hub)
    assert sorted((e["objectId"], e["subscriptionType"]) for e in events) == sorted(
        (int(i), t) for i in (ACME, TYRELL) for t in ("deal.propertyChange", "object.propertyChange")
    )


def test_winning_a_deal_in_a_custom_pipeline(hub: HubSpotEmulator) -> None:
    hub.crm.clock = lambda: 1_796_300_000.5
    assert hub.win_deal(MASSIVE) == "75001005"  # the stage with isClosed and probability 1.0, by metadata
    deal = hub.crm.objects["deals"][MASSIVE].properties
    assert (deal["dealstage"], deal["pipeline"]) == ("75001005", "75001001")
    stamp = "2026-12-03T12:13:20.500Z"
    assert deal["closedate"] == deal["hs_lastmodifieddate"] == deal["hs_v2_date_entered_75001005"] == stamp
    assert deal["hs_v2_date_exited_75001004"] == stamp
    events = delivered(hub)
    assert changes(events) == {
        "dealstage": {("deal.propertyChange", "75001005"), ("object.propertyChange", "75001005")},
        "closedate": {("deal.propertyChange", stamp), ("object.propertyChange", stamp)},
    }
    priya = hub.crm.owners[PEOPLE_BY_KEY["priya"].hubspot_owner_id]
    assert {(e["changeSource"], e["sourceId"]) for e in events} == {("CRM_UI", f"userId:{priya.user_id}")}
    assert {e["occurredAt"] for e in events} == {1_796_300_000_500}


@pytest.mark.parametrize(
    ("deal_id", "won", "lost"),
    [
        (MASSIVE, "75001005", "75001006"),
        (TYRELL, "closedwon", "closedlost"),
        (OSCORP, "renewal-signed", "renewal-lost"),
    ],
)
def test_won_and_lost_follow_each_pipelines_metadata(hub: HubSpotEmulator, deal_id: str, won: str, lost: str) -> None:
    assert hub.lose_deal(deal_id) == lost
    assert hub.win_deal(deal_id) == won
    assert hub.crm.objects["deals"][deal_id].properties["dealstage"] == won


def test_a_stage_set_by_another_integration(hub: HubSpotEmulator) -> None:
    hub.set_deal_stage(TYRELL, "75001003", by_ui=False)
    deal = hub.crm.objects["deals"][TYRELL].properties
    assert (deal["pipeline"], deal["dealstage"]) == ("75001001", "75001003")
    events = delivered(hub)
    assert {"dealstage", "pipeline"} == {e["propertyName"] for e in events}
    assert {(e["changeSource"], e["sourceId"]) for e in events} == {("INTEGRATION", str(OTHER_APP_ID))}
    with pytest.raises(ValueError):
        hub.set_deal_stage(TYRELL, "nosuchstage")
    with pytest.raises(KeyError):
        hub.win_deal("42")


def test_a_retry_keeps_the_event_ids_and_counts_the_attempt(hub: HubSpotEmulator) -> None:
    hub.win_deal(MASSIVE)
    body, _ = hub.pending_webhook_delivery(URL)  # type: ignore[misc]
    first = json.loads(body)
    retry, headers = hub.webhook_retry(body, URL)
    again = json.loads(retry)
    assert [e["eventId"] for e in again] == [e["eventId"] for e in first]
    assert {e["attemptNumber"] for e in again} == {1}
    verify_hubspot_v3(
        "POST",
        URL,
        retry,
        headers["X-HubSpot-Signature-v3"],
        headers["X-HubSpot-Request-Timestamp"],
        hub.app_secret,
        time.time(),
    )
    assert {e["attemptNumber"] for e in json.loads(hub.webhook_retry(retry, URL)[0])} == {2}


def test_delivery_order_can_be_shuffled(hub: HubSpotEmulator) -> None:
    hub.win_deal(MASSIVE)
    queued = list(hub.webhook_queue)
    events = delivered(hub, shuffle=True, seed=3)
    assert sorted(e["eventId"] for e in events) == sorted(e["eventId"] for e in queued)
    assert [e["eventId"] for e in events] != [e["eventId"] for e in queued]


def test_ticket_events_are_still_built_by_hand(hub: HubSpotEmulator) -> None:
    hub.set_ticket_stage(hub.add_ticket(ACME, "Outage"), "4")
    assert hub.pending_webhook_delivery(URL) is None
    event = hub.webhook_event("ticket.propertyChange", 901, propertyName="hs_pipeline_stage", propertyValue="4")
    assert (event["subscriptionType"], event["changeSource"], event["attemptNumber"]) == (
        "ticket.propertyChange",
        "CRM_UI",
        0,
    )


async def test_the_control_interface_wins_a_deal_and_hands_over_the_delivery(hub: HubSpotEmulator) -> None:
    status, body = await call(hub, "POST", f"{CONTROL_PREFIX}/deals/{MASSIVE}/win")
    assert status == 200 and (body["dealstage"], body["pipeline"]) == ("75001005", "75001001")
    status, delivery = await call(hub, "POST", f"{CONTROL_PREFIX}/webhooks/pending", {"url": URL})
    assert status == 200
    verify_hubspot_v3(
        "POST",
        URL,
        delivery["body"].encode(),
        delivery["headers"]["X-HubSpot-Signature-v3"],
        delivery["headers"]["X-HubSpot-Request-Timestamp"],
        hub.app_secret,
        time.time(),
    )
    assert {e["propertyName"] for e in json.loads(delivery["body"])} == {"dealstage", "closedate"}
    assert (await call(hub, "POST", f"{CONTROL_PREFIX}/webhooks/pending", {"url": URL}))[0] == 204
    status, body = await call(
        hub, "POST", f"{CONTROL_PREFIX}/deals/{MASSIVE}/stage", {"stage": "75001002", "by_ui": False}
    )
    assert (status, body["dealstage"]) == (200, "75001002")
    assert (await call(hub, "POST", f"{CONTROL_PREFIX}/deals/{MASSIVE}/lose"))[1]["dealstage"] == "75001006"
    assert (await call(hub, "POST", f"{CONTROL_PREFIX}/deals/42/win"))[0] == 404
    assert (await call(hub, "POST", f"{CONTROL_PREFIX}/deals/{MASSIVE}/stage", {"stage": "x"}))[0] == 400
    assert (await call(hub, "POST", f"{CONTROL_PREFIX}/webhooks/pending", {}))[0] == 400
    assert hub.calls == []  # control calls are not API traffic


async def test_the_custom_pipeline_metadata_are_strings(hub: HubSpotEmulator) -> None:
    status, pipeline = await call(hub, "GET", "/crm/v3/pipelines/deals/75001001")
    assert status == 200 and pipeline["label"] == "Implementation"
    meta = {s["id"]: s["metadata"] for s in pipeline["stages"]}
    assert meta["75001005"] == {"isClosed": "true", "probability": "1.0"}
    assert meta["75001004"] == {"isClosed": "false", "probability": "0.9"}
    assert meta["75001006"] == {"isClosed": "true", "probability": "0.0"}
