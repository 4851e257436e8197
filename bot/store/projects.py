"""The delivery projects made for won deals: one per deal, handed from process to process if one dies."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.schema import DELIVERY_PROJECTS

DONE = ("created", "existing")


@dataclass(frozen=True)
class ProjectWork:
    """A deal's delivery project as the store knows it."""

    deal_id: str
    state: str
    job_gid: str | None
    project_gid: str | None
    project_name: str
    attempts: int
    error: str | None
    field_added: bool
    started_at: float
    updated_at: float
    resumed: bool = False  # taken over from a maker that stopped (its job, if noted, goes on)


def _work(row: Any, resumed: bool = False) -> ProjectWork:
    return ProjectWork(
        row.deal_id,
        row.state,
        row.job_gid,
        row.project_gid,
        row.project_name,
        row.attempts,
        row.error,
        bool(row.field_added),
        row.started_at,
        row.updated_at,
        resumed,
    )


class ProjectStore:
    """Mixed into Store; uses its `engine`."""

    engine: AsyncEngine

    async def take_project_work(self, deal_id: str, name: str, holder: str, stale_after: float) -> ProjectWork | None:
        """Claim making the deal's project; None when it is made, or another process is making it now.

        A failed attempt is taken again; one whose holder stopped reporting for `stale_after`
        seconds (it died) is taken over, job and all.
        """
        t = DELIVERY_PROJECTS
        now = time.time()
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(t).values(
                        deal_id=deal_id,
                        state="creating",
                        holder=holder,
                        project_name=name,
                        attempts=1,
                        field_added=0,
                        started_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            async with self.engine.begin() as conn:
                retry = await conn.execute(
                    update(t)
                    .where(and_(t.c.deal_id == deal_id, t.c.state == "failed"))
                    .values(
                        state="creating",
                        holder=holder,
                        attempts=t.c.attempts + 1,
                        error=None,
                        job_gid=None,
                        project_gid=None,
                        started_at=now,
                        updated_at=now,
                    )
                )
                resume = None
                if retry.rowcount != 1:
                    resume = await conn.execute(
                        update(t)
                        .where(
                            and_(t.c.deal_id == deal_id, t.c.state == "creating", t.c.updated_at < now - stale_after)
                        )
                        .values(holder=holder, attempts=t.c.attempts + 1, updated_at=now)
                    )
                    if resume.rowcount != 1:
                        return None
            work = await self.project_work(deal_id)
            return None if work is None else _work_resumed(work, resume is not None)
        return await self.project_work(deal_id)

    async def project_work(self, deal_id: str) -> ProjectWork | None:
        """The deal's project record, if any."""
        t = DELIVERY_PROJECTS
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.deal_id == deal_id))).first()
        return None if row is None else _work(row)

    async def update_project_work(self, deal_id: str, holder: str, *, release: bool = False, **values: Any) -> None:
        """Record progress (job, project, state, error) while holding the deal's work (it keeps it alive too);
        `release` lets go of it (the outcome is recorded)."""
        t = DELIVERY_PROJECTS
        if release:
            values["holder"] = None
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(and_(t.c.deal_id == deal_id, t.c.holder == holder))
                .values(updated_at=time.time(), **values)
            )

    async def recent_project_work(self, limit: int = 20) -> list[ProjectWork]:
        """The latest records, newest first (doctor)."""
        t = DELIVERY_PROJECTS
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t).order_by(t.c.updated_at.desc()).limit(limit))).all()
        return [_work(r) for r in rows]


def _work_resumed(work: ProjectWork, resumed: bool) -> ProjectWork:
    return replace(work, resumed=resumed)
