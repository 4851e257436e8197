"""Link repair's records: the links made from `/account unlinked`, and the deal IDs the invoice index holds."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.schema import LINK_HISTORY, QBO_INVOICE_INDEX


@dataclass(frozen=True)
class LinkMade:
    """One link made: who joined what (kind, target) to which deal, and when (epoch seconds)."""

    kind: str
    target_id: str
    target_name: str
    deal_id: str
    user_id: str
    at: float


class LinkStore:
    """Mixed into Store; uses its `engine`."""

    engine: AsyncEngine

    async def record_link(self, kind: str, target_id: str, target_name: str, deal_id: str, user_id: str) -> bool:
        """Keep who made a link; False when that link was recorded already (a second click)."""
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(LINK_HISTORY).values(
                        kind=kind,
                        target_id=target_id,
                        target_name=target_name,
                        deal_id=deal_id,
                        user_id=user_id,
                        at=time.time(),
                    )
                )
        except IntegrityError:
            return False
        return True

    async def forget_link(self, kind: str, target_id: str, deal_id: str) -> None:
        """Drop a link's record (its write failed: the next click tries again)."""
        t = LINK_HISTORY
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(t).where(and_(t.c.kind == kind, t.c.target_id == target_id, t.c.deal_id == deal_id))
            )

    async def recent_links(self, limit: int = 10) -> list[LinkMade]:
        """The newest links made, newest first."""
        t = LINK_HISTORY
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t).order_by(t.c.at.desc(), t.c.id.desc()).limit(limit))).all()
        return [_made(r) for r in rows]

    async def indexed_deal_ids(self, realm_id: str) -> dict[str, int]:
        """Deal ID -> how many indexed invoices of the company carry it."""
        t = QBO_INVOICE_INDEX
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t.c.deal_id, func.count())
                    .where(and_(t.c.realm_id == realm_id, t.c.deal_id.is_not(None)))
                    .group_by(t.c.deal_id)
                )
            ).all()
        return {str(deal): int(count) for deal, count in rows}


def _made(row: Any) -> LinkMade:
    return LinkMade(str(row.kind), str(row.target_id), str(row.target_name), str(row.deal_id), str(row.user_id), row.at)
