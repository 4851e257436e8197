"""What the bot last wrote onto HubSpot deals: the write-back diffs against it, to write only what changed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.schema import DEAL_WRITEBACK


class WritebackStore:
    """Mixed into Store; uses its `engine` and `dialect`."""

    engine: AsyncEngine
    dialect: str

    async def written_values(self, deal_ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """deal_id → the accountbot_* values HubSpot holds from our last write (deals never written: absent)."""
        ids = list(dict.fromkeys(deal_ids))
        t = DEAL_WRITEBACK
        out: dict[str, dict[str, str]] = {}
        async with self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                rows = await conn.execute(
                    select(t.c.deal_id, t.c.written).where(t.c.deal_id.in_(ids[start : start + 500]))
                )
                out.update({r.deal_id: json.loads(r.written) for r in rows.all()})
        return out

    async def record_written(self, values: Mapping[str, Mapping[str, str]]) -> None:
        """Remember what HubSpot now holds for these deals (merged over what it held)."""
        if not values:
            return
        before = await self.written_values(values)
        t = DEAL_WRITEBACK
        rows = [
            {
                "deal_id": deal_id,
                "written": json.dumps({**before.get(deal_id, {}), **dict(new)}, sort_keys=True),
                "written_at": time.time(),
            }
            for deal_id, new in values.items()
        ]
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        stmt = upsert(t).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.deal_id],
            set_={"written": stmt.excluded.written, "written_at": stmt.excluded.written_at},
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt)
