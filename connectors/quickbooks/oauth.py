"""QuickBooks OAuth 2.0 tokens kept in the store: every refresh rotates the refresh token.

Refreshes are serialised in-process by a lock and across processes by a lock in the store;
the new refresh token is stored before the new access token is used (kept in memory and
stored again while the store fails).
The environment's refresh token only seeds the store. Tokens never reach a log or a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import requests

from connectors.errors import AuthError, RateLimitedError, UnavailableError
from connectors.ports import TokenRecord, TokenStore
from connectors.quickbooks.sdk import SYSTEM
from connectors.runtime import Runner

log = logging.getLogger(__name__)

REAUTHORISE = (
    "QuickBooks refused the stored refresh token (invalid_grant): it was revoked, expired or "
    "used elsewhere. An admin must re-authorise accountbot with QuickBooks (Intuit OAuth consent), "
    "set QBO_REFRESH_TOKEN to the new refresh token and restart."
)


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


def post_refresh(
    token_url: str, client_id: str, client_secret: str, refresh_token: str, timeout: float
) -> dict[str, Any]:
    """POST grant_type=refresh_token (HTTP Basic client credentials); the token response."""
    try:
        response = requests.post(
            token_url,
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(client_id, client_secret),
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
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
        raise AuthError(
            SYSTEM,
            "QuickBooks refused the client credentials (invalid_client): check QBO_CLIENT_ID and QBO_CLIENT_SECRET",
        )
    if status == 429:
        retry = response.headers.get("Retry-After")
        raise RateLimitedError(
            SYSTEM, "the token endpoint is throttling (429)", float(retry) if retry and retry.isdigit() else None
        )
    if status >= 500:
        raise UnavailableError(SYSTEM, f"the token endpoint answered HTTP {status}")
    raise AuthError(SYSTEM, f"token refresh failed: HTTP {status} {error or 'malformed answer'}")


LOST_ROTATION = (
    "QuickBooks refused the refresh token after an earlier refresh got no answer: that refresh most "
    "likely rotated the token at Intuit and the new one never arrived. An admin must re-authorise "
    "accountbot with QuickBooks, set QBO_REFRESH_TOKEN to the new refresh token and restart."
)
STORE_RETRIES = (0.1, 0.3, 1.0, 2.0, 4.0)  # pauses between attempts to store rotated tokens
LOST_ANSWER_RETRIES = 2  # token requests repeated after an answer was lost (the store re-read first)


class TokenManager:
    """The realm's tokens: the stored access token while valid, else one refresh at a time across processes.

    A refresh holds a lock in the store (a lease), so only one process ever spends the refresh
    token; the others wait for the version it stores. Rotated tokens are stored before use,
    retried when the store fails, and kept in memory (and used) until they are stored.
    A token request whose answer was lost is repeated only after re-reading the store.
    """

    def __init__(
        self,
        store: TokenStore,
        realm_id: str,
        client_id: str,
        client_secret: str,
        seed_refresh_token: str,
        token_url: str,
        runner: Runner,
        *,
        margin: float = 60.0,
        race_wait: float | None = None,
        timeout: float = 10.0,
        store_retries: tuple[float, ...] = STORE_RETRIES,
    ) -> None:
        self.store = store
        self.key = f"quickbooks:{realm_id}"
        self.margin = margin  # an access token this close to expiry is treated as expired
        self.store_retries = store_retries
        # how long a refresh may hold the lock: the token request (and its repeats) plus storing
        self.lock_ttl = (
            race_wait if race_wait is not None else (LOST_ANSWER_RETRIES + 1) * (timeout + 1) + sum(store_retries) + 5.0
        )
        self.refreshes = 0
        self._client_id = client_id
        self._client_secret = client_secret
        self._seed = seed_refresh_token
        self._seed_tried = False
        self._token_url = token_url
        self._runner = runner
        self._timeout = timeout
        self._record: TokenRecord | None = None
        self._unsaved: dict[str, Any] | None = None  # rotated tokens the store has not taken yet
        self._lock = asyncio.Lock()
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        hide_token_statements()

    def __repr__(self) -> str:
        version = self._record.version if self._record else None
        return f"<TokenManager {self.key} version={version}>"

    @property
    def race_wait(self) -> float:
        """How long a process waits for another one's refresh (the lock's lifetime)."""
        return self.lock_ttl

    @race_wait.setter
    def race_wait(self, seconds: float) -> None:
        self.lock_ttl = seconds

    @property
    def refresh_token_expires_at(self) -> datetime | None:
        """When the current refresh token chain dies (x_refresh_token_expires_in), if known."""
        when = self._record.refresh_expires_at if self._record else None
        return None if when is None else datetime.fromtimestamp(when, UTC)

    @property
    def unsaved(self) -> bool:
        """Rotated tokens are held in memory only (the store refused them): a restart now loses them."""
        return self._unsaved is not None

    def _fresh(self, record: TokenRecord | None) -> bool:
        return bool(record and record.access_token and record.access_expires_at - self.margin > time.time())

    async def _load(self) -> TokenRecord:
        try:
            self._record = await self.store.seed_token(self.key, self._seed)
        except Exception as exc:  # its message would carry the statement's parameters: the token
            raise UnavailableError(SYSTEM, f"the store failed reading the tokens ({type(exc).__name__})") from None
        return self._record

    async def access_token(self) -> str:
        """A valid access token: the cached or stored one, else a refresh."""
        record = self._record
        if self._fresh(record) and self._unsaved is None:
            assert record is not None and record.access_token
            return record.access_token
        async with self._lock:
            return await self._current(rejected=None)

    async def refresh(self, rejected: str) -> str:
        """After a 401 for `rejected`: a newer stored access token if there is one, else refresh."""
        async with self._lock:
            return await self._current(rejected=rejected)

    async def _current(self, rejected: str | None) -> str:
        if self._unsaved is not None and not await self._flush():
            record = self._record  # the store still refuses: go on with the tokens in memory
            assert record is not None
        else:
            record = await self._load()
        if self._fresh(record) and record.access_token != rejected:
            assert record.access_token
            return record.access_token
        return await self._refresh(record, rejected)

    async def _refresh(self, record: TokenRecord, rejected: str | None) -> str:
        """Take the store's refresh lock (or wait for the holder's new tokens), then refresh once."""
        while not await self.store.acquire_lease(self._lock_name, self._holder, self.lock_ttl):
            newer = await self._newer_than(record.version, time.monotonic() + min(1.0, self.lock_ttl))
            if newer is not None:
                record = newer
                if self._fresh(newer) and newer.access_token != rejected:
                    assert newer.access_token
                    return newer.access_token
        try:
            if self._unsaved is None:
                record = await self._load()  # under the lock: another process may have just refreshed
                if self._fresh(record) and record.access_token != rejected:
                    assert record.access_token
                    return record.access_token
            data = await self._exchange(record)
            if isinstance(data, TokenRecord):  # found newer tokens in the store meanwhile
                assert data.access_token
                return data.access_token
            return await self._keep(record, data)
        finally:
            with contextlib.suppress(Exception):
                await self.store.release_lease(self._lock_name, self._holder)

    @property
    def _lock_name(self) -> str:
        return f"token-refresh:{self.key}"

    async def _exchange(self, record: TokenRecord) -> dict[str, Any] | TokenRecord:
        """The token response for `record`'s refresh token; a lost answer is repeated only after a store re-read."""
        lost = 0
        while True:
            try:
                return await self._post(record.refresh_token)
            except UnavailableError:
                lost += 1  # Intuit may have rotated the token before the answer went missing
                stored = await self.store.get_token(self.key)
                if stored is not None and stored.version != record.version and self._unsaved is None:
                    self._record = stored
                    return stored
                if lost > LOST_ANSWER_RETRIES:
                    raise
                log.warning("QuickBooks token request got no answer; nothing newer stored, asking again")
                await asyncio.sleep(0.2 * lost)
            except InvalidGrant:
                if lost:
                    raise AuthError(SYSTEM, LOST_ROTATION) from None
                return await self._try_seed(record)

    async def _keep(self, record: TokenRecord, data: dict[str, Any]) -> str:
        """Store the rotated tokens before using them; if the store keeps failing, hold them in memory."""
        now = time.time()
        self._unsaved = {
            "refresh_token": data["refresh_token"],
            "access_token": data["access_token"],
            "access_expires_at": now + float(data.get("expires_in") or 3600),
            "refresh_expires_at": (
                now + float(data["x_refresh_token_expires_in"]) if data.get("x_refresh_token_expires_in") else None
            ),
        }
        self._record = TokenRecord(self.key, version=record.version, **self._unsaved)
        self.refreshes += 1
        for pause in (*self.store_retries, None):
            if await self._flush():
                break
            if pause is not None:
                await asyncio.sleep(pause)
        else:
            log.error(
                "QuickBooks: the store refused the rotated tokens %d times; keeping them in memory and "
                "retrying. If this process stops before they are stored, re-authorisation will be needed.",
                len(self.store_retries) + 1,
            )
        assert self._record.access_token
        return self._record.access_token

    async def _flush(self) -> bool:
        """Write the tokens held in memory (the only valid chain: the exchange succeeded); True once stored."""
        if self._unsaved is None:
            return True
        try:
            stored = await self.store.put_token(self.key, **self._unsaved)
        except Exception as exc:  # its message would carry the statement's parameters: the token
            log.warning("QuickBooks: storing the rotated tokens failed (%s); will retry", type(exc).__name__)
            return False
        self._unsaved = None
        self._record = stored
        log.info("QuickBooks tokens refreshed and stored (%s, version %d)", self.key, stored.version)
        return True

    async def _post(self, refresh_token: str) -> dict[str, Any]:
        """One token request; a lost answer (timeout, 5xx) is the caller's to handle, never retried blindly."""
        return await self._runner.call(
            post_refresh,
            self._token_url,
            self._client_id,
            self._client_secret,
            refresh_token,
            self._timeout,
            limiter="token",
            retry_server_errors=False,
        )

    async def _newer_than(self, version: int, deadline: float) -> TokenRecord | None:
        """Wait (until `deadline`) for the lock holder to store newer tokens."""
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
