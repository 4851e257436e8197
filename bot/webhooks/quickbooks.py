"""QuickBooks Online webhooks: the intuit-signature, CloudEvents and legacy eventNotifications."""

from __future__ import annotations

import base64
from typing import Any, Final

from bot.webhooks.common import Signal, WebhookRejected, iso, load, mac, require, same, text

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


def quickbooks_signature(body: bytes, verifier: str) -> str:
    """The `intuit-signature` Intuit sends: base64 HMAC-SHA256(verifier, raw body)."""
    return base64.b64encode(mac(verifier, body)).decode("ascii")


def verify_quickbooks(body: bytes, signature: str | None, verifier: str | None) -> None:
    """Raise WebhookRejected(401) unless `signature` is Intuit's signature of `body`."""
    given = require(signature, verifier)
    assert verifier is not None
    if not same(quickbooks_signature(body, verifier), given):
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
    entity_id = text(event.get("intuitentityid"))
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
        text(event.get("intuitaccountid")),
        iso(event.get("time")),
        detail,
    )


def _qbo_legacy(notification: Any) -> list[Signal]:
    """The entities of one legacy `eventNotifications` entry as signals."""
    if not isinstance(notification, dict):
        return []
    realm = text(notification.get("realmId"))
    change = notification.get("dataChangeEvent")
    entities = change.get("entities") if isinstance(change, dict) else None
    signals = []
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, dict):
            continue
        name, entity_id, op = entity.get("name"), text(entity.get("id")), entity.get("operation")
        if not isinstance(name, str) or not isinstance(op, str) or entity_id is None:
            continue
        detail: dict[str, Any] = {"operation": op}
        if text(entity.get("deletedId")):
            detail["deleted_id"] = text(entity.get("deletedId"))
        signals.append(
            Signal(
                "quickbooks",
                _qbo_entity(name),
                entity_id,
                QBO_OPERATIONS.get(op.lower(), op.lower()),
                realm,
                iso(entity.get("lastUpdated")),
                detail,
            )
        )
    return signals


def parse_quickbooks(body: bytes, realm_id: str | None) -> list[Signal]:
    """Signals of a QBO delivery (CloudEvents array or legacy eventNotifications) for `realm_id` only."""
    doc = load(body)
    if isinstance(doc, list):
        signals = [s for s in map(_qbo_cloudevent, doc) if s is not None]
    elif isinstance(doc, dict) and isinstance(doc.get("eventNotifications"), list):
        signals = [s for n in doc["eventNotifications"] for s in _qbo_legacy(n)]
    else:
        raise WebhookRejected(400, "not a QuickBooks webhook payload")
    return [s for s in signals if realm_id is None or s.account == str(realm_id)]
