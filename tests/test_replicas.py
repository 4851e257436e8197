"""Several replicas on one Redis (REDIS_URL): one set of vendor budgets, one status cache, one fetch per section.

Against the machine's Redis when TEST_REDIS_URL is set (`.ci/run` sets it); skipped otherwise.
Every test uses a key prefix of its own and deletes its keys after.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.replicas import Replicas, SharedCache
from bot.settings import Settings
from connectors.runtime import local_budget
from sandbox.harness import Bot, block_texts, start_bot, stop_bot
from sandbox.server import Sandbox

REDIS_URL = os.environ.get("TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
SYSTEMS = ("hubspot", "asana", "quickbooks")


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own; its keys are deleted after."""
    name = f"accountbot-test:{uuid.uuid4().hex[:12]}"
    yield name
    if not REDIS_URL:
        return
    cleaner = Replicas(REDIS_URL, prefix=name)
    keys = [k async for k in cleaner.client.scan_iter(match=f"{name}:*")]
    if keys:
        await cleaner.client.delete(*keys)
    await cleaner.close()


async def _done_within(tasks: list[asyncio.Future], seconds: float) -> int:
    done, _ = await asyncio.wait(tasks, timeout=seconds)
    for task in tasks:
        task.cancel()
    return len(done)


@needs_redis
async def test_two_replicas_spend_one_budget(prefix: str) -> None:
    """5 requests per 30 s shared by two replicas: 8 asked for at once, 5 go; in-process each would take 5."""
    assert REDIS_URL
    one, two = Replicas(REDIS_URL, prefix=prefix), Replicas(REDIS_URL, prefix=prefix)
    try:
        budgets = [one.budgets("hubspot", "default", 5, 30.0), two.budgets("hubspot", "default", 5, 30.0)]
        asks = [asyncio.ensure_future(budgets[n % 2].acquire()) for n in range(8)]
        assert await _done_within(asks, 3.0) == 5
        alone = [local_budget("hubspot", "default", 5, 30.0) for _ in range(2)]
        asks = [asyncio.ensure_future(alone[n % 2].acquire()) for n in range(8)]
        assert await _done_within(asks, 3.0) == 8  # what N replicas did before: each its own limit
    finally:
        await one.close()
        await two.close()


@needs_redis
async def test_a_429_seen_by_one_replica_holds_the_others(prefix: str) -> None:
    """After replica one's 429 (Retry-After 30 s), replica two waits too instead of drawing another 429."""
    assert REDIS_URL
    one, two = Replicas(REDIS_URL, prefix=prefix), Replicas(REDIS_URL, prefix=prefix)
    try:
        first = one.budgets("quickbooks", "default", 500, 60.0)
        other = two.budgets("quickbooks", "default", 500, 60.0)
        await other.acquire()  # open before the 429
        first.penalise(30.0)
        await asyncio.sleep(0.2)  # the penalty reaches Redis in the background
        assert await _done_within([asyncio.ensure_future(other.acquire())], 1.0) == 0
    finally:
        await one.close()
        await two.close()


@needs_redis
async def test_a_slot_whose_call_waited_for_a_worker_counts_from_when_it_left(prefix: str) -> None:
    """The Runner restamps a slot when its call leaves (connectors.runtime): in Redis too, for every replica."""
    assert REDIS_URL
    one = Replicas(REDIS_URL, prefix=prefix)
    try:
        budget = one.budgets("hubspot", "default", 5, 30.0)
        window = one.key("budget", "hubspot", "default")
        stamp = await budget.acquire()
        [(member, taken)] = await one.client.zrange(window, 0, -1, withscores=True)
        await asyncio.sleep(0.05)  # the call waits for a worker
        budget.restamp(stamp)
        await asyncio.gather(*one._tasks)  # the restamp reaches Redis in the background
        [(same, left)] = await one.client.zrange(window, 0, -1, withscores=True)
        assert same == member and left > taken
        budget.restamp(stamp)  # once only: a stamp restamped already is left alone
        assert not one._tasks
    finally:
        await one.close()


