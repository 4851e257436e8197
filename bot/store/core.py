"""The core store: SQLAlchemy 2 async on SQLite (default) or PostgreSQL (several instances).

It keeps what must survive a restart and be shared between processes: the QuickBooks
OAuth tokens (compare-and-swap on a version), the join indexes (Asana project by deal ID,
QuickBooks invoices by deal ID) and sync cursors.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Iterable
from typing import Any, Self

from sqlalchemy import (
    and_,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.opening import StoreUnavailable, async_url, check_sqlite_folder, create_schema, explain
from bot.store.schema import (
    ASANA_PROJECT_INDEX,
    CLAIMS,
    OAUTH_TOKENS,
    QBO_INVOICE_INDEX,
    SYNC_STATE,
    AsanaProjectIndex,
    Claim,
    OAuthToken,
    SyncState,
)
from connectors.ports import IndexedProject, TokenRecord

log = logging.getLogger(__name__)

# aiosqlite logs every statement with its parameters at DEBUG: tokens must never reach a log.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


class CoreStore:
    """Async access to the accountbot database; create with `await Store.open(url)`."""

    def __init__(self, engine: AsyncEngine, schema: str | None = None) -> None:
        self.engine = engine
        self.schema = schema
        self.dialect = engine.dialect.name
        self.migrated = ""  # what opening did to the schema, in words

    @classmethod
    async def open(cls, url: str, *, schema: str | None = None) -> Self:
        """Connect and create the schema if needed (safe when many processes start at once)."""
        aurl = async_url(url)
        check_sqlite_folder(url)
        kwargs: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
        if aurl.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30}
        elif schema:
            kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        engine = create_async_engine(aurl, **kwargs)
        store = cls(engine, schema)
        try:
            await store._create_schema()
        except (DBAPIError, OSError, TimeoutError) as exc:
            await engine.dispose()
            raise StoreUnavailable(explain(url, exc)) from exc
        log.info("database %s: schema %s", make_url(url).render_as_string(hide_password=True), store.migrated)
        return store

    async def _create_schema(self) -> None:
        """Create or upgrade the schema (Alembic), one process at a time, and one store at a time in a process."""
        self.migrated = await create_schema(self.engine, self.schema)

    async def ping(self, timeout: float = 5.0) -> str | None:
        """None when the database answers a trivial query within `timeout`; else why not, in one line."""
        try:
            async with asyncio.timeout(timeout), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except TimeoutError:
            return f"the database does not answer within {timeout:g} s: check it (DATABASE_URL)"
        except (DBAPIError, OSError) as exc:
            return f"the database does not answer: {explain(str(self.engine.url), exc)}"
        return None

    async def close(self) -> None:
        """Dispose of the connection pool."""
        await self.engine.dispose()

    # -- OAuth tokens -------------------------------------------------------------------

    async def get_token(self, key: str) -> TokenRecord | None:
        """The stored token set for `key`, or None."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(OAUTH_TOKENS).where(OAuthToken.key == key))).first()
        if row is None:
            return None
        return TokenRecord(
            key=row.key,
            refresh_token=row.refresh_token,
            access_token=row.access_token,
            access_expires_at=row.access_expires_at or 0.0,
            refresh_expires_at=row.refresh_expires_at,
            version=row.version,
        )

    async def seed_token(self, key: str, refresh_token: str) -> TokenRecord:
        """Insert the first refresh token (from the environment) unless one is stored already."""
        existing = await self.get_token(key)
        if existing is not None:
            return existing
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(OAUTH_TOKENS).values(
                        key=key,
                        refresh_token=refresh_token,
                        access_token=None,
                        access_expires_at=0.0,
                        refresh_expires_at=None,
                        version=1,
                        updated_at=time.time(),
                    )
                )
        except IntegrityError:
            pass  # another process seeded it first
        record = await self.get_token(key)
        assert record is not None
        return record

    async def put_token(
        self,
        key: str,
        *,
        refresh_token: str,
        access_token: str,
        access_expires_at: float,
        refresh_expires_at: float | None,
    ) -> TokenRecord:
        """Store a token set that a refresh just obtained (the lock holder's: it wins), bumping the version."""
        t = OAUTH_TOKENS
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(t.c.key == key)
                .values(
                    refresh_token=refresh_token,
                    access_token=access_token,
                    access_expires_at=access_expires_at,
                    refresh_expires_at=refresh_expires_at,
                    version=t.c.version + 1,
                    updated_at=time.time(),
                )
            )
            version = (await conn.execute(select(t.c.version).where(t.c.key == key))).scalar_one()
        return TokenRecord(key, refresh_token, access_token, access_expires_at, refresh_expires_at, version)

    async def reset_token(self, key: str, refresh_token: str) -> None:
        """Replace the stored refresh token by a new one from an admin (re-authorisation)."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(OAUTH_TOKENS).where(OAuthToken.key == key))
        await self.seed_token(key, refresh_token)

    # -- Asana project index ------------------------------------------------------------

    async def add_asana_project(self, workspace_gid: str, project: IndexedProject) -> None:
        """Index one project now (one the bot just made or linked), without waiting for the next scan."""
        t = ASANA_PROJECT_INDEX
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(t).where(and_(t.c.workspace_gid == workspace_gid, t.c.project_gid == project.project_gid))
            )
            await conn.execute(
                insert(t).values(
                    workspace_gid=workspace_gid,
                    project_gid=project.project_gid,
                    deal_id=project.deal_id,
                    project_name=project.project_name,
                    archived=int(project.archived),
                    indexed_at=time.time(),
                )
            )

    async def replace_asana_index(self, workspace_gid: str, projects: Iterable[IndexedProject]) -> None:
        """Replace the workspace's index with a full scan's result, in one transaction."""
        now = time.time()
        rows = [
            dict(
                workspace_gid=workspace_gid,
                project_gid=p.project_gid,
                deal_id=p.deal_id,
                project_name=p.project_name,
                archived=int(p.archived),
                indexed_at=now,
            )
            for p in projects
        ]
        async with self.engine.begin() as conn:
            await conn.execute(delete(ASANA_PROJECT_INDEX).where(AsanaProjectIndex.workspace_gid == workspace_gid))
            if rows:
                await conn.execute(insert(ASANA_PROJECT_INDEX), rows)
        await self.set_sync(f"asana-index:{workspace_gid}", str(now))

    async def asana_projects_for(self, workspace_gid: str, deal_id: str) -> list[IndexedProject]:
        """Indexed projects whose deal field equals `deal_id`, unarchived first."""
        t = ASANA_PROJECT_INDEX
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t)
                    .where(and_(t.c.workspace_gid == workspace_gid, t.c.deal_id == deal_id))
                    .order_by(t.c.archived, t.c.project_gid)
                )
            ).all()
        return [IndexedProject(r.project_gid, r.deal_id, r.project_name, bool(r.archived), r.indexed_at) for r in rows]

    async def asana_index(self, workspace_gid: str) -> list[IndexedProject]:
        """Every indexed project of the workspace (those carrying a deal ID)."""
        t = ASANA_PROJECT_INDEX
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(select(t).where(t.c.workspace_gid == workspace_gid).order_by(t.c.project_gid))
            ).all()
        return [IndexedProject(r.project_gid, r.deal_id, r.project_name, bool(r.archived), r.indexed_at) for r in rows]

    async def asana_index_age(self, workspace_gid: str) -> float | None:
        """Seconds since the last full index scan, or None if never."""
        value = await self.get_sync(f"asana-index:{workspace_gid}")
        return None if value is None else max(0.0, time.time() - float(value))

    # -- QuickBooks invoice index -------------------------------------------------------

    async def upsert_invoices(self, realm_id: str, entries: Iterable[tuple[str, str | None, str]]) -> int:
        """Record (invoice_id, deal_id or None, LastUpdatedTime) rows; safe when processes race.

        Another process writing the same rows at once can make the write collide (a unique
        violation on PostgreSQL): it is tried again, up to five times in all.
        """
        rows = [dict(realm_id=realm_id, invoice_id=i, deal_id=d, last_updated=u) for i, d, u in entries]
        if not rows:
            return 0
        for attempt in range(5):
            try:
                await self._upsert_invoice_rows(rows)
                break
            except IntegrityError:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.02 * (attempt + 1) * (0.5 + random.random()))
        return len(rows)

    async def _upsert_invoice_rows(self, rows: list[dict[str, Any]]) -> None:
        """One attempt at writing index rows, in one transaction."""
        t = QBO_INVOICE_INDEX
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            # the dialects' inserts share on_conflict_do_update, not a type
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        stmt = upsert(t)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.realm_id, t.c.invoice_id],
            set_={"deal_id": stmt.excluded.deal_id, "last_updated": stmt.excluded.last_updated},
        )
        async with self.engine.begin() as conn:
            for chunk in _chunks(rows, 500):  # one compiled statement, executed many times (batched by the driver)
                await conn.execute(stmt, chunk)

    async def delete_invoices(self, realm_id: str, invoice_ids: Iterable[str]) -> None:
        """Forget invoices deleted in QuickBooks."""
        t = QBO_INVOICE_INDEX
        ids = list(invoice_ids)
        async with self.engine.begin() as conn:
            for chunk in _chunks(ids, 500):
                await conn.execute(delete(t).where(and_(t.c.realm_id == realm_id, t.c.invoice_id.in_(chunk))))

    async def invoices_for(self, realm_id: str, deal_id: str) -> list[str]:
        """Invoice IDs whose deal field equals `deal_id`."""
        t = QBO_INVOICE_INDEX
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(select(t.c.invoice_id).where(and_(t.c.realm_id == realm_id, t.c.deal_id == deal_id)))
            ).all()
        return sorted((r.invoice_id for r in rows), key=lambda s: (len(s), s))

    async def invoices_for_many(self, realm_id: str, deal_ids: Iterable[str]) -> dict[str, list[str]]:
        """Invoice IDs of many deals at once: deal_id → ids (deals without invoices left out)."""
        t = QBO_INVOICE_INDEX
        ids = list(deal_ids)
        found: dict[str, list[str]] = {}
        async with self.engine.connect() as conn:
            for chunk in _chunks(ids, 500):
                rows = (
                    await conn.execute(
                        select(t.c.deal_id, t.c.invoice_id).where(
                            and_(t.c.realm_id == realm_id, t.c.deal_id.in_(chunk))
                        )
                    )
                ).all()
                for row in rows:
                    found.setdefault(row.deal_id, []).append(row.invoice_id)
        return found

    async def indexed_invoice_ids(self, realm_id: str) -> set[str]:
        """Every invoice ID indexed for the company."""
        t = QBO_INVOICE_INDEX
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t.c.invoice_id).where(t.c.realm_id == realm_id))).all()
        return {r.invoice_id for r in rows}

    async def invoice_count(self, realm_id: str) -> int:
        """How many invoices of the company are indexed."""
        t = QBO_INVOICE_INDEX
        async with self.engine.connect() as conn:
            return (
                await conn.execute(select(func.count()).select_from(t).where(t.c.realm_id == realm_id))
            ).scalar_one()

    # -- one-time claims (dedupe across processes) ------------------------------------------

    async def claim(self, key: str, kind: str) -> bool:
        """True the first time `key` is claimed by any process; False for a repeat."""
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(CLAIMS).values(key=key, kind=kind, result=None, at=time.time()))
            return True
        except IntegrityError:
            return False

    async def release(self, key: str) -> None:
        """Give a claim back (the work failed and may be tried again)."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(CLAIMS).where(Claim.key == key))

    async def prune_claims(self, kind: str, older_than: float) -> int:
        """Forget claims of `kind` older than `older_than` seconds."""
        cutoff = time.time() - older_than
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(CLAIMS).where(and_(Claim.kind == kind, Claim.at < cutoff)))
        return result.rowcount or 0

    # -- sync cursors -------------------------------------------------------------------

    async def get_sync(self, name: str) -> str | None:
        """A stored cursor (e.g. the last LastUpdatedTime seen), or None."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(SyncState.value).where(SyncState.name == name))).first()
        return None if row is None else row.value

    async def set_sync(self, name: str, value: str) -> None:
        """Store a cursor (insert or update)."""
        t = SYNC_STATE
        async with self.engine.begin() as conn:
            result = await conn.execute(update(t).where(t.c.name == name).values(value=value, updated_at=time.time()))
            if result.rowcount == 0:
                try:
                    async with conn.begin_nested():
                        await conn.execute(insert(t).values(name=name, value=value, updated_at=time.time()))
                except IntegrityError:
                    await conn.execute(update(t).where(t.c.name == name).values(value=value, updated_at=time.time()))

    async def delete_sync(self, name: str) -> None:
        """Forget a stored value."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(SYNC_STATE).where(SyncState.name == name))

    async def syncs_with_prefix(self, prefix: str) -> dict[str, str]:
        """Every stored value whose name starts with `prefix`: name → value."""
        t = SYNC_STATE
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.c.name, t.c.value).where(t.c.name.startswith(prefix, autoescape=True)))
        return {r.name: r.value for r in rows.all()}


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
