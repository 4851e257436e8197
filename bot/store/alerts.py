"""The alert pipeline's storage: subscriptions, events once, the outbox, the lease, the inbox."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.schema import AlertEvent, InboxEntry, Lease, OutboxEntry, SubscriptionRow

ALL = "*"


class _Taken(Exception):
    """Another sender claimed some of the rows first: roll back."""


@dataclass(frozen=True)
class Subscription:
    id: int
    channel_id: str
    deal_id: str  # "*" for every account
    deal_name: str
    kinds: frozenset[str]
    min_amount: str | None
    created_by: str
    created_at: float
    broken_reason: str | None = None
    broken_at: float | None = None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    event_key: str
    destination: str
    group_key: str
    kind: str
    deal_id: str
    payload: dict[str, Any]
    subscription_id: int | None
    status: str
    attempts: int
    due_at: float
    attempt_started_at: float | None
    channel: str | None
    created_at: float


def _subscription(row: Any) -> Subscription:
    return Subscription(row.id, row.channel_id, row.deal_id, row.deal_name, frozenset(row.kinds.split(",")),
                        row.min_amount, row.created_by, row.created_at, row.broken_reason, row.broken_at)


def _outbox(row: Any) -> OutboxRow:
    return OutboxRow(row.id, row.event_key, row.destination, row.group_key, row.kind, row.deal_id,
                     json.loads(row.payload), row.subscription_id, row.status, row.attempts, row.due_at,
                     row.attempt_started_at, row.channel, row.created_at)


class AlertStore:
    """Mixed into Store; uses its `engine`."""

    engine: AsyncEngine

    # -- subscriptions ------------------------------------------------------------------

    async def subscribe(self, channel_id: str, deal_id: str, deal_name: str, kinds: Iterable[str],
                        min_amount: str | None, created_by: str) -> tuple[Subscription, bool]:
        """Add or widen a channel's subscription; (subscription, created)."""
        t = SubscriptionRow.__table__
        wanted = set(kinds)
        existing = await self._subscription(channel_id, deal_id)
        if existing is not None:
            merged = ",".join(sorted(wanted | set(existing.kinds)))
            async with self.engine.begin() as conn:
                await conn.execute(update(t).where(t.c.id == existing.id).values(
                    kinds=merged, min_amount=min_amount, broken_reason=None, broken_at=None))
            return await self._subscription(channel_id, deal_id), False  # type: ignore[return-value]
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(t).values(
                    channel_id=channel_id, deal_id=deal_id, deal_name=deal_name, kinds=",".join(sorted(wanted)),
                    min_amount=min_amount, created_by=created_by, created_at=time.time()))
        except IntegrityError:
            return await self.subscribe(channel_id, deal_id, deal_name, kinds, min_amount, created_by)
        return await self._subscription(channel_id, deal_id), True  # type: ignore[return-value]

    async def unsubscribe(self, channel_id: str, deal_id: str, kinds: Iterable[str] | None = None) -> bool:
        """Remove kinds (or the whole subscription); False when there was none."""
        t = SubscriptionRow.__table__
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
        t = SubscriptionRow.__table__
        query = select(t).order_by(t.c.created_at, t.c.id)
        if channel_id is not None:
            query = query.where(t.c.channel_id == channel_id)
        async with self.engine.connect() as conn:
            return [_subscription(r) for r in (await conn.execute(query)).all()]

    async def subscriptions_for(self, deal_id: str) -> list[Subscription]:
        """Working subscriptions that cover a deal (its own, and "all")."""
        t = SubscriptionRow.__table__
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t).where(and_(
                or_(t.c.deal_id == deal_id, t.c.deal_id == ALL), t.c.broken_reason.is_(None))))).all()
        return [_subscription(r) for r in rows]

    async def mark_channel_broken(self, channel_id: str, reason: str) -> None:
        """Every subscription of a channel stops being served, and says why."""
        t = SubscriptionRow.__table__
        async with self.engine.begin() as conn:
            await conn.execute(update(t).where(and_(t.c.channel_id == channel_id, t.c.broken_reason.is_(None)))
                               .values(broken_reason=reason, broken_at=time.time()))

    async def _subscription(self, channel_id: str, deal_id: str) -> Subscription | None:
        t = SubscriptionRow.__table__
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(and_(t.c.channel_id == channel_id, t.c.deal_id == deal_id)))).first()
        return None if row is None else _subscription(row)

    # -- events and the outbox ----------------------------------------------------------

    async def record_event(self, key: str, kind: str, deal_id: str, payload: dict[str, Any],
                           occurred_at: float, deliveries: list[tuple[str, str, int | None]],
                           due_at: float) -> bool:
        """Record an event once and queue its deliveries (destination, group_key, subscription id).

        True the first time; False (and nothing queued) when the key was seen before.
        """
        body = json.dumps(payload, default=str)
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(AlertEvent.__table__).values(
                    key=key, kind=kind, deal_id=deal_id, payload=body, occurred_at=occurred_at, created_at=time.time()))
                if deliveries:
                    await conn.execute(insert(OutboxEntry.__table__), [dict(
                        event_key=key, destination=dest, group_key=group, kind=kind, deal_id=deal_id, payload=body,
                        subscription_id=sub_id, status="pending", attempts=0, due_at=due_at,
                        created_at=time.time()) for dest, group, sub_id in deliveries])
        except IntegrityError:
            return False
        return True

    async def event_exists(self, key: str) -> bool:
        """Whether an event with this key was recorded."""
        t = AlertEvent.__table__
        async with self.engine.connect() as conn:
            return (await conn.execute(select(t.c.key).where(t.c.key == key))).first() is not None

    async def events_since(self, kind: str, deal_ids: list[str], since: float) -> list[dict[str, Any]]:
        """Payloads of events of a kind for these deals since a time, oldest first."""
        if not deal_ids:
            return []
        t = AlertEvent.__table__
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t.c.payload).where(and_(
                t.c.kind == kind, t.c.deal_id.in_(deal_ids), t.c.occurred_at >= since)).order_by(t.c.occurred_at))).all()
        return [json.loads(r.payload) for r in rows]

    async def due_outbox(self, now: float, limit: int = 500) -> list[OutboxRow]:
        """Pending deliveries whose time has come, oldest first."""
        t = OutboxEntry.__table__
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t).where(and_(t.c.status == "pending", t.c.due_at <= now))
                                       .order_by(t.c.id).limit(limit))).all()
        return [_outbox(r) for r in rows]

    async def next_due(self) -> float | None:
        """When the earliest pending delivery falls due (for the worker's sleep)."""
        t = OutboxEntry.__table__
        async with self.engine.connect() as conn:
            return (await conn.execute(select(func.min(t.c.due_at)).where(t.c.status == "pending"))).scalar()

    async def outbox_rows(self, status: str | None = None) -> list[OutboxRow]:
        """Every outbox row (of a status), for tests and doctor."""
        t = OutboxEntry.__table__
        query = select(t).order_by(t.c.id)
        if status is not None:
            query = query.where(t.c.status == status)
        async with self.engine.connect() as conn:
            return [_outbox(r) for r in (await conn.execute(query)).all()]

    async def claim_for_sending(self, ids: list[int], now: float) -> bool:
        """pending → sending for all of `ids` at once; False if any was taken meanwhile."""
        t = OutboxEntry.__table__
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(update(t).where(and_(t.c.id.in_(ids), t.c.status == "pending"))
                                            .values(status="sending", attempt_started_at=now,
                                                    attempts=t.c.attempts + 1))
                if result.rowcount != len(ids):
                    raise _Taken
        except _Taken:
            return False
        return True

    async def set_outbox_channel(self, ids: list[int], channel: str) -> None:
        """Remember where a DM goes (its IM channel), before posting, for reconciliation."""
        t = OutboxEntry.__table__
        async with self.engine.begin() as conn:
            await conn.execute(update(t).where(t.c.id.in_(ids)).values(channel=channel))

    async def mark_sent(self, ids: list[int], channel: str, ts: str | None) -> None:
        """Slack accepted the message."""
        t = OutboxEntry.__table__
        async with self.engine.begin() as conn:
            await conn.execute(update(t).where(t.c.id.in_(ids)).values(status="sent", channel=channel, sent_ts=ts,
                                                                       last_error=None))

    async def mark_retry(self, ids: list[int], due_at: float, error: str) -> None:
        """Back to pending, to be tried again at `due_at`."""
        t = OutboxEntry.__table__
        async with self.engine.begin() as conn:
            await conn.execute(update(t).where(t.c.id.in_(ids)).values(status="pending", due_at=due_at,
                                                                       last_error=error))

    async def mark_failed(self, ids: list[int], error: str) -> None:
        """Given up for good (the channel is gone or the bot was removed)."""
        t = OutboxEntry.__table__
        async with self.engine.begin() as conn:
            await conn.execute(update(t).where(t.c.id.in_(ids)).values(status="failed", last_error=error))

    async def stuck_sending(self, started_before: float) -> list[OutboxRow]:
        """Deliveries whose send began but never concluded (the sender died mid-send)."""
        t = OutboxEntry.__table__
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t).where(and_(t.c.status == "sending",
                                                            t.c.attempt_started_at < started_before))
                                       .order_by(t.c.id))).all()
        return [_outbox(r) for r in rows]

    async def outbox_stats(self) -> dict[str, Any]:
        """Backlog, oldest pending, failures: for doctor and /healthz."""
        t = OutboxEntry.__table__
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t.c.status, func.count(), func.min(t.c.created_at))
                                       .group_by(t.c.status))).all()
        counts = {r[0]: r[1] for r in rows}
        oldest = min((r[2] for r in rows if r[0] in ("pending", "sending")), default=None)
        return {"pending": counts.get("pending", 0) + counts.get("sending", 0), "sent": counts.get("sent", 0),
                "failed": counts.get("failed", 0), "oldest_pending_at": oldest}

    # -- the lease ----------------------------------------------------------------------

    async def acquire_lease(self, name: str, holder: str, ttl: float) -> bool:
        """Take or renew the lease; True while `holder` holds it."""
        t = Lease.__table__
        now = time.time()
        async with self.engine.begin() as conn:
            result = await conn.execute(update(t).where(and_(t.c.name == name, or_(t.c.holder == holder,
                                                                                   t.c.expires_at < now)))
                                        .values(holder=holder, expires_at=now + ttl))
            if result.rowcount == 1:
                return True
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(t).values(name=name, holder=holder, expires_at=now + ttl))
            return True
        except IntegrityError:
            return False

    async def release_lease(self, name: str, holder: str) -> None:
        """Let another process take over at once (clean shutdown)."""
        t = Lease.__table__
        async with self.engine.begin() as conn:
            await conn.execute(delete(t).where(and_(t.c.name == name, t.c.holder == holder)))

    async def lease_holder(self, name: str) -> tuple[str, float] | None:
        """(holder, expires_at) of a lease, if any."""
        t = Lease.__table__
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.name == name))).first()
        return None if row is None else (row.holder, row.expires_at)

    # -- the inbox ----------------------------------------------------------------------

    async def add_inbox(self, source: str, payloads: list[dict[str, Any]]) -> None:
        """Keep verified webhook signals until the worker has processed them."""
        if not payloads:
            return
        async with self.engine.begin() as conn:
            await conn.execute(insert(InboxEntry.__table__), [
                dict(source=source, payload=json.dumps(p, default=str), received_at=time.time()) for p in payloads])

    async def take_inbox(self, limit: int = 200) -> list[tuple[int, str, dict[str, Any]]]:
        """Unprocessed signals, oldest first: (id, source, payload)."""
        t = InboxEntry.__table__
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t).where(t.c.processed_at.is_(None)).order_by(t.c.id).limit(limit))).all()
        return [(r.id, r.source, json.loads(r.payload)) for r in rows]

    async def inbox_done(self, ids: list[int]) -> None:
        """Processed: kept a while for doctor, then pruned."""
        t = InboxEntry.__table__
        async with self.engine.begin() as conn:
            await conn.execute(update(t).where(t.c.id.in_(ids)).values(processed_at=time.time()))
            await conn.execute(delete(t).where(t.c.processed_at < time.time() - 7 * 86400))
