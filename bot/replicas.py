"""Several `serve` replicas, one set of vendor budgets and one status cache: shared through Redis.

With `REDIS_URL` set, every replica spends the same per-vendor rate budgets (a sliding window
per budget, kept in a Redis sorted set by a Lua script on Redis's own clock) and reads and fills
the same status cache, where one replica fetches a section while the others wait for its
answer (a lock per section). Without it, budgets and cache stay in-process as before. When Redis
stops answering, each replica falls back to its own in-process budget and cache (logged once,
shown by /healthz and /account doctor) and goes back to Redis when it answers again.

Cached values are pickled and signed (HMAC-SHA256): a value that doesn't verify is ignored.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import pickle
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from connectors.runtime import RateLimiter

log = logging.getLogger(__name__)
WAIT_STEP: Final = 0.02  # seconds between looks at a section another replica is fetching
LOCK_TTL: Final = 10.0  # a fetcher that died frees its section's lock after this long
RESTAMP_AFTER: Final = 0.01  # seconds a call waited for a worker before its shared slot is counted anew

# KEYS[1] the window (sorted set), KEYS[2] the penalty; ARGV limit, window ms, member.
# Returns 0 when a slot was taken, else the milliseconds to wait before asking again.
_TAKE: Final = """
local now_s = redis.call('TIME')
local now = tonumber(now_s[1]) * 1000 + math.floor(tonumber(now_s[2]) / 1000)
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return blocked - now end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now + 1)
"""
# KEYS[1] the window; ARGV member. A slot taken earlier counts from now (its call waited for a worker).
_RESTAMP: Final = """
local now_s = redis.call('TIME')
local now = tonumber(now_s[1]) * 1000 + math.floor(tonumber(now_s[2]) / 1000)
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
end
return 0
"""
# KEYS[1] the penalty; ARGV seconds. Holds the budget until now + seconds (never shortens it).
_PENALISE: Final = """
local now_s = redis.call('TIME')
local now = tonumber(now_s[1]) * 1000 + math.floor(tonumber(now_s[2]) / 1000)
local until_ms = now + math.floor(tonumber(ARGV[1]) * 1000)
if until_ms > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], until_ms, 'PX', math.floor(tonumber(ARGV[1]) * 1000) + 1000)
end
return until_ms
"""


class Replicas:
    """The Redis connection every shared budget and the shared cache use, and its health."""

    def __init__(self, url: str, *, prefix: str = "accountbot", secret: str = "") -> None:
        self.client: aioredis.Redis = aioredis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self.prefix = prefix
        self._key = hashlib.sha256(("accountbot-cache:" + secret).encode()).digest()
        self._take = self.client.register_script(_TAKE)
        self._penalise = self.client.register_script(_PENALISE)
        self._restamp = self.client.register_script(_RESTAMP)
        self.available = True
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.fallbacks = 0  # operations that ran in-process because Redis didn't answer
        self._tasks: set[asyncio.Future[Any]] = set()

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def budgets(self, system: str, name: str, limit: int, window: float) -> SharedBudget:
        """A BudgetFactory (connectors.ports): the budget every replica spends."""
        return SharedBudget(self, system, name, limit, window)

    def ok(self) -> None:
        if not self.available:
            self.available = True
            log.warning("Redis is answering again: budgets and the status cache are shared again")

    def failed(self, exc: BaseException) -> None:
        self.fallbacks += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        self.last_error_at = time.time()
        if self.available:
            self.available = False
            log.warning("Redis unavailable (%s): budgets and cache are per replica until it answers", exc)

    def health(self) -> dict[str, object]:
        """For /healthz and /account doctor."""
        return {
            "available": self.available,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "fallbacks": self.fallbacks,
        }

    async def ping(self) -> bool:
        """Ask Redis once (the doctor's probe)."""
        try:
            await self.client.ping()
        except (RedisError, OSError) as exc:
            self.failed(exc)
            return False
        self.ok()
        return True

    def background(self, awaitable: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def seal(self, value: Any) -> bytes:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        return hmac.new(self._key, data, hashlib.sha256).digest() + data

    def unseal(self, raw: bytes | None) -> Any:
        """The value, or None when there is none or it doesn't carry our signature."""
        if raw is None or len(raw) < 32:
            return None
        mac, data = raw[:32], raw[32:]
        if not hmac.compare_digest(mac, hmac.new(self._key, data, hashlib.sha256).digest()):
            log.warning("ignoring a cached value that isn't signed with this deployment's key")
            return None
        return pickle.loads(data)  # signed by a replica of this deployment

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.client.aclose()


class SharedBudget:
    """A RateBudget (connectors.ports) kept in Redis; the in-process window stands in while Redis is down."""

    def __init__(self, replicas: Replicas, system: str, name: str, limit: int, window: float) -> None:
        self.replicas = replicas
        self.limit = limit
        self.window = window
        self._keys = [replicas.key("budget", system, name), replicas.key("budget", system, name, "blocked")]
        self._local = RateLimiter(limit, window)
        self._members: dict[float, tuple[str, float]] = {}  # stamp -> (member in Redis, when taken)
        self._taken = 0

    async def acquire(self) -> float:
        """A slot in every replica's window; the stamp to `restamp` it with (the local window's own stamp
        when Redis is down)."""
        while True:
            member = secrets.token_hex(8)
            try:
                wait_ms = int(
                    await self.replicas._take(keys=self._keys[:2], args=[self.limit, int(self.window * 1000), member])
                )
            except (RedisError, OSError) as exc:
                self.replicas.failed(exc)
                return await self._local.acquire()
            self.replicas.ok()
            if wait_ms <= 0:
                return self._remember(member)
            await asyncio.sleep(wait_ms / 1000.0)

    def _remember(self, member: str) -> float:
        """A stamp for a slot taken in Redis: negative, so never one of the local window's (monotonic) stamps."""
        now = time.monotonic()
        while self._members and next(iter(self._members.values()))[1] < now - self.window:
            self._members.pop(next(iter(self._members)))  # out of the window: nothing left to restamp
        self._taken += 1
        stamp = -float(self._taken)
        self._members[stamp] = (member, now)
        return stamp

    def restamp(self, stamp: float) -> None:
        taken = self._members.pop(stamp, None)
        if taken is None:
            self._local.restamp(stamp)
            return
        if time.monotonic() - taken[1] < RESTAMP_AFTER:
            return  # it left at once: its slot already counts from (about) now
        self.replicas.background(self._share_restamp(taken[0]))

    async def _share_restamp(self, member: str) -> None:
        try:
            await self.replicas._restamp(keys=self._keys[:1], args=[member])
        except (RedisError, OSError) as exc:
            self.replicas.failed(exc)

    def penalise(self, seconds: float) -> None:
        self._local.penalise(seconds)
        self.replicas.background(self._share_penalty(seconds))

    async def _share_penalty(self, seconds: float) -> None:
        try:
            await self.replicas._penalise(keys=self._keys[1:], args=[seconds])
        except (RedisError, OSError) as exc:
            self.replicas.failed(exc)


class SharedCache:
    """The status service's cache and single flight across replicas (bot.status.SharedFlights)."""

    def __init__(self, replicas: Replicas) -> None:
        self.replicas = replicas

    async def get(self, kind: str, name: str) -> Any:
        """The value stored under kind/name (fresh or last-good), or None (also when Redis is down)."""
        try:
            raw = await self.replicas.client.get(self.replicas.key("cache", kind, name))
        except (RedisError, OSError) as exc:
            self.replicas.failed(exc)
            return None
        self.replicas.ok()
        return self.replicas.unseal(raw if isinstance(raw, bytes) else None)

    async def put(self, name: str, value: Any, fresh_ttl: float, last_good_ttl: float) -> None:
        """Store a value as fresh (for `fresh_ttl` s) and as last good (for `last_good_ttl` s)."""
        sealed = self.replicas.seal(value)
        try:
            async with self.replicas.client.pipeline(transaction=False) as pipe:
                pipe.set(self.replicas.key("cache", "fresh", name), sealed, px=max(1, int(fresh_ttl * 1000)))
                pipe.set(self.replicas.key("cache", "good", name), sealed, px=max(1, int(last_good_ttl * 1000)))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self.replicas.failed(exc)

    async def forget(self, names: list[str]) -> None:
        """Drop fresh values (after an event or a Refresh), in every replica's view."""
        if not names:
            return
        try:
            await self.replicas.client.delete(*(self.replicas.key("cache", "fresh", n) for n in names))
        except (RedisError, OSError) as exc:
            self.replicas.failed(exc)

    async def once(self, name: str, fetch: Callable[[], Awaitable[Any]], fresh_ttl: float, last_good_ttl: float) -> Any:
        """The fresh value of `name`: stored, fetched by another replica while we wait, or fetched here."""
        token = secrets.token_hex(8)
        lock = self.replicas.key("lock", name)
        while True:
            stored = await self.get("fresh", name)
            if stored is not None:
                return stored
            try:
                leader = bool(await self.replicas.client.set(lock, token, nx=True, px=int(LOCK_TTL * 1000)))
            except (RedisError, OSError) as exc:
                self.replicas.failed(exc)
                return await fetch()  # alone, as without Redis
            if leader:
                try:
                    value = await fetch()
                    await self.put(name, value, fresh_ttl, last_good_ttl)
                    return value
                finally:
                    self.replicas.background(self._unlock(lock, token))
            while True:  # another replica fetches it: wait for its answer, or for its lock to go
                await asyncio.sleep(WAIT_STEP)
                try:
                    async with self.replicas.client.pipeline(transaction=False) as pipe:
                        pipe.get(self.replicas.key("cache", "fresh", name))
                        pipe.exists(lock)
                        raw, locked = await pipe.execute()
                except (RedisError, OSError) as exc:
                    self.replicas.failed(exc)
                    return await fetch()
                value = self.replicas.unseal(raw if isinstance(raw, bytes) else None)
                if value is not None:
                    return value
                if not locked:
                    break  # it failed or died: try to lead

    async def _unlock(self, lock: str, token: str) -> None:
        try:
            async with self.replicas.client.pipeline(transaction=True) as pipe:
                await pipe.watch(lock)
                if await pipe.get(lock) == token.encode():
                    pipe.multi()
                    pipe.delete(lock)
                    await pipe.execute()
                else:
                    await pipe.unwatch()
        except (RedisError, OSError) as exc:
            self.replicas.failed(exc)