@needs_redis
async def test_one_replica_fetches_while_the_others_wait(prefix: str) -> None:
    """Three replicas ask for one section at once: one fetch; a value not signed by this deployment is ignored."""
    assert REDIS_URL
    replicas = [Replicas(REDIS_URL, prefix=prefix, secret="s3cret") for _ in range(3)]
    fetches = 0

    async def fetch() -> dict[str, str]:
        nonlocal fetches
        fetches += 1
        await asyncio.sleep(0.3)
        return {"deal": "Globex"}

    try:
        caches = [SharedCache(r) for r in replicas]
        answers = await asyncio.gather(*(c.once("deal:1", fetch, 60.0, 3600.0) for c in caches))
        assert answers == [{"deal": "Globex"}] * 3 and fetches == 1
        stranger = Replicas(REDIS_URL, prefix=prefix, secret="another deployment")
        await SharedCache(stranger).put("deal:2", {"deal": "forged"}, 60.0, 60.0)
        await stranger.close()
        assert await caches[0].get("fresh", "deal:2") is None
    finally:
        for r in replicas:
            await r.close()


@needs_redis
async def test_replicas_answer_cards_for_the_upstream_calls_of_one(tmp_path, prefix: str) -> None:
    """/account Globex on each of three replicas of one deployment: the upstream calls of one card, three cards."""
    assert REDIS_URL
    sandbox = await Sandbox().start()
    bots: list[Bot] = []
    try:
        for n in range(3):
            bots.append(
                await start_bot(
                    tmp_path / f"r{n}",
                    sandbox=sandbox,
                    database_url=f"sqlite:///{tmp_path}/shared.db",
                    settings_overrides={"redis_url": REDIS_URL},
                    redis_prefix=prefix,
                )
            )
        for bot in bots:  # join indexes and HubSpot's pipelines and owners, as a replica that has run a while
            await bot.services.asana.refresh_index()
            await bot.services.accounting.sync_index()
            await bot.command("Umbrella Health")
        one = await _calls(sandbox, bots[0], prefix, lambda: bots[0].command("Globex"))
        answers: list[tuple[int, str, str]] = []

        async def everyone() -> None:
            answers.extend(await asyncio.gather(*(bot.command("Globex") for bot in bots)))

        shared = await _calls(sandbox, bots[0], prefix, everyone)
        assert all("Globex – Customer Data Platform" in block_texts(json.loads(body)) for _, body, _ in answers)
        # three cards for the upstream calls of one (give or take a per-process lookup), not three times them
        assert sum(one.values()) > 0 and all(shared[s] <= one[s] + 1 for s in SYSTEMS), (shared, one)
        report = await bots[1].services.doctor.report(probe=False)
        assert report["redis"]["configured"] is True and report["redis"]["available"] is True
    finally:
        for bot in bots:
            await stop_bot(bot)
        await sandbox.stop()


async def _calls(sandbox: Sandbox, bot: Bot, prefix: str, work: Callable[[], Awaitable[object]]) -> dict[str, int]:
    """Upstream calls per system that `work` makes, starting cold (no cached sections anywhere)."""
    cache = bot.services.replicas
    assert cache is not None
    keys = [k async for k in cache.client.scan_iter(match=f"{prefix}:cache:*")]
    if keys:
        await cache.client.delete(*keys)
    await asyncio.sleep(1.2)  # HubSpot's search window, as between two people's lookups
    before = {s: sandbox.emulators[s].count() for s in SYSTEMS}
    await work()
    return {s: sandbox.emulators[s].count() - before[s] for s in SYSTEMS}


async def test_redis_down_is_told_and_the_replica_goes_on_alone(tmp_path, prefix: str) -> None:
    """REDIS_URL pointing at nothing: the card still comes, /healthz and doctor say budgets aren't shared."""
    bot = await start_bot(tmp_path, settings_overrides={"redis_url": "redis://127.0.0.1:1/0"}, redis_prefix=prefix)
    try:
        _, body, _ = await bot.command("Globex")
        assert "Globex – Customer Data Platform" in block_texts(json.loads(body))
        async with bot.http.get(f"{bot.url}/healthz") as resp:
            health = await resp.json()
        assert health["status"] == "degraded" and health["redis"]["available"] is False
        assert any("REDIS_URL" in p and "rate budgets" in p for p in health["problems"])
    finally:
        await stop_bot(bot)


def test_redis_url_must_be_a_redis_url() -> None:
    """REDIS_URL=http://… is refused at start-up, naming the variable."""
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match="REDIS_URL"):
        Settings.from_env({"REDIS_URL": "http://localhost:6379"}, dotenv=None)
    assert Settings.from_env({"REDIS_URL": "redis://127.0.0.1:6379/0"}, dotenv=None).redis_url
