"""python-quickbooks, tamed: a per-instance base URL, a plain bearer session, errors sorted
into the connector hierarchy (with the HTTP status and Retry-After the SDK throws away)."""

from __future__ import annotations

import ipaddress
import threading
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from quickbooks.client import QuickBooks
from quickbooks.exceptions import ObjectNotFoundException, QuickbooksException

from connectors.errors import AuthError, ConfigError, ConnectorError, NotFoundError, UnavailableError, error_for_status

SYSTEM = "quickbooks"
MINOR_VERSION = 75  # the minimum QBO still honours
# Custom fields made with QuickBooks' newer custom-field feature come back (and can be written) only
# when the request asks for them; every request asks, so the deal field is read in whichever kind it is.
INCLUDE: Final = "enhancedAllCustomFields"
_last = threading.local()  # the last HTTP response seen by this worker thread


class TokenRejected(AuthError):
    """The access token was refused (401): refresh once, then retry once."""


class StaleObject(ConnectorError):
    """5010 Stale Object Error: the SyncToken sent is no longer the object's; re-read it and try again."""


class BearerSession(requests.Session):
    """What the SDK needs of `qb.session`: `.access_token` and `.request()`.

    Replaces requests-oauthlib's OAuth2Session, which logs the token and the Authorization
    header at DEBUG and refuses http:// unless OAUTHLIB_INSECURE_TRANSPORT is set globally.
    """

    def __init__(self, access_token: str, timeout: float) -> None:
        super().__init__()
        self.access_token = access_token
        self.timeout = timeout

    # requests' stubs spell out every keyword of Session.request; this passes them all through
    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Every request gets a timeout (the SDK sets none)."""
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)

    def __repr__(self) -> str:
        return "<BearerSession>"


class Client(QuickBooks):
    """The SDK client; remembers each response per thread so errors keep status and Retry-After.

    `include_enhanced` (on for the connector) asks every request for the newer custom fields.
    """

    include_enhanced: bool = True

    def process_request(
        self, request_type: str, url: str, headers: Any = "", params: Any = "", data: Any = ""
    ) -> requests.Response:
        _last.response = None
        if self.include_enhanced:
            params = {**(params or {}), "include": INCLUDE}
        response = super().process_request(request_type, url, headers=headers, params=params, data=data)
        _last.response = response
        return response

    def __repr__(self) -> str:
        return f"<quickbooks Client company={self.company_id}>"


def check_url(url: str, what: str) -> str:
    """Refuse plain http:// except on loopback (the sandbox): tokens must not cross the wire in clear."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(SYSTEM, f"{what} must be an http(s) URL, not {url!r}")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ConfigError(SYSTEM, f"{what} uses plain http:// to {parts.hostname}; use https://")
    return url.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_client(
    base_url: str, realm_id: str, access_token: str, timeout: float, *, include_enhanced: bool = True
) -> Client:
    """A fresh SDK client (and session) for one access token: the SDK never updates its session."""
    qb = Client(company_id=realm_id, minorversion=MINOR_VERSION, use_decimal=True)
    qb.include_enhanced = include_enhanced
    qb.sandbox = False
    qb.api_url_v3 = base_url  # instance attribute: the class default is Intuit's production host
    qb.sandbox_api_url_v3 = base_url
    qb.session = BearerSession(access_token, timeout)
    return qb


def invoke(qb: Client, method: str, *args: Any) -> Any:
    """Run one SDK call (in a worker thread); an SDK error gets `http_status` and `retry_after`."""
    _last.response = None
    try:
        return getattr(qb, method)(*args)
    except QuickbooksException as exc:
        response = getattr(_last, "response", None)
        exc.http_status = response.status_code if response is not None else None
        exc.retry_after = _seconds(response.headers.get("Retry-After")) if response is not None else None
        raise


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _code(exc: QuickbooksException) -> int:
    try:
        return int(exc.error_code)
    except (TypeError, ValueError):
        return 0


def _meant_status(status: int | None, code: int) -> int | None:
    """The status an SDK error stands for when it is one of refused (403, or Fault code 3100), throttled
    (429, or 3001) or down (5xx); None otherwise (a 404 or no answer is sorted by its Fault code instead)."""
    if status == 403 or code == 3100:
        return 403
    if status == 429 or code == 3001:
        return 429
    if status is not None and status >= 500:
        return status
    return None


def _status_message(status: int) -> str:
    if status == 403:
        return (
            "QuickBooks refused access to this company (403 ApplicationAuthorizationFailed): "
            "check QBO_REALM_ID and that the app is connected to that company"
        )
    if status == 429:
        return "throttled by QuickBooks (429)"
    return f"QuickBooks answered HTTP {status}"


def classify(exc: BaseException) -> ConnectorError | None:
    """Map an SDK or transport exception to the connector hierarchy (None: not ours)."""
    if isinstance(exc, QuickbooksException):
        status: int | None = getattr(exc, "http_status", None)
        code = _code(exc)
        if status == 401:
            return TokenRejected(SYSTEM, "the access token was refused (401)")
        meant = _meant_status(status, code)
        if meant is not None:
            return error_for_status(SYSTEM, meant, _status_message(meant), getattr(exc, "retry_after", None))
        if isinstance(exc, ObjectNotFoundException) or code == 610:
            return NotFoundError(SYSTEM, "object not found")
        if code == 5010:
            return StaleObject(SYSTEM, "the invoice changed in QuickBooks meanwhile (5010 Stale Object Error)")
        detail = str(exc.detail or "")[:300]
        return ConnectorError(
            SYSTEM, f"QuickBooks error {code or status}: {exc.message}" + (f" ({detail})" if detail else "")
        )
    if isinstance(exc, requests.Timeout):
        return UnavailableError(SYSTEM, "QuickBooks did not answer in time")
    if isinstance(exc, requests.ConnectionError):
        return UnavailableError(SYSTEM, "QuickBooks could not be reached")
    return None
