"""A small SuiteTalk REST client: TBA-signed requests on aiohttp, a bound on requests in flight,
retries of 429 and 5xx with jittered exponential backoff, deadlines, and SuiteQL paging."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from connectors.errors import ConfigError, ConnectorError, NotFoundError, RateLimitedError, UnavailableError
from connectors.netsuite.auth import SYSTEM, Signer, check_account, check_host, default_base_url
from connectors.netsuite.errors import NetSuiteError, classify

T = TypeVar("T")
log = logging.getLogger(__name__)
PAGE = 1000  # SuiteQL's largest page
MAX_ROWS = 100_000  # SuiteQL answers at most this many rows of one query
SUITEQL = "/services/rest/query/v1/suiteql"
RECORD = "/services/rest/record/v1"


@dataclass(frozen=True)
class Policy:
    """Retry and deadline limits of one client."""

    timeout: float = 20.0  # one attempt, seconds
    deadline: float = 60.0  # one call with all its retries, seconds
    rate_retries: int = 6  # further attempts after a 429
    server_retries: int = 2  # further attempts after a 5xx, a timeout or a lost connection
    backoff: float = 0.5  # first wait, doubled each time, with jitter
    max_backoff: float = 8.0  # never wait longer than this once


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, headers (case-insensitive), body text."""

    status: int
    headers: Mapping[str, str]
    text: str

    def json(self) -> Any:
        """The body as JSON (None when empty)."""
        return json.loads(self.text) if self.text else None


