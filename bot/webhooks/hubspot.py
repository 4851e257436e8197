"""HubSpot webhooks: the v3 signature over the public URI, and the event array."""

from __future__ import annotations

import base64
from typing import Any, Final
from urllib.parse import urlsplit

from bot.webhooks.common import Signal, WebhookRejected, load, mac, millis, require, same, text

HUBSPOT_MAX_SKEW_MS: Final = 5 * 60 * 1000

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


def hubspot_signature_v3(method: str, uri: str, body: bytes, timestamp: str, secret: str) -> str:
    """X-HubSpot-Signature-v3: base64 HMAC-SHA256(secret, method + uri + body + timestamp)."""
    message = method.upper().encode("utf-8") + uri.encode("utf-8") + body + timestamp.encode("utf-8")
    return base64.b64encode(mac(secret, message)).decode("ascii")


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
    given = require(signature, secret)
    assert secret is not None
    stamp = (timestamp or "").strip()
    if not stamp.isascii() or not stamp.isdigit():
        raise WebhookRejected(401, "missing or malformed X-HubSpot-Request-Timestamp")
    if abs(now * 1000 - int(stamp)) > HUBSPOT_MAX_SKEW_MS:
        raise WebhookRejected(401, "X-HubSpot-Request-Timestamp outside the 5 minute window")
    matches = [
        same(hubspot_signature_v3(method, variant, body, stamp, secret), given)
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
    entity_id = text(event.get("objectId")) or text(event.get("fromObjectId"))
    if entity_id is None:
        return None
    detail = {k: event[k] for k in HUBSPOT_DETAIL_KEYS if k in event}
    return Signal(
        "hubspot",
        entity,
        entity_id,
        HUBSPOT_ACTIONS.get(verb, verb),
        text(event.get("portalId")),
        millis(event.get("occurredAt")),
        detail,
    )


def parse_hubspot(body: bytes, portal_id: str | None) -> list[Signal]:
    """Signals of a HubSpot delivery (a JSON array of events); other portals are dropped when `portal_id` is set."""
    doc = load(body)
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list):
        raise WebhookRejected(400, "not a HubSpot webhook payload")
    signals = [s for s in map(_hubspot_event, doc) if s is not None]
    return [s for s in signals if portal_id is None or s.account == str(portal_id)]
