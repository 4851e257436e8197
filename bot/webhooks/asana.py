"""Asana webhooks: the X-Hook-Secret handshake, the X-Hook-Signature, and the events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.webhooks.common import Signal, WebhookRejected, iso, load, mac, require, same, text


def asana_handshake(headers: Mapping[str, str]) -> str | None:
    """The X-Hook-Secret of a handshake request (to echo back and store), None for a normal delivery."""
    for name, value in headers.items():
        if name.lower() == "x-hook-secret" and value:
            return value
    return None


def asana_signature(body: bytes, secret: str) -> str:
    """X-Hook-Signature: hex HMAC-SHA256(secret, raw body)."""
    return mac(secret, body).hex()


def verify_asana(body: bytes, signature: str | None, secret: str | None) -> None:
    """Raise WebhookRejected(401) unless `signature` is the hex HMAC of `body` with the handshake secret."""
    given = require(signature, secret)
    assert secret is not None
    if not same(asana_signature(body, secret), given.lower()):
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
    if not isinstance(resource, dict) or text(resource.get("gid")) is None or not isinstance(event.get("action"), str):
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
        iso(event.get("created_at")),
        detail,
    )


def parse_asana(body: bytes) -> list[Signal]:
    """Signals of an Asana delivery {"events": [...]}; an empty list (heartbeat) gives none."""
    doc = load(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
        raise WebhookRejected(400, "not an Asana webhook payload")
    return [s for s in map(_asana_event, doc["events"]) if s is not None]
