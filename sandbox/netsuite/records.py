"""The REST record API's invoice: its JSON, and which fields a PATCH may set."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sandbox.netsuite.ledger import Ledger, Txn

RECORD_PATH = "/services/rest/record/v1"
READ_ONLY = {
    "id",
    "links",
    "total",
    "amountRemaining",
    "amountPaid",
    "status",
    "lastModifiedDate",
    "currency",
    "entity",
    "tranDate",
    "dueDate",
    "tranId",
    "item",
}  # read-only here: the emulator edits no money
TEXT_MAX = 300  # a free-form text custom field holds at most 300 characters


class PatchRefused(Exception):
    """A PATCH body NetSuite refuses; `path` names the field."""

    def __init__(self, detail: str, path: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.path = path


def invoice_json(txn: Txn, ledger: Ledger, base_url: str, *, expand: bool) -> dict[str, Any]:
    """An invoice as `GET /record/v1/invoice/{id}` shows it (sublists inlined with expandSubResources)."""
    href = f"{base_url}{RECORD_PATH}/invoice/{txn.id}"
    unpaid = txn.unpaid or 0
    body: dict[str, Any] = {
        "links": [{"rel": "self", "href": href}],
        "id": str(txn.id),
        "tranId": txn.tranid,
        "tranDate": txn.trandate.isoformat(),
        "total": float(txn.total),
        "amountRemaining": float(unpaid),
        "amountPaid": float(txn.total - unpaid),
        "currency": _ref(base_url, "currency", txn.currency, ledger.currency_name(txn.currency)),
        "entity": _ref(base_url, "customer", txn.entity, ledger.customers[txn.entity]),
        "status": {"id": "Open" if unpaid > 0 else "Paid In Full", "refName": "Open" if unpaid > 0 else "Paid In Full"},
        "lastModifiedDate": txn.modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if txn.duedate:
        body["dueDate"] = txn.duedate.isoformat()
    if txn.memo:
        body["memo"] = txn.memo
    body.update(sorted(txn.custom.items()))
    if expand:
        lines = [
            {"links": [], "line": n, "description": desc, "amount": float(amount), "quantity": 1.0}
            for n, (desc, amount) in enumerate(txn.lines, 1)
        ]
        body["item"] = {
            "links": [{"rel": "self", "href": href + "/item"}],
            "items": lines,
            "count": len(lines),
            "hasMore": False,
            "offset": 0,
            "totalResults": len(lines),
        }
    else:
        body["item"] = {"links": [{"rel": "self", "href": href + "/item"}]}
    return body


def _ref(base_url: str, kind: str, rid: int, name: str) -> dict[str, Any]:
    return {
        "links": [{"rel": "self", "href": f"{base_url}{RECORD_PATH}/{kind}/{rid}"}],
        "id": str(rid),
        "refName": name,
    }


def check_patch(body: Any, writable: set[str]) -> dict[str, str | None]:
    """The fields a PATCH body sets (None clears); PatchRefused for anything NetSuite would refuse."""
    if not isinstance(body, dict):
        raise PatchRefused("Invalid content in the request body.", "")
    changes: dict[str, str | None] = {}
    for name, value in body.items():
        if name in READ_ONLY:
            raise PatchRefused(f"Error while accessing a resource. You cannot set the read-only field '{name}'.", name)
        if name not in writable:  # *unconfirmed* wording; NetSuite refuses fields the record lacks
            raise PatchRefused(
                f"Error while accessing a resource. The field '{name}' does not exist on the invoice record.", name
            )
        if not isinstance(value, str):  # *unconfirmed*: whether null clears; '' does
            raise PatchRefused(
                f"Error while accessing a resource. You have entered an Invalid Field Value "
                f"{value!r} for the following field: {name}",
                name,
            )
        if len(value) > TEXT_MAX:
            raise PatchRefused(
                f"Error while accessing a resource. The field {name} holds at most {TEXT_MAX} characters.", name
            )
        changes[name] = value or None
    return changes
