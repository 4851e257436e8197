"""NetSuite's REST error envelope: {type, title, status, o:errorDetails: [{detail, o:errorCode, ...}]}."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

RFC9110 = "https://www.rfc-editor.org/rfc/rfc9110.html#section-"
# Current accounts answer RFC 9110 addresses (older ones rfc2616-sec10 addresses).
TYPES = {
    400: RFC9110 + "15.5.1",
    401: RFC9110 + "15.5.2",
    403: RFC9110 + "15.5.4",
    404: RFC9110 + "15.5.5",
    405: RFC9110 + "15.5.6",
    415: RFC9110 + "15.5.16",
    429: "https://www.rfc-editor.org/rfc/rfc6585.html#section-4",
    500: RFC9110 + "15.6.1",
    503: RFC9110 + "15.6.4",
}
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
ERROR_TYPE = "application/vnd.oracle.resource+json; type=error"
INVALID_LOGIN = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)
SEARCH_ERROR = "Invalid search query. Detailed unprocessed description follows. Search error occurred: "
# *unconfirmed*: the code and wording of the concurrency refusal (CONCURRENCY_LIMIT_EXCEEDED is widely reported).
CONCURRENCY = ("Concurrent request limit exceeded. Request blocked.", "CONCURRENCY_LIMIT_EXCEEDED")


def problem(status: int, detail: str, code: str, **where: str) -> web.Response:
    """One error in NetSuite's envelope; `where` adds o:errorQueryParam / o:errorHeader / o:errorPath."""
    item: dict[str, Any] = {"detail": detail}
    item.update({f"o:{key}": value for key, value in where.items()})
    item["o:errorCode"] = code
    body = {
        "type": TYPES.get(status, RFC9110 + "15.5.1"),
        "title": TITLES.get(status, "Error"),
        "status": status,
        "o:errorDetails": [item],
    }
    return web.Response(status=status, text=json.dumps(body), headers={"Content-Type": ERROR_TYPE})


def invalid_login() -> web.Response:
    """The 401 every authentication failure gets, whatever the reason."""
    return problem(401, INVALID_LOGIN, "INVALID_LOGIN")


def bad_query(detail: str) -> web.Response:
    """A SuiteQL query NetSuite cannot run."""
    return problem(400, SEARCH_ERROR + detail, "INVALID_PARAMETER", errorQueryParam="q")


def bad_parameter(name: str, detail: str) -> web.Response:
    """An invalid URL query parameter (limit, offset)."""
    return problem(400, detail, "INVALID_PARAMETER", errorQueryParam=name)


def too_many_requests() -> web.Response:
    """Over the account's concurrency limit (no Retry-After: *unconfirmed* whether NetSuite sends one)."""
    return problem(429, *CONCURRENCY)


def not_found(path: str) -> web.Response:
    """A record id that does not exist."""
    return problem(
        404, "The record instance does not exist. Provide a valid record instance ID.", "NONEXISTENT_ID", errorUrl=path
    )


def wrong_type() -> web.Response:
    """A transaction id of another type (a payment read as an invoice)."""
    return problem(400, "Error while accessing a resource. Transaction type specified is incorrect.", "USER_ERROR")


def invalid_content(detail: str = "Invalid content in the request body.", path: str | None = None) -> web.Response:
    """A request body NetSuite cannot use."""
    return problem(400, detail, "INVALID_CONTENT", **({"errorPath": path} if path else {}))


def insufficient_permission(permission: str) -> web.Response:
    """The role lacks a permission the record needs (*unconfirmed* wording)."""
    return problem(
        403,
        f"Permission Violation: You need a higher level of the '{permission}' permission to access "
        "this page. Please contact your account administrator.",
        "INSUFFICIENT_PERMISSION",
    )
