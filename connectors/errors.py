"""One exception hierarchy for every connector."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every connector failure; `system` names the backend ("hubspot", ...)."""

    def __init__(self, system: str, message: str) -> None:
        super().__init__(f"{system}: {message}")
        self.system = system
        self.message = message


class AuthError(ConnectorError):
    """The credentials were refused (401/403, invalid_grant): a human must act."""


class MissingScopes(AuthError):
    """The token works but lacks scopes this call needs (HubSpot 403 MISSING_SCOPES); `scopes` names them."""

    def __init__(self, system: str, message: str, scopes: tuple[str, ...]) -> None:
        super().__init__(system, message)
        self.scopes = scopes


class Refused(ConnectorError):
    """The service understood the request and refused its content (400 validation); `details` says why, per item."""

    def __init__(self, system: str, message: str, details: tuple[dict, ...] = ()) -> None:
        super().__init__(system, message)
        self.details = details


class UnavailableError(ConnectorError):
    """The service could not be reached, timed out or answered 5xx after retries."""


class RateLimitedError(ConnectorError):
    """Still rate limited after the retries; `retry_after` seconds, if the service said."""

    def __init__(self, system: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(system, message)
        self.retry_after = retry_after


class NotFoundError(ConnectorError):
    """The record does not exist (or is not visible to this token)."""


class IndexBuilding(ConnectorError):
    """A join index is still being built (the bot has just started): the section comes once it is."""


class ConfigError(ConnectorError):
    """The connector is misconfigured (missing custom field, bad base URL, ...)."""


def error_for_status(system: str, status: int, message: str, retry_after: float | None = None) -> ConnectorError:
    """The failure an HTTP status means: 401/403 auth, 404 not found, 429 rate limited, 0 (no answer) or 5xx
    unavailable, anything else a plain ConnectorError; `retry_after` is kept for a 429 only."""
    if status in (401, 403):
        return AuthError(system, message)
    if status == 404:
        return NotFoundError(system, message)
    if status == 429:
        return RateLimitedError(system, message, retry_after)
    if status == 0 or status >= 500:
        return UnavailableError(system, message)
    return ConnectorError(system, message)
