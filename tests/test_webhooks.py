"""Webhook verification and parsing (bot.webhooks) and the emulators' webhook senders."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hubspot.exceptions import InvalidSignatureTimestampError
from hubspot.utils.signature import Signature as HubSpotSignature

from bot.webhooks import (
    Signal,
    WebhookRejected,
    asana_handshake,
    parse_asana,
    parse_hubspot,
    parse_quickbooks,
    public_uri,
    verify_asana,
    verify_hubspot_v3,
    verify_quickbooks,
)
from sandbox.asana import AsanaEmulator
from sandbox.book import DEMO_ACCOUNTS, PORTAL_ID, QBO_REALM_ID
from sandbox.hubspot.emulator import HubSpotEmulator
from sandbox.quickbooks.emulator import QuickBooksEmulator
from tests.conftest import TODAY

REALM = "9130357766123458"
OTHER_REALM = "4620816365000000001"
VERIFIER = "qbo-verifier-5b7e"
HS_SECRET = "hubspot-app-secret-91c2"
ASANA_SECRET = "asana-hook-secret-0f3a"
NOW = 1_790_000_000.0  # a fixed clock (seconds) for the HubSpot timestamp window
NOW_MS = int(NOW * 1000)
URL = "https://bot.example.com/webhooks/hubspot"
UTC = UTC


def dumps(doc: Any) -> bytes:
    """A JSON body as the services send it."""
    return json.dumps(doc).encode()


def b64mac(secret: str, message: bytes) -> str:
    """Base64 HMAC-SHA256, computed here independently of the code under test."""
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def at(text: str) -> datetime:
    """An aware datetime from ISO text."""
    return datetime.fromisoformat(text)


# -- QuickBooks: parsing ------------------------------------------------------------------------


def cloudevent(kind: str, entity_id: str, realm: str = REALM, when: str = "2026-11-25T18:04:05.123Z") -> dict:
    """One CloudEvents entry as Intuit sends it."""
    return {
        "specversion": "1.0",
        "id": f"evt-{kind}-{entity_id}",
        "source": "intuit.abc",
        "type": kind,
        "datacontenttype": "application/json",
        "time": when,
        "intuitentityid": entity_id,
        "intuitaccountid": realm,
        "data": {},
    }


def legacy(
    entities: list[tuple[str, str, str]], realm: str = REALM, when: str = "2026-11-25T10:04:05.000-08:00"
) -> dict:
    """One legacy eventNotifications entry."""
    return {
        "realmId": realm,
        "dataChangeEvent": {
            "entities": [{"name": n, "id": i, "operation": op, "lastUpdated": when} for n, i, op in entities]
        },
    }


def qsig(
    entity: str, entity_id: str, action: str, when: str = "2026-11-25T18:04:05.123+00:00", realm: str = REALM
) -> tuple[str, str, str, str | None, datetime]:
    """The identifying fields of an expected QuickBooks signal."""
    return entity, entity_id, action, realm, at(when)


LEGACY_WHEN = "2026-11-25T10:04:05-08:00"
QBO_CASES = [
    pytest.param(
        [cloudevent("qbo.payment.created.v1", "311")], [qsig("Payment", "311", "created")], id="cloudevents-payment"
    ),
    pytest.param(
        {"eventNotifications": [legacy([("Invoice", "42", "Update")])]},
        [qsig("Invoice", "42", "updated", LEGACY_WHEN)],
        id="legacy-invoice-update",
    ),
    pytest.param(
        [cloudevent("qbo.payment.created.v1", str(500 + n)) for n in range(10)],
        [qsig("Payment", str(500 + n), "created") for n in range(10)],
        id="cloudevents-batch-of-10",
    ),
    pytest.param(
        {"eventNotifications": [legacy([("Payment", str(500 + n), "Create") for n in range(10)])]},
        [qsig("Payment", str(500 + n), "created", LEGACY_WHEN) for n in range(10)],
        id="legacy-batch-of-10",
    ),
    pytest.param(
        [cloudevent("qbo.payment.created.v1", "7"), cloudevent("qbo.payment.created.v1", "8", OTHER_REALM)],
        [qsig("Payment", "7", "created")],
        id="cloudevents-foreign-realm-dropped",
    ),
    pytest.param(
        {
            "eventNotifications": [
                legacy([("Payment", "9", "Create")], OTHER_REALM),
                legacy([("Invoice", "10", "Update")]),
            ]
        },
        [qsig("Invoice", "10", "updated", LEGACY_WHEN)],
        id="legacy-foreign-realm-dropped",
    ),
    pytest.param(
        [cloudevent("qbo.invoice.deleted.v1", "1031")],
        [qsig("Invoice", "1031", "deleted")],
        id="cloudevents-deleted-invoice",
    ),
    pytest.param(
        {"eventNotifications": [legacy([("Invoice", "1031", "Delete")])]},
        [qsig("Invoice", "1031", "deleted", LEGACY_WHEN)],
        id="legacy-deleted-invoice",
    ),
    pytest.param(
        [
            cloudevent("qbo.invoice.voided.v1", "12"),
            cloudevent("qbo.creditmemo.created.v1", "13"),
            cloudevent("qbo.journalentry.updated.v1", "14"),
        ],
        [qsig("Invoice", "12", "voided"), qsig("CreditMemo", "13", "created"), qsig("JournalEntry", "14", "updated")],
        id="cloudevents-entity-spelling",
    ),
    pytest.param(
        {
            "eventNotifications": [
                legacy([("Invoice", "12", "Void"), ("Invoice", "13", "Emailed"), ("Customer", "5", "Merge")])
            ]
        },
        [
            qsig("Invoice", "12", "voided", LEGACY_WHEN),
            qsig("Invoice", "13", "emailed", LEGACY_WHEN),
            qsig("Customer", "5", "merged", LEGACY_WHEN),
        ],
        id="legacy-void-emailed-merge",
    ),
    pytest.param(
        [
            cloudevent("com.other.thing", "1"),
            {"type": "qbo.payment.created.v1"},
            "junk",
            cloudevent("qbo.payment.created.v1", "2"),
        ],
        [qsig("Payment", "2", "created")],
        id="unusable-entries-skipped",
    ),
    pytest.param({"eventNotifications": []}, [], id="legacy-empty"),
]


@pytest.mark.parametrize(("payload", "expected"), QBO_CASES)
def test_parse_quickbooks(payload: Any, expected: list[tuple]) -> None:
    """Both payload formats give the same normalized signals; other realms are dropped."""
    signals = parse_quickbooks(dumps(payload), REALM)
    assert [(s.entity, s.entity_id, s.action, s.account, s.occurred_at) for s in signals] == expected
    assert all(s.source == "quickbooks" for s in signals)


def test_parse_quickbooks_details() -> None:
    """CloudEvents keep the event id; a legacy merge keeps the merged-away id."""
    [event] = parse_quickbooks(dumps([cloudevent("qbo.payment.created.v1", "311")]), REALM)
    assert event.detail["event_id"] == "evt-qbo.payment.created.v1-311"
    merge = legacy([("Customer", "5", "Merge")])
    merge["dataChangeEvent"]["entities"][0]["deletedId"] = "6"
    [merged] = parse_quickbooks(dumps({"eventNotifications": [merge]}), REALM)
    assert (merged.entity, merged.action, merged.detail["deleted_id"]) == ("Customer", "merged", "6")


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe", b"42", dumps({"events": []}), b""],
    ids=["broken", "not-utf8", "number", "other-shape", "empty"],
)
def test_parse_quickbooks_malformed(body: bytes) -> None:
    """A body that is not a QBO payload answers 400."""
    with pytest.raises(WebhookRejected) as err:
        parse_quickbooks(body, REALM)
    assert err.value.status == 400


def test_repeated_delivery_has_the_same_key() -> None:
    """Deliveries repeat: signals of the same change share a de-duplication key and hash."""
    body = dumps([cloudevent("qbo.payment.created.v1", "311")])
    first, second = parse_quickbooks(body, REALM)[0], parse_quickbooks(body, REALM)[0]
    assert first == second and first.key == second.key and len({first, second}) == 1


# -- QuickBooks: signature ----------------------------------------------------------------------


QBO_BODY = dumps([cloudevent("qbo.payment.created.v1", "311")])


def test_verify_quickbooks_accepts_intuit_signature() -> None:
    """The base64 HMAC of the raw body with the verifier passes."""
    verify_quickbooks(QBO_BODY, b64mac(VERIFIER, QBO_BODY), VERIFIER)


@pytest.mark.parametrize(
    ("body", "signature", "verifier"),
    [
        pytest.param(QBO_BODY, b64mac("another-verifier", QBO_BODY), VERIFIER, id="forged"),
        pytest.param(QBO_BODY, None, VERIFIER, id="missing"),
        pytest.param(QBO_BODY, "", VERIFIER, id="empty"),
        pytest.param(QBO_BODY.replace(b"311", b"312"), b64mac(VERIFIER, QBO_BODY), VERIFIER, id="tampered-body"),
        pytest.param(
            QBO_BODY, hmac.new(VERIFIER.encode(), QBO_BODY, hashlib.sha256).hexdigest(), VERIFIER, id="hex-not-b64"
        ),
        pytest.param(QBO_BODY, "sïgnature", VERIFIER, id="non-ascii"),
        pytest.param(QBO_BODY, b64mac(VERIFIER, QBO_BODY), "", id="verifier-not-configured"),
    ],
)
def test_verify_quickbooks_rejects(body: bytes, signature: str | None, verifier: str) -> None:
    """Forged, missing or tampered requests answer 401, and the reason never shows the secret."""
    with pytest.raises(WebhookRejected) as err:
        verify_quickbooks(body, signature, verifier)
    assert err.value.status == 401
    assert VERIFIER not in str(err.value) and b64mac(VERIFIER, body) not in str(err.value)


# -- HubSpot: signature -------------------------------------------------------------------------


HS_BODY = dumps(
    [
        {
            "eventId": 1,
            "subscriptionId": 2,
            "portalId": int(PORTAL_ID),
            "appId": 3,
            "occurredAt": NOW_MS,
            "subscriptionType": "ticket.creation",
            "attemptNumber": 0,
            "objectId": 901,
            "changeFlag": "NEW",
            "changeSource": "CRM_UI",
        }
    ]
)


def hs_sign(
    body: bytes = HS_BODY, uri: str = URL, stamp: int = NOW_MS, method: str = "POST", secret: str = HS_SECRET
) -> tuple[str, str]:
    """(signature, timestamp header) as HubSpot computes them."""
    return b64mac(secret, method.encode() + uri.encode() + body + str(stamp).encode()), str(stamp)


def test_verify_hubspot_v3_accepts_valid_request() -> None:
    """A fresh, correctly signed request passes, even a little skewed either way."""
    for stamp in (NOW_MS, NOW_MS - 299_000, NOW_MS + 60_000):
        signature, ts = hs_sign(stamp=stamp)
        verify_hubspot_v3("POST", URL, HS_BODY, signature, ts, HS_SECRET, NOW)


def test_verify_hubspot_v3_accepts_decoded_uri() -> None:
    """HubSpot signs the URI with some percent-escapes decoded; the encoded request URI still verifies."""
    signature, ts = hs_sign(uri=URL + "?at=10:00")
    verify_hubspot_v3("POST", URL + "?at=10%3A00", HS_BODY, signature, ts, HS_SECRET, NOW)


VALID_SIG, VALID_TS = hs_sign()


@pytest.mark.parametrize(
    ("method", "uri", "body", "signature", "timestamp"),
    [
        pytest.param("POST", URL, HS_BODY, *hs_sign(stamp=NOW_MS - 301_000), id="stale"),
        pytest.param("POST", URL, HS_BODY, *hs_sign(stamp=NOW_MS + 301_000), id="future-skewed"),
        pytest.param("POST", URL, HS_BODY, VALID_SIG, "not-a-number", id="malformed-timestamp"),
        pytest.param("POST", URL, HS_BODY, VALID_SIG, f"{NOW_MS}.5", id="fractional-timestamp"),
        pytest.param("POST", URL, HS_BODY, VALID_SIG, "", id="empty-timestamp"),
        pytest.param("POST", URL, HS_BODY, VALID_SIG, None, id="missing-timestamp"),
        pytest.param("POST", URL, HS_BODY, VALID_SIG, str(NOW), id="seconds-not-ms"),
        pytest.param("POST", "http://10.0.0.5:3000/webhooks/hubspot", HS_BODY, VALID_SIG, VALID_TS, id="wrong-uri"),
        pytest.param("POST", URL + "?x=1", HS_BODY, VALID_SIG, VALID_TS, id="wrong-query"),
        pytest.param("PUT", URL, HS_BODY, VALID_SIG, VALID_TS, id="wrong-method"),
        pytest.param("POST", URL, HS_BODY.replace(b"901", b"902"), VALID_SIG, VALID_TS, id="tampered-body"),
        pytest.param("POST", URL, HS_BODY, hs_sign(secret="other-secret")[0], VALID_TS, id="forged"),
        pytest.param("POST", URL, HS_BODY, None, VALID_TS, id="missing-signature"),
        pytest.param("POST", URL, HS_BODY, hs_sign(stamp=NOW_MS + 1)[0], VALID_TS, id="timestamp-not-signed"),
    ],
)
def test_verify_hubspot_v3_rejects(
    method: str, uri: str, body: bytes, signature: str | None, timestamp: str | None
) -> None:
    """Stale, skewed, malformed, forged or re-targeted requests answer 401."""
    with pytest.raises(WebhookRejected) as err:
        verify_hubspot_v3(method, uri, body, signature, timestamp, HS_SECRET, NOW)
    assert err.value.status == 401 and HS_SECRET not in str(err.value)


def test_verify_hubspot_v3_agrees_with_the_sdk() -> None:
    """hubspot.utils.signature.Signature.is_valid accepts what we accept and refuses what we refuse."""
    now = time.time()
    stamp = int(now * 1000)
    signature, ts = hs_sign(stamp=stamp)
    verify_hubspot_v3("POST", URL, HS_BODY, signature, ts, HS_SECRET, now)
    assert HubSpotSignature.is_valid(signature, HS_SECRET, HS_BODY.decode(), URL, "POST", "v3", ts)
    tampered = HS_BODY.replace(b"901", b"902")
    assert not HubSpotSignature.is_valid(signature, HS_SECRET, tampered.decode(), URL, "POST", "v3", ts)
    with pytest.raises(WebhookRejected):
        verify_hubspot_v3("POST", URL, tampered, signature, ts, HS_SECRET, now)
    old_sig, old_ts = hs_sign(stamp=stamp - 400_000)
    with pytest.raises(InvalidSignatureTimestampError):
        HubSpotSignature.is_valid(old_sig, HS_SECRET, HS_BODY.decode(), URL, "POST", "v3", old_ts)
    with pytest.raises(WebhookRejected):
        verify_hubspot_v3("POST", URL, HS_BODY, old_sig, old_ts, HS_SECRET, now)


@pytest.mark.parametrize(
    ("public_url", "request_url", "expected"),
    [
        (None, "http://127.0.0.1:3000/webhooks/hubspot?a=1", "http://127.0.0.1:3000/webhooks/hubspot?a=1"),
        ("", "http://127.0.0.1:3000/webhooks/hubspot", "http://127.0.0.1:3000/webhooks/hubspot"),
        (
            "https://bot.example.com",
            "http://10.0.0.5:3000/webhooks/hubspot?b=2&a=1",
            "https://bot.example.com/webhooks/hubspot?b=2&a=1",
        ),
        ("https://bot.example.com/", "/webhooks/hubspot", "https://bot.example.com/webhooks/hubspot"),
        (
            "https://example.com/accountbot",
            "http://app:3000/webhooks/hubspot",
            "https://example.com/accountbot/webhooks/hubspot",
        ),
        (
            "https://example.com/accountbot/",
            "http://app:3000/accountbot/webhooks/hubspot?x=%3A",
            "https://example.com/accountbot/webhooks/hubspot?x=%3A",
        ),
    ],
)
def test_public_uri(public_url: str | None, request_url: str, expected: str) -> None:
    """The signed URI is PUBLIC_URL's origin (and prefix) plus the request's path and raw query."""
    assert public_uri(public_url, request_url) == expected


def test_public_uri_makes_a_proxied_request_verify() -> None:
    """Behind a proxy the request URL differs, the rebuilt public URI verifies."""
    signature, ts = hs_sign(uri="https://bot.example.com/webhooks/hubspot?portal=1")
    internal = "http://10.0.0.5:3000/webhooks/hubspot?portal=1"
    with pytest.raises(WebhookRejected):
        verify_hubspot_v3("POST", internal, HS_BODY, signature, ts, HS_SECRET, NOW)
    verify_hubspot_v3("POST", public_uri("https://bot.example.com", internal), HS_BODY, signature, ts, HS_SECRET, NOW)


# -- HubSpot: parsing ---------------------------------------------------------------------------


def hs_event(kind: str, object_id: int | None = 901, portal: int = int(PORTAL_ID), **extra: Any) -> dict:
    """One HubSpot webhook event."""
    event: dict[str, Any] = {
        "eventId": 77,
        "subscriptionId": 12,
        "portalId": portal,
        "appId": 3,
        "occurredAt": 1_764_093_845_000,
        "subscriptionType": kind,
        "attemptNumber": 0,
        "changeSource": "CRM_UI",
    }
    if object_id is not None:
        event["objectId"] = object_id
    return event | extra


HS_AT = datetime(2025, 11, 25, 18, 4, 5, tzinfo=UTC)
HS_CASES = [
    pytest.param([hs_event("ticket.creation")], [("ticket", "901", "created", {})], id="ticket-creation"),
    pytest.param(
        [hs_event("ticket.propertyChange", propertyName="hs_pipeline_stage", propertyValue="4")],
        [("ticket", "901", "propertyChange", {"propertyName": "hs_pipeline_stage", "propertyValue": "4"})],
        id="ticket-property-change",
    ),
    pytest.param(
        [hs_event("deal.propertyChange", 5501, propertyName="dealstage", propertyValue="closedwon")],
        [("deal", "5501", "propertyChange", {"propertyName": "dealstage", "propertyValue": "closedwon"})],
        id="deal-property-change",
    ),
    pytest.param([hs_event("deal.deletion", 5501)], [("deal", "5501", "deleted", {})], id="deal-deletion"),
    pytest.param(
        [hs_event("deal.merge", 5501, primaryObjectId=5501, mergedObjectIds=[5502])],
        [("deal", "5501", "merged", {"primaryObjectId": 5501, "mergedObjectIds": [5502]})],
        id="deal-merge",
    ),
    pytest.param(
        [
            hs_event(
                "ticket.associationChange",
                None,
                fromObjectId=901,
                toObjectId=5501,
                associationType="TICKET_TO_DEAL",
                associationRemoved=False,
            )
        ],
        [
            (
                "ticket",
                "901",
                "associationChange",
                {
                    "fromObjectId": 901,
                    "toObjectId": 5501,
                    "associationType": "TICKET_TO_DEAL",
                    "associationRemoved": False,
                },
            )
        ],
        id="association-change",
    ),
    pytest.param(
        [hs_event("object.propertyChange", 902, objectTypeId="0-5", propertyName="subject", propertyValue="Down")],
        [
            (
                "ticket",
                "902",
                "propertyChange",
                {"objectTypeId": "0-5", "propertyName": "subject", "propertyValue": "Down"},
            )
        ],
        id="generic-object-event",
    ),
    pytest.param(
        [hs_event("ticket.creation", 1), hs_event("ticket.creation", 2, portal=999), hs_event("deal.creation", 3)],
        [("ticket", "1", "created", {}), ("deal", "3", "created", {})],
        id="other-portal-dropped",
    ),
    pytest.param([], [], id="empty"),
    pytest.param([{"subscriptionType": "ticket.creation"}, "junk", hs_event("nodot")], [], id="unusable-skipped"),
]


@pytest.mark.parametrize(("payload", "expected"), HS_CASES)
def test_parse_hubspot(payload: list, expected: list[tuple[str, str, str, dict]]) -> None:
    """Events become signals with the property change in `detail`; other portals are dropped."""
    signals = parse_hubspot(dumps(payload), PORTAL_ID)
    got = [
        (
            s.entity,
            s.entity_id,
            s.action,
            {
                k: v
                for k, v in s.detail.items()
                if k not in ("eventId", "subscriptionId", "appId", "attemptNumber", "changeSource")
            },
        )
        for s in signals
    ]
    assert got == expected
    assert all(s.source == "hubspot" and s.account == PORTAL_ID and s.occurred_at == HS_AT for s in signals)


def test_parse_hubspot_without_portal_keeps_all() -> None:
    """With no portal configured nothing is filtered."""
    body = dumps([hs_event("ticket.creation", 1), hs_event("ticket.creation", 2, portal=999)])
    assert [s.account for s in parse_hubspot(body, None)] == [PORTAL_ID, "999"]


@pytest.mark.parametrize("body", [b"[{", b'"text"', b"\xff"], ids=["broken", "string", "not-utf8"])
def test_parse_hubspot_malformed(body: bytes) -> None:
    """A body that is not an event array answers 400."""
    with pytest.raises(WebhookRejected) as err:
        parse_hubspot(body, PORTAL_ID)
    assert err.value.status == 400


# -- Asana --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Hook-Secret": "s3cr3t", "Content-Type": "application/json"}, "s3cr3t"),
        ({"x-hook-secret": "s3cr3t"}, "s3cr3t"),
        ({"X-Hook-Signature": "abc"}, None),
        ({}, None),
    ],
)
def test_asana_handshake(headers: dict[str, str], expected: str | None) -> None:
    """The handshake secret is found whatever the header case; deliveries have none."""
    assert asana_handshake(headers) == expected


ASANA_BODY = dumps({"events": []})


def test_verify_asana_accepts_hex_hmac() -> None:
    """The hex HMAC of the body with the handshake secret passes (either hex case)."""
    digest = hmac.new(ASANA_SECRET.encode(), ASANA_BODY, hashlib.sha256).hexdigest()
    verify_asana(ASANA_BODY, digest, ASANA_SECRET)
    verify_asana(ASANA_BODY, digest.upper(), ASANA_SECRET)


@pytest.mark.parametrize(
    ("body", "signature", "secret"),
    [
        pytest.param(ASANA_BODY, hmac.new(b"other", ASANA_BODY, hashlib.sha256).hexdigest(), ASANA_SECRET, id="forged"),
        pytest.param(ASANA_BODY, None, ASANA_SECRET, id="missing"),
        pytest.param(
            dumps({"events": [{}]}),
            hmac.new(ASANA_SECRET.encode(), ASANA_BODY, hashlib.sha256).hexdigest(),
            ASANA_SECRET,
            id="tampered-body",
        ),
        pytest.param(ASANA_BODY, b64mac(ASANA_SECRET, ASANA_BODY), ASANA_SECRET, id="base64-not-hex"),
        pytest.param(
            ASANA_BODY,
            hmac.new(ASANA_SECRET.encode(), ASANA_BODY, hashlib.sha256).hexdigest(),
            None,
            id="no-stored-secret",
        ),
    ],
)
def test_verify_asana_rejects(body: bytes, signature: str | None, secret: str | None) -> None:
    """Forged, missing or tampered deliveries answer 401."""
    with pytest.raises(WebhookRejected) as err:
        verify_asana(body, signature, secret)
    assert err.value.status == 401 and ASANA_SECRET not in str(err.value)


ASANA_USER = {"gid": "1201994857360011", "resource_type": "user"}
ASANA_EVENTS = [
    {
        "user": ASANA_USER,
        "created_at": "2026-11-25T18:04:05.123Z",
        "action": "changed",
        "resource": {"gid": "1209000000000101", "resource_type": "task", "resource_subtype": "milestone"},
        "parent": None,
        "change": {"field": "due_on", "action": "changed", "new_value": "2026-12-10"},
    },
    {
        "user": ASANA_USER,
        "created_at": "2026-11-25T18:04:06.000Z",
        "action": "added",
        "resource": {"gid": "1209000000000555", "resource_type": "story", "resource_subtype": "assigned"},
        "parent": {"gid": "1209000000000101", "resource_type": "task", "resource_subtype": "default_task"},
    },
    {
        "user": ASANA_USER,
        "created_at": "2026-11-25T18:04:07.000Z",
        "action": "changed",
        "resource": {"gid": "1209000000000001", "resource_type": "project"},
        "parent": None,
        "change": {"field": "owner", "action": "changed", "new_value": {"gid": "42", "resource_type": "user"}},
    },
    {"action": "changed", "resource": {"resource_type": "task"}},  # no gid: skipped
]


def test_parse_asana() -> None:
    """Task, story and project events keep subtype, parent and change in `detail`."""
    signals = parse_asana(dumps({"events": ASANA_EVENTS}))
    assert [(s.entity, s.entity_id, s.action, s.occurred_at) for s in signals] == [
        ("task", "1209000000000101", "changed", at("2026-11-25T18:04:05.123+00:00")),
        ("story", "1209000000000555", "added", at("2026-11-25T18:04:06+00:00")),
        ("project", "1209000000000001", "changed", at("2026-11-25T18:04:07+00:00")),
    ]
    task, story, project = signals
    assert task.detail["resource_subtype"] == "milestone"
    assert task.detail["change"] == {"field": "due_on", "action": "changed", "new_value": "2026-12-10"}
    assert story.detail["parent"] == {
        "gid": "1209000000000101",
        "resource_type": "task",
        "resource_subtype": "default_task",
    }
    assert project.detail["change"]["new_value"] == {"gid": "42", "resource_type": "user"}
    assert all(s.source == "asana" and s.account is None for s in signals)


def test_parse_asana_heartbeat_and_malformed() -> None:
    """An empty events list is a heartbeat; anything without `events` answers 400."""
    assert parse_asana(ASANA_BODY) == []
    for body in (b"{}", b"[]", b"nope", dumps({"events": "x"})):
        with pytest.raises(WebhookRejected) as err:
            parse_asana(body)
        assert err.value.status == 400


# -- the emulators' senders ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def qbo_emulator() -> QuickBooksEmulator:
    """A QuickBooks emulator (not served: the senders need no HTTP)."""
    return QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY, fillers=0)


@pytest.mark.parametrize("fmt", ["cloudevents", "legacy"])
def test_quickbooks_sender_verifies_and_parses(qbo_emulator: QuickBooksEmulator, fmt: str) -> None:
    """The emulator's deliveries carry a valid intuit-signature and parse in both formats."""
    body, headers = qbo_emulator.webhook_delivery(
        [("Payment", "900", "Create"), ("Invoice", "31", "Update"), ("Invoice", "32", "Delete")], format=fmt
    )
    assert headers["Content-Type"] == "application/json"
    verify_quickbooks(body, headers["intuit-signature"], qbo_emulator.webhook_verifier)
    signals = parse_quickbooks(body, QBO_REALM_ID)
    assert [(s.entity, s.entity_id, s.action) for s in signals] == [
        ("Payment", "900", "created"),
        ("Invoice", "31", "updated"),
        ("Invoice", "32", "deleted"),
    ]
    assert all(
        s.occurred_at is not None and abs(s.occurred_at - qbo_emulator.now()) < timedelta(minutes=1) for s in signals
    )
    with pytest.raises(WebhookRejected):
        verify_quickbooks(body, headers["intuit-signature"], "not-the-verifier")
    foreign, _ = qbo_emulator.webhook_delivery([("Payment", "901", "Create")], format=fmt, realm_id=OTHER_REALM)
    assert parse_quickbooks(foreign, QBO_REALM_ID) == []


