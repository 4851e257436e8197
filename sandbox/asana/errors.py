"""Asana's error envelope and the refusal the handlers raise."""

from __future__ import annotations

from typing import Any, Final

HELP: Final = (
    "For more information on API status codes and how to handle them, "
    "read the docs on errors: https://developers.asana.com/docs/errors"
)
# developers.asana.com/docs/rate-limits, verbatim.
RATE_LIMITED: Final = "You've made too many requests and hit a rate limit. Please retry after the given amount of time."


class AsanaError(Exception):
    """Answer with `status` and Asana's error envelope."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def missing(name: str) -> AsanaError:
    """The documented refusal of a required field left out: "name: Missing input"."""
    return AsanaError(400, f"{name}: Missing input")


def check_gid(name: str, value: Any) -> str:
    """A gid sent in a body or query field: a string of digits, else 400 as Asana words it."""
    if not isinstance(value, str):
        raise AsanaError(400, f"{name}: Not a valid GID type: {json_type(value)}")
    if not value.isdigit():
        raise AsanaError(400, f"{name}: Not a recognized ID: {value}")
    return value


def no_access(kind: str) -> AsanaError:
    """403 for an object the token's user may not see (a team it is not in, or what that team holds)."""
    return AsanaError(403, f"You do not have access to this {kind}.")


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value, as error messages name it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


class RateLimited(AsanaError):
    """429 with Retry-After, in Asana's words."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(429, RATE_LIMITED)
        self.retry_after = retry_after
