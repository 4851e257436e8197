"""Verify and parse incoming webhooks (QuickBooks, HubSpot, Asana) into normalized signals.

Pure and I/O-free: every function takes the raw request pieces (body bytes, header values,
secrets, the clock) and either returns data or raises `WebhookRejected` carrying the HTTP
status to answer (401 for authentication, 400 for a payload we cannot read). Reasons never
contain a secret or a computed signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal
from urllib.parse import urlsplit

Source = Literal["quickbooks", "hubspot", "asana"]

HUBSPOT_MAX_SKEW_MS: Final = 5 * 60 * 1000

# QBO entity names as the API spells them; CloudEvents types carry them lower-cased.
QBO_ENTITIES: Final = {
    name.lower(): name
    for name in (
        "Account",
        "Bill",
        "BillPayment",
        "Budget",
        "Class",
        "CreditMemo",
        "Currency",
        "Customer",
        "Department",
        "Deposit",
        "Employee",
        "Estimate",
        "Invoice",
        "Item",
        "JournalCode",
        "JournalEntry",
        "Payment",
        "PaymentMethod",
        "Preferences",
        "Purchase",
        "PurchaseOrder",
        "RefundReceipt",
        "SalesReceipt",
        "TaxAgency",
        "Term",
        "TimeActivity",
        "Transfer",
        "Vendor",
        "VendorCredit",
    )
}
# Legacy operation names -> the past-tense verbs CloudEvents types use.
QBO_OPERATIONS: Final = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "merge": "merged",
    "void": "voided",
    "emailed": "emailed",
}
# HubSpot subscriptionType suffixes -> normalized actions (others pass through unchanged).
HUBSPOT_ACTIONS: Final = {
    "creation": "created",
    "deletion": "deleted",
    "merge": "merged",
    "restore": "restored",
    "privacyDeletion": "privacyDeleted",
}
# objectTypeId of the generic `object.*` subscriptions -> entity names.
HUBSPOT_OBJECT_TYPES: Final = {"0-1": "contact", "0-2": "company", "0-3": "deal", "0-5": "ticket"}
HUBSPOT_DETAIL_KEYS: Final = (
    "eventId",
    "subscriptionId",
    "appId",
    "attemptNumber",
    "propertyName",
    "propertyValue",
    "changeSource",
    "sourceId",
    "changeFlag",
    "associationType",
    "associationCategory",
    "associationTypeId",
    "fromObjectId",
    "toObjectId",
    "associationRemoved",
    "isPrimaryAssociation",
    "primaryObjectId",
    "mergedObjectIds",
    "newObjectId",
    "numberOfPropertiesMoved",
    "objectTypeId",
)
# Characters HubSpot decodes in the request URI before signing it (v3).
HUBSPOT_URI_DECODE: Final = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}


class WebhookRejected(Exception):
    """A webhook request to refuse: `status` (401 or 400) and a short, secret-free reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Signal:
    """One change a service told us about, in the same shape whatever the source."""

    source: Source
    entity: str
    entity_id: str
    action: str
    account: str | None
    occurred_at: datetime | None
    detail: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)

    @property
    def key(self) -> tuple[str, str, str, str, str | None]:
        """A de-duplication key: deliveries repeat, the same change keeps this key."""
        stamp = self.occurred_at.isoformat() if self.occurred_at else None
        return (self.source, self.entity, self.entity_id, self.action, stamp)


# -- shared helpers ---------------------------------------------------------------------------


def _mac(secret: str, message: bytes) -> bytes:
    """HMAC-SHA256 of `message` keyed with the UTF-8 secret."""
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison of two header-sized strings (non-ASCII input never matches)."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))


def _require(signature: str | None, secret: str | None) -> str:
    """The stripped signature, or a 401 when it or the secret is missing."""
    if not secret:
        raise WebhookRejected(401, "webhook secret is not configured")
    if signature is None or not signature.strip():
        raise WebhookRejected(401, "missing signature")
    return signature.strip()


def _load(body: bytes) -> Any:
    """The JSON document of a body, or a 400."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected(400, "body is not valid JSON") from None


def _iso(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (naive means UTC), None if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _millis(value: Any) -> datetime | None:
    """Epoch milliseconds as an aware UTC datetime, None if unreadable."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _text(value: Any) -> str | None:
    """A scalar id as a string (ints included), None when absent or not a scalar."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    return str(value) if isinstance(value, (str, int)) else None


# -- QuickBooks Online ------------------------------------------------------------------------


def quickbooks_signature(body: bytes, verifier: str) -> str:
    """The `intuit-signature` Intuit sends: base64 HMAC-SHA256(verifier, raw body)."""
    return base64.b64encode(_mac(verifier, body)).decode("ascii")


def verify_quickbooks(body: bytes, signature: str | None, verifier: str | None) -> None:
    """Raise WebhookRejected(401) unless `signature` is Intuit's signature of `body`."""
    given = _require(signature, verifier)
    assert verifier is not None
    if not _same(quickbooks_signature(body, verifier), given):
        raise WebhookRejected(401, "invalid intuit-signature")


