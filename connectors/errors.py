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


class UnavailableError(ConnectorError):
    """The service could not be reached, timed out or answered 5xx after retries."""


class RateLimitedError(ConnectorError):
    """Still rate limited after the retries; `retry_after` seconds, if the service said."""

    def __init__(self, system: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(system, message)
        self.retry_after = retry_after


class NotFoundError(ConnectorError):
    """The record does not exist (or is not visible to this token)."""


class ConfigError(ConnectorError):
    """The connector is misconfigured (missing custom field, bad base URL, ...)."""
