"""Webhook sender of the Asana emulator: the X-Hook-Secret handshake and signed event deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from sandbox.book import PEOPLE


class AsanaWebhooks:
    """Mixin for AsanaEmulator: handshake headers, events, X-Hook-Signature deliveries."""

    webhook_secret: str | None = None  # the last secret handed out in a handshake

    def webhook_handshake_headers(self) -> dict[str, str]:
        """Headers of the handshake POST: a fresh X-Hook-Secret the receiver must echo and keep."""
        self.webhook_secret = secrets.token_hex(16)
        return {"X-Hook-Secret": self.webhook_secret, "Content-Type": "application/json"}

    def webhook_event(
        self,
        action: str,
        resource_type: str,
        gid: str,
        *,
        subtype: str | None = None,
        parent: dict[str, Any] | None = None,
        change: dict[str, Any] | None = None,
        created_at: datetime | None = None,
    ) -> dict[str, Any]:
        """One event as Asana sends it (compact resource, parent, user, change)."""
        resource: dict[str, Any] = {"gid": gid, "resource_type": resource_type}
        if subtype is not None:
            resource["resource_subtype"] = subtype
        event: dict[str, Any] = {
            "user": {"gid": PEOPLE[0].asana_gid, "resource_type": "user"},
            "created_at": (created_at or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "action": action,
            "resource": resource,
            "parent": parent,
        }
        if change is not None:
            event["change"] = change
        return event

    def webhook_delivery(self, events: list[dict], secret: str) -> tuple[bytes, dict[str, str]]:
        """Body and headers of a delivery of `events`, signed with the handshake `secret`."""
        body = json.dumps({"events": events}, separators=(",", ":")).encode()
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return body, {"X-Hook-Signature": signature, "Content-Type": "application/json"}