class NetSuiteClient:
    """Signed SuiteTalk REST calls for one account, never more than `concurrency` at once.

    NetSuite's concurrency limit is per account and shared by every integration, so keep
    `concurrency` (NETSUITE_CONCURRENCY) below the account's limit when others use it too.
    """

    def __init__(
        self,
        account_id: str,
        consumer_key: str,
        consumer_secret: str,
        token_id: str,
        token_secret: str,
        *,
        base_url: str | None = None,
        concurrency: int = 5,
        policy: Policy = Policy(),
    ) -> None:
        missing = [
            name
            for name, value in (
                ("NETSUITE_ACCOUNT_ID", account_id),
                ("NETSUITE_CONSUMER_KEY", consumer_key),
                ("NETSUITE_CONSUMER_SECRET", consumer_secret),
                ("NETSUITE_TOKEN_ID", token_id),
                ("NETSUITE_TOKEN_SECRET", token_secret),
            )
            if not value
        ]
        if missing:
            raise ConfigError(SYSTEM, "missing " + ", ".join(missing))
        if concurrency < 1:
            raise ConfigError(SYSTEM, "NETSUITE_CONCURRENCY must be at least 1")
        self.account_id = check_account(account_id)
        self.base_url = (base_url or default_base_url(self.account_id)).rstrip("/")
        if not self.base_url.startswith(("https://", "http://")):
            raise ConfigError(SYSTEM, f"NETSUITE_BASE_URL {self.base_url!r} is not an http(s) URL")
        check_host(self.account_id, self.base_url)
        self.signer = Signer(self.account_id, consumer_key, consumer_secret, token_id, token_secret)
        self.concurrency = concurrency
        self.policy = policy
        self._slots = asyncio.Semaphore(concurrency)
        self._session: aiohttp.ClientSession | None = None
        self.calls = 0
        self.retries = 0
        self.rate_limited = 0  # 429 answers, for /metrics
        self.in_flight = 0
        self.last_ok: float | None = None
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.available = True

    def __repr__(self) -> str:
        return f"<NetSuiteClient account={self.account_id} base_url={self.base_url}>"

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def health(self) -> dict[str, object]:
        """For /healthz: answering or not, when it last did, the last error, the counters and the bound."""
        return {
            "available": self.available,
            "last_ok": self.last_ok,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "calls": self.calls,
            "retries": self.retries,
            "concurrency": self.concurrency,
            "in_flight": self.in_flight,
        }

    # -- the API --------------------------------------------------------------------------

    async def suiteql(self, query: str) -> list[dict[str, Any]]:
        """Every row of a SuiteQL query, page after page (1000 a page; pages after the first concurrently)."""
        first = await self._page(query, 0)
        total = int(first.get("totalResults") or 0)
        if total > MAX_ROWS:
            raise NetSuiteError(
                400,
                "TOO_MANY_ROWS",
                f"the query matches {total} rows and SuiteQL returns at most {MAX_ROWS}: narrow it",
                query=query,
            )
        pages = [first]
        if first.get("hasMore"):
            pages += await gather_all(self._page(query, offset) for offset in range(PAGE, total, PAGE))
            while pages[-1].get("hasMore"):  # rows added while paging
                pages.append(await self._page(query, int(pages[-1].get("offset") or 0) + PAGE))
        return [row for page in pages for row in page.get("items") or ()]

    async def get_invoice(self, invoice_id: str, *, expand: bool = False) -> dict[str, Any]:
        """The invoice record (`expand` inlines sublists such as its lines)."""
        params = {"expandSubResources": "true"} if expand else None
        answer = await self.request("GET", f"{RECORD}/invoice/{_record_id(invoice_id)}", params=params)
        return dict(answer.json() or {})

    async def patch_invoice(self, invoice_id: str, fields: Mapping[str, Any]) -> str:
        """Change only `fields` of the invoice (204); the Location NetSuite answers."""
        answer = await self.request("PATCH", f"{RECORD}/invoice/{_record_id(invoice_id)}", body=dict(fields))
        return str(answer.headers.get("Location", ""))

    async def suiteql_first(self, query: str) -> dict[str, Any] | None:
        """The first row of a SuiteQL query only (one page of one row), or None."""
        items = (await self._page(query, 0, limit=1)).get("items") or []
        return dict(items[0]) if items else None

    async def _page(self, query: str, offset: int, *, limit: int = PAGE) -> dict[str, Any]:
        answer = await self.request(
            "POST",
            SUITEQL,
            params={"limit": limit, "offset": offset},
            body={"q": query},
            headers={"Prefer": "transient"},
            query=query,
        )
        return dict(answer.json() or {})

    # -- transport ------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        query: str | None = None,
    ) -> Answer:
        """One signed call with retries; a ConnectorError for anything but 2xx."""
        url = self.base_url + path + (f"?{urlencode(params)}" if params else "")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.policy.deadline
        attempt = 0
        while True:
            remaining = deadline - loop.time()
            try:
                answer = await self._attempt(method, url, body, headers, min(self.policy.timeout, max(remaining, 0.1)))
                failure = (
                    None if answer.status < 400 else classify(answer.status, answer.text, answer.headers, query=query)
                )
            except (TimeoutError, aiohttp.ClientError) as exc:
                failure = UnavailableError(SYSTEM, f"no answer from {self.base_url}: {type(exc).__name__} {exc}")
            if failure is None:
                self._mark_ok()
                return answer
            if isinstance(failure, RateLimitedError):
                self.rate_limited += 1
            wait = self._wait(failure, attempt)
            if wait is None or loop.time() + wait > deadline:
                self._mark_failed(failure)
                raise failure
            log.info("NetSuite %s %s: %s; retrying in %.2fs", method, path, failure.message, wait)
            attempt += 1
            self.retries += 1
            await asyncio.sleep(wait)

    def _wait(self, failure: ConnectorError, attempt: int) -> float | None:
        """Seconds before the next attempt, or None when `failure` is final."""
        if isinstance(failure, RateLimitedError):
            if attempt >= self.policy.rate_retries:
                return None
            if failure.retry_after is not None:
                return min(failure.retry_after, self.policy.max_backoff)
        elif isinstance(failure, UnavailableError):
            if attempt >= self.policy.server_retries:
                return None
        else:
            return None
        return min(self.policy.backoff * 2**attempt, self.policy.max_backoff) * (0.5 + random.random())

    async def _attempt(
        self, method: str, url: str, body: Any, headers: Mapping[str, str] | None, timeout: float
    ) -> Answer:
        async with self._slots:  # held for the request only, never while backing off
            self.calls += 1
            self.in_flight += 1
            try:
                sent = {
                    "Accept": "application/json",
                    **(headers or {}),
                    "Authorization": self.signer.authorization(method, url),
                }
                data = None
                if body is not None:
                    data = json.dumps(body).encode()
                    sent["Content-Type"] = "application/json"
                async with self._http().request(
                    method,
                    URL(url, encoded=True),
                    data=data,
                    headers=sent,
                    timeout=aiohttp.ClientTimeout(total=timeout),
                ) as resp:
                    return Answer(resp.status, CIMultiDict(resp.headers), await resp.text())
            finally:
                self.in_flight -= 1

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def _mark_ok(self) -> None:
        self.last_ok = time.time()
        if not self.available:
            self.available = True
            log.warning("NetSuite is answering again")

    def _mark_failed(self, exc: ConnectorError) -> None:
        if isinstance(exc, NotFoundError):  # an answer about the record, not about NetSuite
            self._mark_ok()
            return
        self.last_error = exc.message
        self.last_error_at = time.time()
        if isinstance(exc, NetSuiteError):  # NetSuite answered: the request was wrong, not the service
            self._mark_ok()
            return
        if self.available:
            self.available = False
            log.warning("NetSuite unavailable: %s", exc.message)


async def gather_all(calls: Iterable[Awaitable[T]]) -> list[T]:
    """Await concurrently, in order; on the first failure cancel the rest and raise that error itself."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _record_id(value: str) -> str:
    """A record's internal id (digits), never anything that could change the path."""
    text = str(value).strip()
    if not text.isdigit():
        raise NotFoundError(SYSTEM, f"{value!r} is not a NetSuite internal id")
    return text