def _qbo_entity(name: str) -> str:
    """The API spelling of an entity name given in any case."""
    return QBO_ENTITIES.get(name.lower(), name[:1].upper() + name[1:])


def _qbo_cloudevent(event: Any) -> Signal | None:
    """One CloudEvents entry (`qbo.{entity}.{action}.v1`) as a signal; None if unusable."""
    if not isinstance(event, dict):
        return None
    kind = event.get("type")
    parts = kind.split(".") if isinstance(kind, str) else []
    entity_id = _text(event.get("intuitentityid"))
    if len(parts) < 3 or parts[0] != "qbo" or entity_id is None:
        return None
    detail: dict[str, Any] = {"event_id": event.get("id"), "type": kind}
    if isinstance(event.get("data"), dict) and event["data"]:
        detail["data"] = event["data"]
    return Signal(
        "quickbooks",
        _qbo_entity(parts[1]),
        entity_id,
        parts[2].lower(),
        _text(event.get("intuitaccountid")),
        _iso(event.get("time")),
        detail,
    )


def _qbo_legacy(notification: Any) -> list[Signal]:
    """The entities of one legacy `eventNotifications` entry as signals."""
    if not isinstance(notification, dict):
        return []
    realm = _text(notification.get("realmId"))
    change = notification.get("dataChangeEvent")
    entities = change.get("entities") if isinstance(change, dict) else None
    signals = []
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, dict):
            continue
        name, entity_id, op = entity.get("name"), _text(entity.get("id")), entity.get("operation")
        if not isinstance(name, str) or not isinstance(op, str) or entity_id is None:
            continue
        detail: dict[str, Any] = {"operation": op}
        if _text(entity.get("deletedId")):
            detail["deleted_id"] = _text(entity.get("deletedId"))
        signals.append(
            Signal(
                "quickbooks",
                _qbo_entity(name),
                entity_id,
                QBO_OPERATIONS.get(op.lower(), op.lower()),
                realm,
                _iso(entity.get("lastUpdated")),
                detail,
            )
        )
    return signals


def parse_quickbooks(body: bytes, realm_id: str | None) -> list[Signal]:
    """Signals of a QBO delivery (CloudEvents array or legacy eventNotifications) for `realm_id` only."""
    doc = _load(body)
    if isinstance(doc, list):
        signals = [s for s in map(_qbo_cloudevent, doc) if s is not None]
    elif isinstance(doc, dict) and isinstance(doc.get("eventNotifications"), list):
        signals = [s for n in doc["eventNotifications"] for s in _qbo_legacy(n)]
    else:
        raise WebhookRejected(400, "not a QuickBooks webhook payload")
    return [s for s in signals if realm_id is None or s.account == str(realm_id)]


# -- HubSpot ----------------------------------------------------------------------------------


def hubspot_signature_v3(method: str, uri: str, body: bytes, timestamp: str, secret: str) -> str:
    """X-HubSpot-Signature-v3: base64 HMAC-SHA256(secret, method + uri + body + timestamp)."""
    message = method.upper().encode("utf-8") + uri.encode("utf-8") + body + timestamp.encode("utf-8")
    return base64.b64encode(_mac(secret, message)).decode("ascii")


def _hubspot_uri_variants(uri: str) -> list[str]:
    """The URI as received and with the characters HubSpot decodes before signing decoded."""
    decoded = uri
    for encoded, char in HUBSPOT_URI_DECODE.items():
        decoded = decoded.replace(encoded, char).replace(encoded.lower(), char)
    return [uri] if decoded == uri else [uri, decoded]


def verify_hubspot_v3(
    method: str, uri: str, body: bytes, signature: str | None, timestamp: str | None, secret: str | None, now: float
) -> None:
    """Raise WebhookRejected(401) unless the v3 signature matches and the ms timestamp is within 5 min of `now` (s)."""
    given = _require(signature, secret)
    assert secret is not None
    stamp = (timestamp or "").strip()
    if not stamp.isascii() or not stamp.isdigit():
        raise WebhookRejected(401, "missing or malformed X-HubSpot-Request-Timestamp")
    if abs(now * 1000 - int(stamp)) > HUBSPOT_MAX_SKEW_MS:
        raise WebhookRejected(401, "X-HubSpot-Request-Timestamp outside the 5 minute window")
    matches = [
        _same(hubspot_signature_v3(method, variant, body, stamp, secret), given)
        for variant in _hubspot_uri_variants(uri)
    ]
    if not any(matches):
        raise WebhookRejected(401, "invalid X-HubSpot-Signature-v3")