def test_quickbooks_emulator_records_changes_for_webhooks() -> None:
    """add_payment and delete_invoice queue what Intuit would send; the queue drains."""
    emulator = QuickBooksEmulator(DEMO_ACCOUNTS, today=TODAY, fillers=0)
    assert emulator.pending_webhook_delivery() is None
    invoice = next(i for i, inv in emulator.invoices.items() if inv["Balance"] > 1)
    payment = emulator.add_payment(invoice, Decimal("1.00"))
    other = next(i for i in emulator.invoices if i != invoice)
    emulator.delete_invoice(other)
    delivery = emulator.pending_webhook_delivery(format="legacy")
    assert delivery is not None
    body, headers = delivery
    verify_quickbooks(body, headers["intuit-signature"], emulator.env()["QBO_WEBHOOK_VERIFIER"])
    assert [(s.entity, s.entity_id, s.action) for s in parse_quickbooks(body, emulator.realm_id)] == [
        ("Payment", payment, "created"),
        ("Invoice", invoice, "updated"),
        ("Invoice", other, "deleted"),
    ]
    assert emulator.pending_webhook_delivery() is None


def test_hubspot_sender_verifies_and_parses() -> None:
    """The emulator signs v3 with its app secret for POST and the given URL."""
    emulator = HubSpotEmulator(DEMO_ACCOUNTS, today=TODAY, fillers=False)
    secret = emulator.env()["HUBSPOT_APP_SECRET"]
    events = [
        emulator.webhook_event("ticket.propertyChange", 901, propertyName="hs_pipeline_stage", propertyValue="4"),
        emulator.webhook_event("ticket.creation", 902, portal_id=999),
    ]
    body, headers = emulator.webhook_delivery(events, URL)
    now = time.time()
    verify_hubspot_v3(
        "POST", URL, body, headers["X-HubSpot-Signature-v3"], headers["X-HubSpot-Request-Timestamp"], secret, now
    )
    assert HubSpotSignature.is_valid(
        headers["X-HubSpot-Signature-v3"],
        secret,
        body.decode(),
        URL,
        "POST",
        "v3",
        headers["X-HubSpot-Request-Timestamp"],
    )
    [signal] = parse_hubspot(body, PORTAL_ID)
    assert (signal.entity, signal.entity_id, signal.action, signal.detail["propertyValue"]) == (
        "ticket",
        "901",
        "propertyChange",
        "4",
    )
    with pytest.raises(WebhookRejected):
        verify_hubspot_v3(
            "POST",
            URL + "x",
            body,
            headers["X-HubSpot-Signature-v3"],
            headers["X-HubSpot-Request-Timestamp"],
            secret,
            now,
        )
    old_body, old_headers = emulator.webhook_delivery(events, URL, timestamp_ms=int((now - 600) * 1000))
    with pytest.raises(WebhookRejected):
        verify_hubspot_v3(
            "POST",
            URL,
            old_body,
            old_headers["X-HubSpot-Signature-v3"],
            old_headers["X-HubSpot-Request-Timestamp"],
            secret,
            now,
        )


