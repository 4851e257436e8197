"""Webhook sender of the HubSpot emulator: event arrays signed with signature v3 (and v1)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
import zlib
from typing import Any

from sandbox.book import PORTAL_ID

APP_ID = 1160452
_event_ids = itertools.count(100_000_001)


class HubSpotWebhooks:
    """Mixin for HubSpotEmulator: build events and sign deliveries with the app secret."""

    app_secret: str

    def webhook_event(self, subscription_type: str, object_id: str | int, *, portal_id: str | int = PORTAL_ID,
                      occurred_at_ms: int | None = None, **extra: Any) -> dict[str, Any]:
        """One event as HubSpot sends it (propertyName, propertyValue, ... via `extra`)."""
        event: dict[str, Any] = {
            "eventId": next(_event_ids), "subscriptionId": 2_400_000 + zlib.crc32(subscription_type.encode()) % 1000,
            "portalId": int(portal_id), "appId": APP_ID,
            "occurredAt": occurred_at_ms if occurred_at_ms is not None else int(time.time() * 1000),
            "subscriptionType": subscription_type, "attemptNumber": 0, "objectId": int(object_id),
            "changeFlag": "NEW" if subscription_type.endswith(".creation") else "UPDATED", "changeSource": "CRM_UI"}
        event.update(extra)
        return event

    def webhook_delivery(self, events: list[dict], url: str, *,
                         timestamp_ms: int | None = None) -> tuple[bytes, dict[str, str]]:
        """Body and headers of a POST of `events` to the full public `url`, signed v3 with the app secret."""
        body = json.dumps(events, separators=(",", ":")).encode()
        stamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
        key = self.app_secret.encode()
        v3 = base64.b64encode(hmac.new(key, b"POST" + url.encode() + body + stamp.encode(), hashlib.sha256).digest())
        v1 = hashlib.sha256(key + body).hexdigest()
        return body, {"Content-Type": "application/json", "X-HubSpot-Signature-v3": v3.decode(),
                      "X-HubSpot-Request-Timestamp": stamp, "X-HubSpot-Signature": v1,
                      "X-HubSpot-Signature-Version": "v1"}
