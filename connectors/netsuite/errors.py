"""NetSuite's error answers mapped into connectors.errors, with messages that say what to fix."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from connectors.errors import AuthError, ConnectorError, error_for_status
from connectors.netsuite.auth import SYSTEM

LOGIN_HINT = (
    "NetSuite refused the login (401 INVALID_LOGIN): check NETSUITE_CONSUMER_KEY / "
    "NETSUITE_CONSUMER_SECRET and NETSUITE_TOKEN_ID / NETSUITE_TOKEN_SECRET, the role's permissions "
    "(Log in using Access Tokens, REST Web Services), and that NETSUITE_ACCOUNT_ID matches the account "
    "(sandbox accounts end in _SB1); NetSuite's Login Audit Trail shows the reason"
)
# The permission a SuiteQL table needs: a role without it gets "Record 'x' was not found".
TABLE_PERMISSIONS = {
    "transaction": "Transactions > Find Transaction, plus Invoice and Customer Payment (View)",
    "nexttransactionlinelink": "Transactions > Find Transaction",
    "currency": "Lists > Currency (View)",
}
_RECORD_NOT_FOUND = re.compile(r"Record '([^']+)' was not found")
_FIELD_NOT_FOUND = re.compile(r"Field '([^']+)' for record '([^']+)' was not found")


class NetSuiteError(ConnectorError):
    """A request NetSuite refused (400 and other 4xx): its status, o:errorCode and detail."""

    def __init__(self, status: int, code: str, detail: str, *, query: str | None = None) -> None:
        shown = f" in query: {query[:300]}" if query else ""
        super().__init__(SYSTEM, f"{status} {code}: {detail}{shown}")
        self.status = status
        self.code = code
        self.detail = detail
        self.query = query

    @property
    def missing_field(self) -> str | None:
        """The field a query named that NetSuite does not know (or does not show this role)."""
        match = _FIELD_NOT_FOUND.search(self.detail)
        return match.group(1) if match else None


def first_detail(text: str) -> tuple[str, str, dict[str, Any]]:
    """(o:errorCode, detail, the whole first error) of a NetSuite error body; blanks when unreadable."""
    try:
        body = json.loads(text)
        item = (body.get("o:errorDetails") or [{}])[0]
    except (ValueError, AttributeError, IndexError, TypeError):
        return "", text[:300], {}
    if not isinstance(item, dict):
        return "", text[:300], {}
    return str(item.get("o:errorCode") or ""), str(item.get("detail") or body.get("title") or ""), item


def classify(status: int, text: str, headers: Mapping[str, str], *, query: str | None = None) -> ConnectorError:
    """The ConnectorError for one failed answer (`query` is the SuiteQL text, if any)."""
    code, detail, _ = first_detail(text)
    if status == 400 and "transaction type specified is incorrect" in detail.lower():
        status = 404  # the id is a transaction of another type: no such record of this one
    failure = error_for_status(
        SYSTEM, status, _status_message(status, code, detail), _seconds(headers.get("Retry-After"))
    )
    if type(failure) is not ConnectorError:
        return failure
    table = _RECORD_NOT_FOUND.search(detail)
    if status == 400 and table and not _FIELD_NOT_FOUND.search(detail):
        name = table.group(1).lower()
        return AuthError(
            SYSTEM,
            f"NetSuite shows this role no '{table.group(1)}' records: grant it "
            f"{TABLE_PERMISSIONS.get(name, 'the permission for that record')}",
        )
    return NetSuiteError(status, code or "ERROR", detail, query=query)


def _status_message(status: int, code: str, detail: str) -> str:
    """What to tell for a status the error ladder sorts (401, 403, 404, 429, 5xx); the detail otherwise."""
    if status == 401:
        return LOGIN_HINT
    if status == 403:
        return (
            f"the token's role lacks a permission (403 {code or 'FORBIDDEN'}): {detail} - "
            "grant it in Setup > Users/Roles > Manage Roles"
        )
    if status == 404:
        return detail or "no such record"
    if status == 429:
        return (
            "NetSuite's concurrency limit is reached (429 Too Many Requests; the limit is per account, "
            "shared by every integration): set NETSUITE_CONCURRENCY below the account's limit minus what "
            "the other integrations use (Setup > Integration > Integration Management > Integration "
            "Governance shows both)"
        )
    if status >= 500:
        return f"NetSuite answered {status}: {detail or 'server error'}"
    return detail


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