def test_asana_sender_handshake_and_delivery() -> None:
    """Handshake secret round-trips; deliveries signed with it verify and parse."""
    emulator = AsanaEmulator(DEMO_ACCOUNTS, today=TODAY)
    secret = asana_handshake(emulator.webhook_handshake_headers())
    assert secret and secret == emulator.webhook_secret
    event = emulator.webhook_event(
        "changed",
        "task",
        "1209000000000101",
        subtype="milestone",
        change={"field": "due_on", "action": "changed", "new_value": "2026-12-10"},
    )
    body, headers = emulator.webhook_delivery([event], secret)
    assert asana_handshake(headers) is None
    verify_asana(body, headers["X-Hook-Signature"], secret)
    with pytest.raises(WebhookRejected):
        verify_asana(body, headers["X-Hook-Signature"], asana_handshake(emulator.webhook_handshake_headers()))
    [signal] = parse_asana(body)
    assert signal == Signal(
        "asana",
        "task",
        "1209000000000101",
        "changed",
        None,
        signal.occurred_at,
        {
            "resource_subtype": "milestone",
            "user": event["user"],
            "change": {"field": "due_on", "action": "changed", "new_value": "2026-12-10"},
        },
    )
    heartbeat, hb_headers = emulator.webhook_delivery([], secret)
    verify_asana(heartbeat, hb_headers["X-Hook-Signature"], secret)
    assert parse_asana(heartbeat) == []
