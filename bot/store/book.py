"""The rep's book: channel links, status snapshots (history) and rep preferences."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models.snapshot import Snapshot
from bot.store.schema import (
    ALERT_EVENTS,
    ASANA_PROJECT_INDEX,
    CHANNEL_LINKS,
    QBO_INVOICE_INDEX,
    REP_PREFS,
    SNAPSHOTS,
    SUBSCRIPTIONS,
)

SNAPSHOT_RETENTION = 180 * 86400.0


class BookStore:
    """Mixed into Store; uses its `engine`."""

    engine: AsyncEngine

    # -- channel links ------------------------------------------------------------------

    async def link_channel(self, channel_id: str, deal_id: str, deal_name: str, user_id: str) -> None:
        """Bind a channel to an account (replacing an earlier binding)."""
        t = CHANNEL_LINKS
        async with self.engine.begin() as conn:
            await conn.execute(delete(t).where(t.c.channel_id == channel_id))
            await conn.execute(
                insert(t).values(
                    channel_id=channel_id,
                    deal_id=deal_id,
                    deal_name=deal_name,
                    linked_by=user_id,
                    linked_at=time.time(),
                )
            )

    async def unlink_channel(self, channel_id: str) -> bool:
        """Undo a binding; False when there was none."""
        t = CHANNEL_LINKS
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(t).where(t.c.channel_id == channel_id))
        return bool(result.rowcount)

    async def channel_link(self, channel_id: str) -> tuple[str, str] | None:
        """(deal_id, deal_name) the channel is bound to."""
        t = CHANNEL_LINKS
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.channel_id == channel_id))).first()
        return None if row is None else (row.deal_id, row.deal_name)

    # -- snapshots ----------------------------------------------------------------------

    async def add_snapshot(self, deal_id: str, data: Snapshot, taken_at: float | None = None) -> None:
        """Keep one status snapshot; older than 180 days are pruned as we go."""
        t = SNAPSHOTS
        now = taken_at if taken_at is not None else time.time()
        async with self.engine.begin() as conn:
            await conn.execute(insert(t).values(deal_id=deal_id, taken_at=now, data=json.dumps(data, default=str)))
            await conn.execute(delete(t).where(and_(t.c.deal_id == deal_id, t.c.taken_at < now - SNAPSHOT_RETENTION)))

    async def snapshots(self, deal_id: str, since: float | None = None) -> list[Snapshot]:
        """A deal's snapshots, oldest first (all, or since a time)."""
        t = SNAPSHOTS
        query = select(t.c.data).where(t.c.deal_id == deal_id).order_by(t.c.taken_at, t.c.id)
        if since is not None:
            query = query.where(t.c.taken_at >= since)
        async with self.engine.connect() as conn:
            return [json.loads(r.data) for r in (await conn.execute(query)).all()]

    async def first_and_recent_snapshots(self, deal_id: str, since: float) -> list[Snapshot]:
        """The first snapshot ever (kickoff, for scope changes) plus those since a time."""
        t = SNAPSHOTS
        async with self.engine.connect() as conn:
            first = (
                await conn.execute(
                    select(t.c.data, t.c.taken_at).where(t.c.deal_id == deal_id).order_by(t.c.taken_at, t.c.id).limit(1)
                )
            ).first()
            recent = (
                await conn.execute(
                    select(t.c.data, t.c.taken_at)
                    .where(and_(t.c.deal_id == deal_id, t.c.taken_at >= since))
                    .order_by(t.c.taken_at, t.c.id)
                )
            ).all()
        rows = ([first] if first is not None and (not recent or first.taken_at < recent[0].taken_at) else []) + list(
            recent
        )
        return [json.loads(r.data) for r in rows]

    async def latest_snapshots(self, deal_ids: Iterable[str]) -> dict[str, tuple[float, Snapshot]]:
        """The newest snapshot of each deal: deal_id → (taken_at, data)."""
        ids = list(deal_ids)
        if not ids:
            return {}
        t = SNAPSHOTS
        newest = (
            select(t.c.deal_id, func.max(t.c.taken_at).label("at"))
            .where(t.c.deal_id.in_(ids))
            .group_by(t.c.deal_id)
            .subquery()
        )
        query = select(t.c.deal_id, t.c.taken_at, t.c.data).join(
            newest, and_(t.c.deal_id == newest.c.deal_id, t.c.taken_at == newest.c.at)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {r.deal_id: (r.taken_at, json.loads(r.data)) for r in rows}

    async def tracked_deal_ids(self) -> set[str]:
        """Every deal ID with post-sale life: in the Asana or QuickBooks index, a subscription or an event."""
        ids: set[str] = set()
        async with self.engine.connect() as conn:
            for column in (
                ASANA_PROJECT_INDEX.c.deal_id,
                QBO_INVOICE_INDEX.c.deal_id,
                SUBSCRIPTIONS.c.deal_id,
                ALERT_EVENTS.c.deal_id,
            ):
                ids.update(r[0] for r in (await conn.execute(select(column).distinct())).all() if r[0])
        return ids

    # -- rep preferences ----------------------------------------------------------------

    async def rep_prefs(self, user_id: str) -> dict[str, Any]:
        """{"digest_opt_out": bool, "home_filter": str} with defaults."""
        t = REP_PREFS
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.user_id == user_id))).first()
        if row is None:
            return {"digest_opt_out": False, "home_filter": "all"}
        return {"digest_opt_out": bool(row.digest_opt_out), "home_filter": row.home_filter}

    async def reps(self) -> list[str]:
        """Slack users who have a book (they opened Home at least once)."""
        t = REP_PREFS
        async with self.engine.connect() as conn:
            return [r.user_id for r in (await conn.execute(select(t.c.user_id).order_by(t.c.user_id))).all()]

    async def set_rep_prefs(self, user_id: str, **values: Any) -> None:
        """Change some of a rep's preferences."""
        t = REP_PREFS
        clean = {k: (int(v) if k == "digest_opt_out" else v) for k, v in values.items()}
        async with self.engine.begin() as conn:
            result = await conn.execute(update(t).where(t.c.user_id == user_id).values(**clean))
            if result.rowcount:
                return
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(t).values(user_id=user_id, **{"digest_opt_out": 0, "home_filter": "all", **clean})
                )
        except IntegrityError:
            async with self.engine.begin() as conn:
                await conn.execute(update(t).where(t.c.user_id == user_id).values(**clean))
