"""QuickBooks OAuth 2.0 tokens kept in the store: every refresh rotates the refresh token.

Refreshes are serialised in-process by a lock and across processes by compare-and-swap on
the stored version; the new refresh token is stored before the new access token is used.
The environment's refresh token only seeds the store. Tokens never reach a log or a message.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Any

import requests
from sqlalchemy.exc import SQLAlchemyError

from bot.store import Store, TokenRecord
from connectors.errors import AuthError, RateLimitedError, UnavailableError
from connectors.quickbooks.sdk import SYSTEM
from connectors.runtime import Runner

log = logging.getLogger(__name__)

REAUTHORISE = ("QuickBooks refused the stored refresh token (invalid_grant): it was revoked, expired or "
               "used elsewhere. An admin must re-authorise accountbot with QuickBooks (Intuit OAuth consent), "
               "set QBO_REFRESH_TOKEN to the new refresh token and restart.")


class InvalidGrant(AuthError):
    """The token endpoint refused the refresh token."""


class _HideTokenStatements(logging.Filter):
    """aiosqlite logs each statement with its parameters at DEBUG: drop the oauth_tokens ones."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "oauth_tokens" not in str(record.msg) and "oauth_tokens" not in repr(record.args)


def hide_token_statements() -> None:
    """Keep the store's token writes out of DEBUG logs (idempotent)."""
    driver = logging.getLogger("aiosqlite")
    if not any(isinstance(f, _HideTokenStatements) for f in driver.filters):
        driver.addFilter(_HideTokenStatements())


def post_refresh(token_url: str, client_id: str, client_secret: str, refresh_token: str,
                 timeout: float) -> dict[str, Any]:
    """POST grant_type=refresh_token (HTTP Basic client credentials); the token response."""
    try:
        response = requests.post(token_url, data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                                 auth=(client_id, client_secret), headers={"Accept": "application/json"},
                                 timeout=timeout)
    except requests.Timeout:
        raise UnavailableError(SYSTEM, "the token endpoint did not answer in time") from None
    except requests.RequestException:
        raise UnavailableError(SYSTEM, "the token endpoint could not be reached") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    status = response.status_code
    if status == 200 and isinstance(body, dict) and body.get("access_token") and body.get("refresh_token"):
        return body
    if error == "invalid_grant":
        raise InvalidGrant(SYSTEM, REAUTHORISE)
    if status == 401 or error == "invalid_client":
        raise AuthError(SYSTEM, "QuickBooks refused the client credentials (invalid_client): "
                                "check QBO_CLIENT_ID and QBO_CLIENT_SECRET")
    if status == 429:
        retry = response.headers.get("Retry-After")
        raise RateLimitedError(SYSTEM, "the token endpoint is throttling (429)",
                               float(retry) if retry and retry.isdigit() else None)
    if status >= 500:
        raise UnavailableError(SYSTEM, f"the token endpoint answered HTTP {status}")
    raise AuthError(SYSTEM, f"token refresh failed: HTTP {status} {error or 'malformed answer'}")


