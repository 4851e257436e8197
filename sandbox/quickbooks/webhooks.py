"""Webhook sender of the QuickBooks emulator: deliveries as Intuit sends them, signed with the verifier."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

Format = Literal["cloudevents", "legacy"]
# Legacy operation names (as the change feed records them) -> the verbs of CloudEvents types.
PAST_TENSE = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Merge": "merged",
    "Void": "voided",
    "Emailed": "emailed",
}


class QuickBooksWebhooks:
    """Mixin for QuickBooksEmulator: `webhook_delivery` and a queue of recorded entity changes."""

    realm_id: str
    webhook_verifier: str
    webhook_changes: list[tuple[str, str, str]]  # (entity name, id, operation) not yet delivered
    now: Callable[[], datetime]  # the emulator's clock

    def record_change(self, name: str, entity_id: str, operation: str) -> None:
        """Remember an entity change for the next `pending_webhook_delivery`."""
        self.webhook_changes.append((name, entity_id, operation))

    def webhook_delivery(
        self, entities: list[tuple[str, str, str]], *, format: Format = "cloudevents", realm_id: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Body and headers of one delivery of (name, id, operation) changes, signed as Intuit signs."""
        realm = realm_id or self.realm_id
        at = self.now().astimezone(UTC)
        stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if format == "cloudevents":
            doc: object = [
                {
                    "specversion": "1.0",
                    "id": str(uuid.uuid4()),
                    "source": f"intuit.sandbox.{realm}",
                    "type": f"qbo.{name.lower()}.{PAST_TENSE.get(op, op.lower())}.v1",
                    "datacontenttype": "application/json",
                    "time": stamp,
                    "intuitentityid": entity_id,
                    "intuitaccountid": realm,
                    "data": {},
                }
                for name, entity_id, op in entities
            ]
        elif format == "legacy":
            doc = {
                "eventNotifications": [
                    {
                        "realmId": realm,
                        "dataChangeEvent": {
                            "entities": [
                                {"name": name, "id": entity_id, "operation": op, "lastUpdated": stamp}
                                for name, entity_id, op in entities
                            ]
                        },
                    }
                ]
            }
        else:
            raise ValueError(f"unknown webhook format {format!r}")
        body = json.dumps(doc, separators=(",", ":")).encode()
        signature = base64.b64encode(hmac.new(self.webhook_verifier.encode(), body, hashlib.sha256).digest()).decode()
        return body, {"intuit-signature": signature, "Content-Type": "application/json"}

    def pending_webhook_delivery(self, *, format: Format = "cloudevents") -> tuple[bytes, dict[str, str]] | None:
        """What Intuit would send now for the recorded changes (and forget them); None when there are none."""
        if not self.webhook_changes:
            return None
        changes, self.webhook_changes = list(self.webhook_changes), []
        return self.webhook_delivery(changes, format=format)
