"""The store on both backends: tokens, join indexes, cursors, schema races."""

from __future__ import annotations

import asyncio
import os

import pytest

from bot.store import IndexedProject, Store, async_url


async def test_token_seed_then_put(store: Store) -> None:
    """The first refresh token is seeded once (the env never overwrites a stored one); a put bumps the version."""
    first = await store.seed_token("qbo:1", "RT-1")
    again = await store.seed_token("qbo:1", "RT-ignored")
    assert again.refresh_token == "RT-1" and again.version == first.version
    put = await store.put_token(
        "qbo:1", refresh_token="RT-2", access_token="AT-2", access_expires_at=10.0, refresh_expires_at=20.0
    )
    assert put.version == first.version + 1
    stored = await store.get_token("qbo:1")
    assert stored == put and stored.refresh_token == "RT-2" and stored.access_token == "AT-2"


async def test_asana_index_replace_and_lookup(store: Store) -> None:
    """A full scan replaces the index; lookups return unarchived projects first."""
    await store.replace_asana_index(
        "W",
        [
            IndexedProject("P1", "D1", "One", True, 0),
            IndexedProject("P2", "D1", "Two", False, 0),
            IndexedProject("P3", "D2", "Three", False, 0),
        ],
    )
    found = await store.asana_projects_for("W", "D1")
    assert [p.project_gid for p in found] == ["P2", "P1"]
    await store.replace_asana_index("W", [IndexedProject("P3", "D2", "Three", False, 0)])
    assert await store.asana_projects_for("W", "D1") == []
    age = await store.asana_index_age("W")
    assert age is not None and age < 60


async def test_invoice_index_upsert_moves_and_deletes(store: Store) -> None:
    """An invoice whose deal field changes moves to the new deal; deleted ones vanish."""
    await store.upsert_invoices("R", [("1", "D1", "t1"), ("2", "D1", "t1"), ("3", None, "t1")])
    assert await store.invoices_for("R", "D1") == ["1", "2"]
    await store.upsert_invoices("R", [("2", "D2", "t2")])
    assert await store.invoices_for("R", "D1") == ["1"]
    assert await store.invoices_for("R", "D2") == ["2"]
    await store.delete_invoices("R", ["1"])
    assert await store.invoices_for("R", "D1") == []
    assert await store.invoice_count("R") == 2


async def test_sync_cursor_upsert(store: Store) -> None:
    """Cursors are inserted, then updated in place."""
    assert await store.get_sync("qbo:cursor") is None
    await store.set_sync("qbo:cursor", "a")
    await store.set_sync("qbo:cursor", "b")
    assert await store.get_sync("qbo:cursor") == "b"


async def test_many_processes_creating_the_schema_at_once(tmp_path) -> None:
    """Several stores opening one fresh database at the same moment do not race."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        import uuid

        schema = f"race_{uuid.uuid4().hex[:8]}"
        stores = await asyncio.gather(*(Store.open(url, schema=schema) for _ in range(5)))
    else:
        stores = await asyncio.gather(*(Store.open(f"sqlite:///{tmp_path}/race.db") for _ in range(5)))
    await stores[0].set_sync("x", "1")
    assert await stores[-1].get_sync("x") == "1"
    if url:
        from sqlalchemy import text

        async with stores[0].engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    for s in stores:
        await s.close()


@pytest.mark.parametrize(
    "url, expected",
    [
        ("sqlite:///accountbot.db", "sqlite+aiosqlite:///accountbot.db"),
        ("sqlite:////var/lib/a.db", "sqlite+aiosqlite:////var/lib/a.db"),
        ("postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_url_mapping(url: str, expected: str) -> None:
    """DATABASE_URL forms map to their async drivers."""
    assert async_url(url) == expected


def test_unknown_database_url_is_refused() -> None:
    """A MySQL URL gets a message naming what is accepted."""
    with pytest.raises(ValueError, match="sqlite:/// or postgresql://"):
        async_url("mysql://x")


async def test_claims_are_one_time_across_stores(store: Store) -> None:
    """A key is claimed once; a release lets it be claimed again; old claims are pruned."""
    assert await store.claim("evt:Ev1", "event") is True
    assert await store.claim("evt:Ev1", "event") is False
    await store.release("evt:Ev1")
    assert await store.claim("evt:Ev1", "event") is True
    assert await store.prune_claims("event", older_than=-1) == 1


async def test_concurrent_claims_have_one_winner(store: Store) -> None:
    """Ten simultaneous claims of one key: exactly one wins."""
    results = await asyncio.gather(*(store.claim("k", "event") for _ in range(10)))
    assert results.count(True) == 1


async def test_concurrent_index_writes_do_not_collide(store: Store) -> None:
    """Two processes indexing the same invoices at once both succeed; the last write stands."""
    rows = [(str(i), "D1", "t1") for i in range(300)]
    await asyncio.gather(
        store.upsert_invoices("R", rows),
        store.upsert_invoices("R", rows),
        store.upsert_invoices("R", [(str(i), "D2", "t2") for i in range(300)]),
    )
    assert await store.invoice_count("R") == 300


async def test_tokens_are_not_in_reprs(store: Store) -> None:
    """A token record printed in a log or traceback shows no secret."""
    record = await store.seed_token("qbo:9", "RT-secret-value")
    assert "RT-secret-value" not in repr(record)


async def test_channel_links(store: Store) -> None:
    """A channel binds to one account; rebinding replaces; unlink undoes."""
    await store.link_channel("C1", "D1", "Acme", "U1")
    await store.link_channel("C1", "D2", "Globex", "U2")
    assert await store.channel_link("C1") == ("D2", "Globex")
    assert await store.unlink_channel("C1") is True
    assert await store.channel_link("C1") is None and await store.unlink_channel("C1") is False


async def test_snapshots_keep_180_days_and_give_the_latest(store: Store) -> None:
    """Old snapshots are pruned; latest_snapshots picks each deal's newest; kickoff stays reachable."""
    import time as _time

    now = _time.time()
    await store.add_snapshot("D1", {"n": 0}, taken_at=now - 200 * 86400)
    await store.add_snapshot("D1", {"n": 1}, taken_at=now - 100 * 86400)
    await store.add_snapshot("D1", {"n": 2}, taken_at=now - 10)
    await store.add_snapshot("D2", {"n": 9}, taken_at=now - 5)
    assert [s["n"] for s in await store.snapshots("D1")] == [1, 2]
    latest = await store.latest_snapshots(["D1", "D2", "D3"])
    assert {k: v[1]["n"] for k, v in latest.items()} == {"D1": 2, "D2": 9}
    assert [s["n"] for s in await store.first_and_recent_snapshots("D1", since=now - 86400)] == [1, 2]


async def test_rep_prefs(store: Store) -> None:
    """Defaults, then changes that stick."""
    assert await store.rep_prefs("U1") == {"digest_opt_out": False, "home_filter": "all"}
    await store.set_rep_prefs("U1", digest_opt_out=True)
    await store.set_rep_prefs("U1", home_filter="upsell")
    assert await store.rep_prefs("U1") == {"digest_opt_out": True, "home_filter": "upsell"}
