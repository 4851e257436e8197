"""Webhook sender of the HubSpot emulator: event arrays signed with signature v3 (and v1).

Deal property changes queue two events each, as an app subscribed both ways receives them:
the legacy `deal.propertyChange` and the generic `object.propertyChange` (objectTypeId
"0-3", with `isSensitive`), each with its own eventId. `pending_webhook_delivery(url)` is
what HubSpot would POST now; `webhook_retry(body, url)` is a redelivery of it (same eventIds,
attemptNumber + 1). HubSpot does not promise any order: `shuffle=True` mixes the events.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import random
import time
import zlib
from typing import Any

from sandbox.book import PORTAL_ID

APP_ID = 1160452  # the bot's private app: its writes come back with sourceId = this
OTHER_APP_ID = 2209117  # another integration in the portal
# object type -> (legacy subscription prefix, objectTypeId) of the objects whose changes are queued
SUBSCRIBED = {"deals": ("deal", "0-3")}
_event_ids = itertools.count(100_000_001)


def _subscription_id(kind: str, property_name: str = "") -> int:
    """A subscription per event type (and property, for propertyChange), as an app's settings list them."""
    key = f"{kind}/{property_name}" if property_name else kind
    return 2_400_000 + zlib.crc32(key.encode()) % 1000


class HubSpotWebhooks:
    """Mixin for HubSpotEmulator: build events, queue property changes, sign deliveries with the app secret."""

    app_secret: str
    webhook_queue: list[dict]  # events not delivered yet

    def webhook_event(
        self,
        subscription_type: str,
        object_id: str | int,
        *,
        portal_id: str | int = PORTAL_ID,
        occurred_at_ms: int | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """One event as HubSpot sends it (propertyName, propertyValue, ... via `extra`)."""
        event: dict[str, Any] = {
            "eventId": next(_event_ids),
            "subscriptionId": _subscription_id(subscription_type),
            "portalId": int(portal_id),
            "appId": APP_ID,
            "occurredAt": occurred_at_ms if occurred_at_ms is not None else int(time.time() * 1000),
            "subscriptionType": subscription_type,
            "attemptNumber": 0,
            "objectId": int(object_id),
            "changeFlag": "NEW" if subscription_type.endswith(".creation") else "UPDATED",
            "changeSource": "CRM_UI",
        }
        event.update(extra)
        return event

    def queue_property_change(
        self, type_: str, object_id: str, name: str, value: str | None, *, source: tuple[str, str], occurred_at_ms: int
    ) -> None:
        """Queue the legacy and the generic propertyChange events of one changed property."""
        if type_ not in SUBSCRIBED:
            return
        prefix, type_id = SUBSCRIBED[type_]
        change_source, source_id = source
        common = {
            "portalId": int(PORTAL_ID),
            "appId": APP_ID,
            "occurredAt": occurred_at_ms,
            "attemptNumber": 0,
            "objectId": int(object_id),
            "propertyName": name,
            "propertyValue": value or "",
            "changeSource": change_source,
            "sourceId": source_id,
        }
        legacy = f"{prefix}.propertyChange"
        self.webhook_queue.append(
            {
                "eventId": next(_event_ids),
                "subscriptionId": _subscription_id(legacy, name),
                "subscriptionType": legacy,
                **common,
            }
        )
        self.webhook_queue.append(
            {
                "eventId": next(_event_ids),
                "subscriptionId": _subscription_id("object.propertyChange", name),
                "subscriptionType": "object.propertyChange",
                "objectTypeId": type_id,
                **common,
                "isSensitive": False,
            }
        )

    def pending_webhook_delivery(
        self, url: str, *, shuffle: bool = False, seed: int | None = None
    ) -> tuple[bytes, dict[str, str]] | None:
        """What HubSpot would POST to `url` now for the queued events (and forget them); None when none."""
        if not self.webhook_queue:
            return None
        events, self.webhook_queue = list(self.webhook_queue), []
        if shuffle:
            random.Random(seed).shuffle(events)
        return self.webhook_delivery(events, url)

    def webhook_retry(self, body: bytes, url: str) -> tuple[bytes, dict[str, str]]:
        """A redelivery of a delivery's `body`: the same events and eventIds, attemptNumber one higher."""
        events = [{**event, "attemptNumber": event.get("attemptNumber", 0) + 1} for event in json.loads(body)]
        return self.webhook_delivery(events, url)

    def webhook_delivery(
        self, events: list[dict], url: str, *, timestamp_ms: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Body and headers of a POST of `events` to the full public `url`, signed v3 with the app secret."""
        body = json.dumps(events, separators=(",", ":")).encode()
        stamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
        key = self.app_secret.encode()
        v3 = base64.b64encode(hmac.new(key, b"POST" + url.encode() + body + stamp.encode(), hashlib.sha256).digest())
        v1 = hashlib.sha256(key + body).hexdigest()
        return body, {
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": v3.decode(),
            "X-HubSpot-Request-Timestamp": stamp,
            "X-HubSpot-Signature": v1,
            "X-HubSpot-Signature-Version": "v1",
        }
