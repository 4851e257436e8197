"""How a connector calls a blocking SDK: bounded executor, client-side rate limit,
deadline, and retries of 429 (Retry-After) and 5xx with exponential backoff.

Background work (the daily round) runs inside `background()`: its calls are also paced evenly,
one every `window / (limit * BACKGROUND_SHARE)` seconds, so it never bursts and leaves the rest of
each vendor's budget to cards and alerts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import Context, ContextVar, copy_context
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from connectors.errors import (
    AuthError,
    ConnectorError,
    IndexBuilding,
    MissingScopes,
    RateLimitedError,
    UnavailableError,
)
from connectors.ports import RateBudget

T = TypeVar("T")
log = logging.getLogger(__name__)
QUEUED_AFTER = 0.05  # seconds of waiting for the client-side limit that count as queued
BACKGROUND_SHARE: Final = 0.5  # of each rate limit, the most that background work may use
FIRST_BUILD_WAIT: Final = 4.0  # seconds a card waits for an index's first build (inside its 6 s deadline)
_background: ContextVar[bool] = ContextVar("connectors_background", default=False)


@contextlib.contextmanager
def background() -> Iterator[None]:
    """Calls made inside (and in tasks started inside) are background work: evenly paced at a share of the limit."""
    token = _background.set(True)
    try:
        yield
    finally:
        _background.reset(token)


def in_background() -> bool:
    """Whether the current call is background work."""
    return _background.get()


async def join_first_build(build: Awaitable[T], system: str, what: str, wait: float | None = FIRST_BUILD_WAIT) -> T:
    """Wait for an index's first build: a card at most `wait` seconds, then IndexBuilding says so in words;
    background work (or `wait=None`) waits it out. The build goes on either way."""
    if in_background() or wait is None:
        return await build
    try:
        return await asyncio.wait_for(build, wait)
    except TimeoutError:
        raise IndexBuilding(
            system, f"is still building its {what} index (the bot has just started): this shows in a minute or two"
        ) from None


def shared_task(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """A task other callers join (an index scan): never paced as background work, whoever happened to start it."""
    context: Context = copy_context()
    context.run(_background.set, False)
    return asyncio.get_running_loop().create_task(coro, context=context)


class RateLimiter:
    """At most `limit` calls per `window` seconds (sliding window), waiting when full.

    After a 429, `penalise(seconds)` holds every caller until the service's Retry-After.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._stamps: deque[float] = deque()
        self._blocked_until = 0.0
        self._lock = asyncio.Lock()
        self.acquired = 0  # calls let through so far

    async def acquire(self) -> float:
        """Wait for room in the window; the stamp taken (pass it to `restamp` when the call really leaves)."""
        async with self._lock:
            while True:
                now = time.monotonic()
                if self._blocked_until > now:
                    await asyncio.sleep(self._blocked_until - now)
                    continue
                while self._stamps and self._stamps[0] <= now - self.window:
                    self._stamps.popleft()
                if len(self._stamps) < self.limit:
                    self._stamps.append(now)
                    self.acquired += 1
                    return now
                await asyncio.sleep(self._stamps[0] + self.window - now + 0.001)

    def restamp(self, stamp: float) -> None:
        """The call that took `stamp` leaves only now (it waited for a worker): count it from now."""
        try:
            self._stamps.remove(stamp)
        except ValueError:
            return  # already out of the window
        self._stamps.append(time.monotonic())

    def penalise(self, seconds: float) -> None:
        """After a 429: nobody calls through this limiter for `seconds`."""
        self._blocked_until = max(self._blocked_until, time.monotonic() + seconds)


def local_budget(system: str, name: str, limit: int, window: float) -> RateLimiter:
    """The in-process budget (a BudgetFactory): this process alone spends it."""
    return RateLimiter(limit, window)


@dataclass(frozen=True)
class Policy:
    """Limits for one connector (or one class of its calls)."""

    timeout: float = 10.0  # deadline of one attempt, seconds
    retries: int = 3  # further attempts after the first
    backoff: float = 0.25  # first backoff, doubled each time, with jitter
    max_retry_after: float = 30.0  # never sleep longer than this on one Retry-After