def public_uri(public_url: str | None, request_url: str) -> str:
    """The URI HubSpot signed: PUBLIC_URL's scheme and host (and path prefix) + the request's path and query."""
    if not public_url:
        return request_url
    base = urlsplit(public_url.strip())
    req = urlsplit(request_url)
    prefix = base.path.rstrip("/")
    path = req.path or "/"
    if prefix and not (path == prefix or path.startswith(prefix + "/")):
        path = prefix + path
    return f"{base.scheme}://{base.netloc}{path}" + (f"?{req.query}" if req.query else "")


def _hubspot_event(event: Any) -> Signal | None:
    """One HubSpot webhook event as a signal; None if unusable."""
    if not isinstance(event, dict) or not isinstance(event.get("subscriptionType"), str):
        return None
    kind, _, verb = event["subscriptionType"].partition(".")
    if not verb:
        return None
    entity = kind.lower()
    if entity == "object":
        entity = HUBSPOT_OBJECT_TYPES.get(str(event.get("objectTypeId")), str(event.get("objectTypeId")))
    entity_id = _text(event.get("objectId")) or _text(event.get("fromObjectId"))
    if entity_id is None:
        return None
    detail = {k: event[k] for k in HUBSPOT_DETAIL_KEYS if k in event}
    return Signal(
        "hubspot",
        entity,
        entity_id,
        HUBSPOT_ACTIONS.get(verb, verb),
        _text(event.get("portalId")),
        _millis(event.get("occurredAt")),
        detail,
    )


def parse_hubspot(body: bytes, portal_id: str | None) -> list[Signal]:
    """Signals of a HubSpot delivery (a JSON array of events); other portals are dropped when `portal_id` is set."""
    doc = _load(body)
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list):
        raise WebhookRejected(400, "not a HubSpot webhook payload")
    signals = [s for s in map(_hubspot_event, doc) if s is not None]
    return [s for s in signals if portal_id is None or s.account == str(portal_id)]


# -- Asana ------------------------------------------------------------------------------------


def asana_handshake(headers: Mapping[str, str]) -> str | None:
    """The X-Hook-Secret of a handshake request (to echo back and store), None for a normal delivery."""
    for name, value in headers.items():
        if name.lower() == "x-hook-secret" and value:
            return value
    return None


def asana_signature(body: bytes, secret: str) -> str:
    """X-Hook-Signature: hex HMAC-SHA256(secret, raw body)."""
    return _mac(secret, body).hex()


def verify_asana(body: bytes, signature: str | None, secret: str | None) -> None:
    """Raise WebhookRejected(401) unless `signature` is the hex HMAC of `body` with the handshake secret."""
    given = _require(signature, secret)
    assert secret is not None
    if not _same(asana_signature(body, secret), given.lower()):
        raise WebhookRejected(401, "invalid X-Hook-Signature")


def _compact(value: Any) -> Any:
    """A compact resource ({gid, resource_type, ...}) reduced to its gid and type; scalars unchanged."""
    if isinstance(value, dict) and "gid" in value:
        return {k: value[k] for k in ("gid", "resource_type", "resource_subtype", "name") if k in value}
    return value


def _asana_event(event: Any) -> Signal | None:
    """One Asana event as a signal; None if unusable."""
    if not isinstance(event, dict):
        return None
    resource = event.get("resource")
    if not isinstance(resource, dict) or _text(resource.get("gid")) is None or not isinstance(event.get("action"), str):
        return None
    detail: dict[str, Any] = {}
    if resource.get("resource_subtype"):
        detail["resource_subtype"] = resource["resource_subtype"]
    if isinstance(event.get("parent"), dict):
        detail["parent"] = _compact(event["parent"])
    if isinstance(event.get("user"), dict):
        detail["user"] = _compact(event["user"])
    change = event.get("change")
    if isinstance(change, dict):
        detail["change"] = {
            k: _compact(change[k])
            for k in ("field", "action", "new_value", "added_value", "removed_value")
            if k in change
        }
    return Signal(
        "asana",
        str(resource.get("resource_type") or "unknown"),
        str(resource["gid"]),
        event["action"],
        None,
        _iso(event.get("created_at")),
        detail,
    )


def parse_asana(body: bytes) -> list[Signal]:
    """Signals of an Asana delivery {"events": [...]}; an empty list (heartbeat) gives none."""
    doc = _load(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
        raise WebhookRejected(400, "not an Asana webhook payload")
    return [s for s in map(_asana_event, doc["events"]) if s is not None]