class TokenManager:
    """The realm's tokens: the stored access token while valid, else one serialised refresh."""

    def __init__(self, store: Store, realm_id: str, client_id: str, client_secret: str, seed_refresh_token: str,
                 token_url: str, runner: Runner, *, margin: float = 60.0, race_wait: float = 3.0,
                 timeout: float = 10.0) -> None:
        self.store = store
        self.key = f"quickbooks:{realm_id}"
        self.margin = margin  # an access token this close to expiry is treated as expired
        self.race_wait = race_wait  # how long to wait for another process's swap after invalid_grant
        self.refreshes = 0
        self._client_id = client_id
        self._client_secret = client_secret
        self._seed = seed_refresh_token
        self._seed_tried = False
        self._token_url = token_url
        self._runner = runner
        self._timeout = timeout
        self._record: TokenRecord | None = None
        self._lock = asyncio.Lock()
        hide_token_statements()

    def __repr__(self) -> str:
        version = self._record.version if self._record else None
        return f"<TokenManager {self.key} version={version}>"

    @property
    def refresh_token_expires_at(self) -> datetime | None:
        """When the current refresh token chain dies (x_refresh_token_expires_in), if known."""
        when = self._record.refresh_expires_at if self._record else None
        return None if when is None else datetime.fromtimestamp(when, timezone.utc)

    def _fresh(self, record: TokenRecord | None) -> bool:
        return bool(record and record.access_token and record.access_expires_at - self.margin > time.time())

    async def _load(self) -> TokenRecord:
        try:
            self._record = await self.store.seed_token(self.key, self._seed)
        except SQLAlchemyError as exc:  # its message would carry the statement's parameters: the token
            raise UnavailableError(SYSTEM, f"the store failed reading the tokens ({type(exc).__name__})") from None
        return self._record

    async def _swap(self, record: TokenRecord, data: dict[str, Any]) -> TokenRecord | None:
        now = time.time()
        try:
            return await self.store.swap_token(
                self.key, record.version, refresh_token=data["refresh_token"], access_token=data["access_token"],
                access_expires_at=now + float(data.get("expires_in") or 3600),
                refresh_expires_at=(now + float(data["x_refresh_token_expires_in"])
                                    if data.get("x_refresh_token_expires_in") else None))
        except SQLAlchemyError as exc:
            raise UnavailableError(SYSTEM, f"the store failed saving the rotated tokens ({type(exc).__name__}); "
                                           "if this persists, re-authorise") from None

    async def access_token(self) -> str:
        """A valid access token: the cached or stored one, else a refresh."""
        record = self._record
        if self._fresh(record):
            assert record is not None and record.access_token
            return record.access_token
        async with self._lock:
            record = await self._load()
            if self._fresh(record):
                assert record.access_token
                return record.access_token
            return await self._refresh(record)

    async def refresh(self, rejected: str) -> str:
        """After a 401 for `rejected`: a newer stored access token if there is one, else refresh."""
        async with self._lock:
            record = await self._load()
            if self._fresh(record) and record.access_token != rejected:
                assert record.access_token
                return record.access_token
            return await self._refresh(record)

    async def _refresh(self, record: TokenRecord) -> str:
        for _ in range(4):
            try:
                data = await self._post(record.refresh_token)
            except InvalidGrant:
                newer = await self._newer_than(record.version)
                if newer is not None:  # another process rotated it first: use its tokens
                    if self._fresh(newer):
                        assert newer.access_token
                        return newer.access_token
                    record = newer
                    continue
                data = await self._try_seed(record)
            swapped = await self._swap(record, data)
            if swapped is not None:
                self._record = swapped
                self.refreshes += 1
                log.info("QuickBooks tokens refreshed and stored (%s, version %d)", self.key, swapped.version)
                assert swapped.access_token
                return swapped.access_token
            log.warning("QuickBooks token refresh lost a race with another process; using the stored tokens")
            record = await self._load()
            if self._fresh(record):
                assert record.access_token
                return record.access_token
        raise AuthError(SYSTEM, "could not obtain a QuickBooks access token: the stored tokens kept changing")

    async def _post(self, refresh_token: str) -> dict[str, Any]:
        return await self._runner.call(post_refresh, self._token_url, self._client_id, self._client_secret,
                                       refresh_token, self._timeout, limiter="token", retry_server_errors=True)

    async def _newer_than(self, version: int) -> TokenRecord | None:
        """Wait a little for a concurrent process to store the token it just rotated."""
        deadline = time.monotonic() + self.race_wait
        pause = 0.02
        while True:
            record = await self.store.get_token(self.key)
            if record is not None and record.version != version:
                self._record = record
                return record
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 0.25)

    async def _try_seed(self, record: TokenRecord) -> dict[str, Any]:
        """An admin re-authorised and put a new QBO_REFRESH_TOKEN in the environment: try it once."""
        if self._seed_tried or self._seed == record.refresh_token:
            raise AuthError(SYSTEM, REAUTHORISE)
        self._seed_tried = True
        try:
            data = await self._post(self._seed)
        except InvalidGrant:
            raise AuthError(SYSTEM, REAUTHORISE) from None
        log.info("QuickBooks: the stored refresh token was refused; QBO_REFRESH_TOKEN from the environment works")
        return data