class Runner:
    """Runs blocking SDK calls for one system off the event loop, within its limits.

    `classify` turns an SDK exception into a ConnectorError (or returns None to re-raise).
    """

    def __init__(
        self,
        system: str,
        classify: Callable[[BaseException], ConnectorError | None],
        *,
        max_workers: int = 8,
        limiters: dict[str, RateBudget] | None = None,
        policy: Policy = Policy(),
        background_share: float = BACKGROUND_SHARE,
    ) -> None:
        self.system = system
        self.classify = classify
        self.executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=f"{system}-sdk")
        self.concurrency = asyncio.Semaphore(max_workers)
        self.limiters = limiters or {}
        default = self.limiters.get("default")
        # background calls: one at a time every `interval`, i.e. `background_share` of the default limit, evenly
        self.pacer = RateLimiter(1, default.window / max(1e-9, default.limit * background_share)) if default else None
        self.policy = policy
        self.calls = 0  # upstream attempts made, for /healthz and the benchmark
        self.retries = 0
        self.rate_limited = 0  # 429 answers, for /metrics
        self.last_ok: float | None = None
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.available = True  # flips on failure/recovery, logged once each way
        self.missing_scopes: set[str] = set()  # scopes a call was refused for (403 MISSING_SCOPES)
        self.waiting = 0  # calls queued right now behind the client-side rate limit
        self.last_queued_at = float("-inf")  # monotonic time a call last had to wait for the limit

    async def call(
        self,
        fn: Callable[..., T],
        *args: Any,
        limiter: str = "default",
        retry_server_errors: bool = True,
        policy: Policy | None = None,
        **kwargs: Any,
    ) -> T:
        """Call `fn(*args, **kwargs)` in the executor; retry 429 and (optionally) 5xx."""
        policy = policy or self.policy
        attempt = 0
        while True:
            if self.pacer is not None and _background.get():
                await self.pacer.acquire()
            stamps = await self._acquire(limiter)
            try:
                result = await self._attempt(fn, args, kwargs, policy.timeout, stamps)
                self._mark_ok()
                return result
            except (UnavailableError, RateLimitedError) as exc:
                if isinstance(exc, RateLimitedError):
                    self.rate_limited += 1
                final = attempt >= policy.retries or (isinstance(exc, UnavailableError) and not retry_server_errors)
                if final:
                    self._mark_failed(exc)
                if isinstance(exc, UnavailableError):
                    if final:
                        raise
                    wait = policy.backoff * 2**attempt * (0.5 + random.random())
                    log.info("%s unavailable; retrying in %.2fs", self.system, wait)
                else:
                    wait = self._rate_wait(exc, attempt, policy, limiter)
                    if final:
                        raise
                    log.info("%s rate limited; retrying in %.2fs", self.system, wait)
            except ConnectorError as exc:
                if isinstance(exc, MissingScopes):  # the token works; this one call needs more
                    self._mark_ok()
                    if not set(exc.scopes) <= self.missing_scopes:
                        log.warning("%s: %s", self.system, exc.message)
                    self.missing_scopes.update(exc.scopes)
                elif isinstance(exc, AuthError):
                    self._mark_failed(exc)
                else:  # it answered: a record it doesn't have, or a request it refused, is not an outage
                    self._mark_ok()
                raise
            attempt += 1
            self.retries += 1
            await asyncio.sleep(wait)

    async def _acquire(self, limiter: str) -> list[tuple[RateBudget, float]]:
        """Wait for the client-side limits; time spent here is the bot's own queue, not the service's."""
        start = time.monotonic()
        stamps: list[tuple[RateBudget, float]] = []
        self.waiting += 1
        try:
            for name in ("default", limiter) if limiter != "default" else ("default",):
                if name in self.limiters:
                    stamps.append((self.limiters[name], await self.limiters[name].acquire()))
        finally:
            self.waiting -= 1
        if time.monotonic() - start > QUEUED_AFTER:
            self.last_queued_at = time.monotonic()
        return stamps

    def queued_within(self, seconds: float) -> bool:
        """Whether calls are waiting for the client-side limit now, or had to within the last `seconds`."""
        return self.waiting > 0 or time.monotonic() - self.last_queued_at <= seconds

    def _rate_wait(self, exc: RateLimitedError, attempt: int, policy: Policy, limiter: str) -> float:
        wait = min(
            exc.retry_after if exc.retry_after is not None else policy.backoff * 2**attempt, policy.max_retry_after
        )
        for name in {"default", limiter}:
            if name in self.limiters:
                self.limiters[name].penalise(wait)
        if self.pacer is not None:
            self.pacer.penalise(wait)
        return wait

    def _mark_ok(self) -> None:
        self.last_ok = time.time()
        if not self.available:
            self.available = True
            log.warning("%s is answering again", self.system)

    def _mark_failed(self, exc: ConnectorError) -> None:
        self.last_error = exc.message
        self.last_error_at = time.time()
        if self.available:
            self.available = False
            log.warning("%s unavailable: %s", self.system, exc.message)

    def health(self) -> dict[str, object]:
        """For /healthz: is the system answering, when it last did, the last error."""
        return {
            "available": self.available,
            "last_ok": self.last_ok,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "calls": self.calls,
            "retries": self.retries,
            "missing_scopes": sorted(self.missing_scopes),
        }

    async def _attempt(
        self, fn: Callable[..., T], args: tuple, kwargs: dict, timeout: float, stamps: list[tuple[RateBudget, float]]
    ) -> T:
        loop = asyncio.get_running_loop()
        async with self.concurrency:
            # A call that waited for a worker leaves now: its place in the rate window counts from
            # now, or the next window would open early and the service see more than the limit.
            for rate_limiter, stamp in stamps:
                rate_limiter.restamp(stamp)
            self.calls += 1
            future = loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))
            try:
                return await asyncio.wait_for(future, timeout)
            except TimeoutError:
                raise UnavailableError(self.system, f"no answer within {timeout:g}s") from None
            except ConnectorError:
                raise
            except Exception as exc:  # SDK exceptions: sort them into the hierarchy
                mapped = self.classify(exc)
                if mapped is None:
                    raise
                raise mapped from exc

    def close(self) -> None:
        """Stop the executor without waiting for stuck calls."""
        self.executor.shutdown(wait=False, cancel_futures=True)
