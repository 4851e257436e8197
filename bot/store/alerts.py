"""The alert pipeline's storage: subscriptions and events recorded once (deliveries: bot.store.outbox)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models.alerts import AlertPayload
from bot.models.views import Subscription
from bot.store.schema import ALERT_EVENTS, OUTBOX, SUBSCRIPTIONS

ALL = "*"


def _subscription(row: Any) -> Subscription:
    return Subscription(
        row.id,
        row.channel_id,
        row.deal_id,
        row.deal_name,
        frozenset(row.kinds.split(",")),
        row.min_amount,
        row.created_by,
        row.created_at,
        row.broken_reason,
        row.broken_at,
    )


class AlertStore:
    """Mixed into Store; uses its `engine`."""

    engine: AsyncEngine

    # -- subscriptions ------------------------------------------------------------------

    async def subscribe(
        self,
        channel_id: str,
        deal_id: str,
        deal_name: str,
        kinds: Iterable[str],
        min_amount: str | None,
        created_by: str,
    ) -> tuple[Subscription, bool]:
        """Add or widen a channel's subscription; (subscription, created)."""
        t = SUBSCRIPTIONS
        wanted = set(kinds)
        existing = await self._subscription(channel_id, deal_id)
        if existing is not None:
            merged = ",".join(sorted(wanted | set(existing.kinds)))
            async with self.engine.begin() as conn:
                await conn.execute(
                    update(t)
                    .where(t.c.id == existing.id)
                    .values(kinds=merged, min_amount=min_amount, broken_reason=None, broken_at=None)
                )
            return await self._written(channel_id, deal_id), False
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(t).values(
                        channel_id=channel_id,
                        deal_id=deal_id,
                        deal_name=deal_name,
                        kinds=",".join(sorted(wanted)),
                        min_amount=min_amount,
                        created_by=created_by,
                        created_at=time.time(),
                    )
                )
        except IntegrityError:
            return await self.subscribe(channel_id, deal_id, deal_name, kinds, min_amount, created_by)
        return await self._written(channel_id, deal_id), True

    async def unsubscribe(self, channel_id: str, deal_id: str, kinds: Iterable[str] | None = None) -> bool:
        """Remove kinds (or the whole subscription); False when there was none."""
        t = SUBSCRIPTIONS
        existing = await self._subscription(channel_id, deal_id)
        if existing is None:
            return False
        left = set(existing.kinds) - set(kinds or existing.kinds)
        async with self.engine.begin() as conn:
            if left:
                await conn.execute(update(t).where(t.c.id == existing.id).values(kinds=",".join(sorted(left))))
            else:
                await conn.execute(delete(t).where(t.c.id == existing.id))
        return True

    async def subscriptions(self, channel_id: str | None = None) -> list[Subscription]:
        """A channel's subscriptions (or all), oldest first."""
        t = SUBSCRIPTIONS
        query = select(t).order_by(t.c.created_at, t.c.id)
        if channel_id is not None:
            query = query.where(t.c.channel_id == channel_id)
        async with self.engine.connect() as conn:
            return [_subscription(r) for r in (await conn.execute(query)).all()]

    async def subscriptions_for(self, deal_id: str) -> list[Subscription]:
        """Working subscriptions that cover a deal (its own, and "all")."""
        t = SUBSCRIPTIONS
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t).where(and_(or_(t.c.deal_id == deal_id, t.c.deal_id == ALL), t.c.broken_reason.is_(None)))
                )
            ).all()
        return [_subscription(r) for r in rows]

    async def mark_channel_broken(self, channel_id: str, reason: str) -> None:
        """Every subscription of a channel stops being served, and says why."""
        t = SUBSCRIPTIONS
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(and_(t.c.channel_id == channel_id, t.c.broken_reason.is_(None)))
                .values(broken_reason=reason, broken_at=time.time())
            )

    async def _subscription(self, channel_id: str, deal_id: str) -> Subscription | None:
        t = SUBSCRIPTIONS
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(t).where(and_(t.c.channel_id == channel_id, t.c.deal_id == deal_id)))
            ).first()
        return None if row is None else _subscription(row)

    async def _written(self, channel_id: str, deal_id: str) -> Subscription:
        """The subscription just inserted or widened; gone already only if removed in between."""
        found = await self._subscription(channel_id, deal_id)
        if found is None:
            raise LookupError(f"the subscription of {channel_id} to {deal_id} was removed while being written")
        return found

    # -- events and the outbox ----------------------------------------------------------

    async def record_event(
        self,
        key: str,
        kind: str,
        deal_id: str,
        payload: AlertPayload,
        occurred_at: float,
        deliveries: list[tuple[str, str, int | None]],
        due_at: float,
    ) -> bool:
        """Record an event once and queue its deliveries (destination, group_key, subscription id).

        True the first time; False (and nothing queued) when the key was seen before.
        """
        body = json.dumps(payload, default=str)
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(ALERT_EVENTS).values(
                        key=key,
                        kind=kind,
                        deal_id=deal_id,
                        payload=body,
                        occurred_at=occurred_at,
                        created_at=time.time(),
                    )
                )
                if deliveries:
                    await conn.execute(
                        insert(OUTBOX),
                        [
                            dict(
                                event_key=key,
                                destination=dest,
                                group_key=group,
                                kind=kind,
                                deal_id=deal_id,
                                payload=body,
                                subscription_id=sub_id,
                                status="pending",
                                attempts=0,
                                due_at=due_at,
                                created_at=time.time(),
                            )
                            for dest, group, sub_id in deliveries
                        ],
                    )
        except IntegrityError:
            return False
        return True

    async def event_exists(self, key: str) -> bool:
        """Whether an event with this key was recorded."""
        t = ALERT_EVENTS
        async with self.engine.connect() as conn:
            return (await conn.execute(select(t.c.key).where(t.c.key == key))).first() is not None

    async def events_since(self, kind: str, deal_ids: list[str], since: float) -> list[dict[str, Any]]:
        """Payloads of events of a kind for these deals since a time, oldest first."""
        if not deal_ids:
            return []
        t = ALERT_EVENTS
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t.c.payload)
                    .where(and_(t.c.kind == kind, t.c.deal_id.in_(deal_ids), t.c.occurred_at >= since))
                    .order_by(t.c.occurred_at)
                )
            ).all()
        return [json.loads(r.payload) for r in rows]
