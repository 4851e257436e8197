"""The connector runtime: rate windows, penalties after a 429, retries, deadlines."""

from __future__ import annotations

import time

import pytest

from connectors.errors import AuthError, ConnectorError, RateLimitedError, UnavailableError
from connectors.runtime import Policy, RateLimiter, Runner


def _classify(exc: BaseException) -> ConnectorError | None:
    return exc if isinstance(exc, ConnectorError) else None


async def test_penalty_blocks_only_for_retry_after() -> None:
    """A 429 penalty holds callers for its seconds, not for a whole window."""
    limiter = RateLimiter(limit=100, window=60.0)
    await limiter.acquire()
    limiter.penalise(0.2)
    start = time.monotonic()
    await limiter.acquire()
    waited = time.monotonic() - start
    assert 0.15 <= waited < 30  # generous upper bound: never the 60 s window


async def test_window_limits_calls() -> None:
    """The (limit+1)th call in a window waits for the first to leave it."""
    limiter = RateLimiter(limit=2, window=0.3)
    await limiter.acquire()
    await limiter.acquire()
    start = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - start >= 0.2


async def test_retries_rate_limits_then_succeeds() -> None:
    """RateLimitedError is retried after Retry-After; the result comes back."""
    attempts = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise RateLimitedError("x", "slow down", retry_after=0.01)
        return "ok"

    runner = Runner("x", _classify, policy=Policy(retries=3, backoff=0.01))
    assert await runner.call(flaky) == "ok"
    assert len(attempts) == 3 and runner.retries == 2 and runner.available
    runner.close()


async def test_server_errors_give_up_and_mark_unavailable() -> None:
    """After the retries, UnavailableError surfaces and health says so; a success restores it."""
    runner = Runner("x", _classify, policy=Policy(retries=1, backoff=0.01))

    def down() -> None:
        raise UnavailableError("x", "503")

    with pytest.raises(UnavailableError):
        await runner.call(down)
    assert runner.calls == 2 and runner.health()["available"] is False
    assert await runner.call(lambda: 1) == 1
    assert runner.health()["available"] is True
    runner.close()


async def test_no_retry_of_server_errors_when_not_idempotent() -> None:
    """A POST that creates something is not repeated after a 5xx."""
    runner = Runner("x", _classify, policy=Policy(retries=3, backoff=0.01))
    calls = []

    def create() -> None:
        calls.append(1)
        raise UnavailableError("x", "502")

    with pytest.raises(UnavailableError):
        await runner.call(create, retry_server_errors=False)
    assert len(calls) == 1
    runner.close()


async def test_auth_errors_are_not_retried() -> None:
    """Refused credentials need a human: no retry."""
    runner = Runner("x", _classify, policy=Policy(retries=3, backoff=0.01))
    calls = []

    def refused() -> None:
        calls.append(1)
        raise AuthError("x", "401")

    with pytest.raises(AuthError):
        await runner.call(refused)
    assert len(calls) == 1
    runner.close()


async def test_deadline_of_a_hung_call() -> None:
    """A call that hangs becomes UnavailableError at the deadline."""
    runner = Runner("x", _classify, policy=Policy(timeout=0.1, retries=0))
    with pytest.raises(UnavailableError, match="no answer"):
        await runner.call(time.sleep, 1.0)
    runner.close()
