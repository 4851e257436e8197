"""What every source shares: the normalized Signal, the rejection, and the HMAC, JSON and time helpers."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

Source = Literal["quickbooks", "hubspot", "asana"]
WEBHOOK_SOURCES: Final[tuple[Source, ...]] = ("quickbooks", "hubspot", "asana")  # NetSuite has no webhooks


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


def mac(secret: str, message: bytes) -> bytes:
    """HMAC-SHA256 of `message` keyed with the UTF-8 secret."""
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def same(expected: str, given: str) -> bool:
    """Constant-time comparison of two header-sized strings (non-ASCII input never matches)."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))


def require(signature: str | None, secret: str | None) -> str:
    """The stripped signature, or a 401 when it or the secret is missing."""
    if not secret:
        raise WebhookRejected(401, "webhook secret is not configured")
    if signature is None or not signature.strip():
        raise WebhookRejected(401, "missing signature")
    return signature.strip()


def load(body: bytes) -> Any:
    """The JSON document of a body, or a 400."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected(400, "body is not valid JSON") from None


def iso(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (naive means UTC), None if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def millis(value: Any) -> datetime | None:
    """Epoch milliseconds as an aware UTC datetime, None if unreadable."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def text(value: Any) -> str | None:
    """A scalar id as a string (ints included), None when absent or not a scalar."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    return str(value) if isinstance(value, (str, int)) else None
