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


def unreachable(service: str, exc: BaseException) -> str:
    """A transport failure in words, e.g. "cannot reach HubSpot at 127.0.0.1:9 (connection refused)".

    urllib3 wraps the socket's error in NewConnectionError inside MaxRetryError, whose text
    repeats the pool, the URL and every layer: only the host and the innermost cause are kept.
    """
    host, port = getattr(getattr(exc, "pool", None), "host", None), getattr(getattr(exc, "pool", None), "port", None)
    where = f" at {host}:{port}" if host else ""
    seen: set[int] = set()
    cause: BaseException | None = exc
    innermost: BaseException = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        innermost = cause
        reason = getattr(cause, "reason", None)
        cause = reason if isinstance(reason, BaseException) else cause.__cause__ or cause.__context__
    return f"cannot reach {service}{where} ({in_words(innermost)})"


def in_words(exc: BaseException) -> str:
    """A socket-level failure in two or three words: "connection refused", "host not found", "timed out"."""
    import socket

    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "host not found"
    if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
        return "timed out"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc).split(":")[-1].strip()
    return text or type(exc).__name__
