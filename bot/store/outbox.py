"""The alert pipeline's delivery storage: the outbox, the webhook inbox and the lease.

Outbox rows go pending → sending → sent (or failed, with the reason). A send whose answer
never came stays `sending` while its delivery is checked against the channel's history;
`checks`, `next_check_at` and `verify_error` track those checks, `unverified` marks an alert
sent again because history could not be read (it may show twice).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models.alerts import AlertPayload
from bot.store.schema import INBOX, LEASES, OUTBOX

STUCK_AFTER: Final = 120.0  # a send still unsettled after this long is reported by doctor
OVERDUE_AFTER: Final = 300.0  # a pending delivery this far past its due time is reported
INBOX_KEEP: Final = 7 * 86400.0


class _Taken(Exception):
    """Another sender claimed some of the rows first: roll back."""


@dataclass(frozen=True)
class OutboxRow:
    id: int
    event_key: str
    destination: str
    group_key: str
    kind: str
    deal_id: str
    payload: AlertPayload
    subscription_id: int | None
    status: str
    attempts: int
    due_at: float
    attempt_started_at: float | None
    channel: str | None
    created_at: float
    checks: int = 0
    next_check_at: float | None = None
    verify_error: str | None = None
    unverified: bool = False
    last_error: str | None = None


@dataclass(frozen=True)
class InboxItem:
    id: int
    source: str
    payload: dict[str, Any]
    received_at: float = 0.0  # when the webhook arrived: the alert's burst window opens then


def _outbox(row: Any) -> OutboxRow:
    return OutboxRow(
        row.id,
        row.event_key,
        row.destination,
        row.group_key,
        row.kind,
        row.deal_id,
        json.loads(row.payload),
        row.subscription_id,
        row.status,
        row.attempts,
        row.due_at,
        row.attempt_started_at,
        row.channel,
        row.created_at,
        row.checks or 0,
        row.next_check_at,
        row.verify_error,
        bool(row.unverified),
        row.last_error,
    )


class OutboxStore:
    """Mixed into Store; uses its `engine` and `dialect`."""

    engine: AsyncEngine
    dialect: str

    # -- the outbox ---------------------------------------------------------------------

    async def due_outbox(self, now: float, limit: int = 500) -> list[OutboxRow]:
        """Pending deliveries whose time has come, oldest first."""
        t = OUTBOX
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t).where(and_(t.c.status == "pending", t.c.due_at <= now)).order_by(t.c.id).limit(limit)
                )
            ).all()
        return [_outbox(r) for r in rows]

    async def next_due(self) -> float | None:
        """When the earliest pending delivery falls due (for the worker's sleep)."""
        t = OUTBOX
        async with self.engine.connect() as conn:
            return (await conn.execute(select(func.min(t.c.due_at)).where(t.c.status == "pending"))).scalar()

    async def outbox_rows(self, status: str | None = None) -> list[OutboxRow]:
        """Every outbox row (of a status), for tests and doctor."""
        t = OUTBOX
        query = select(t).order_by(t.c.id)
        if status is not None:
            query = query.where(t.c.status == status)
        async with self.engine.connect() as conn:
            return [_outbox(r) for r in (await conn.execute(query)).all()]

    async def claim_for_sending(self, ids: list[int], now: float) -> bool:
        """pending → sending for all of `ids` at once; False if any was taken meanwhile."""
        t = OUTBOX
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(
                    update(t)
                    .where(and_(t.c.id.in_(ids), t.c.status == "pending"))
                    .values(
                        status="sending",
                        attempt_started_at=now,
                        attempts=t.c.attempts + 1,
                        checks=0,
                        next_check_at=None,
                    )
                )
                if result.rowcount != len(ids):
                    raise _Taken
        except _Taken:
            return False
        return True

    async def set_outbox_channel(self, ids: list[int], channel: str) -> None:
        """Remember where a DM goes (its IM channel), before posting, for reconciliation."""
        await self._update(ids, channel=channel)

    async def mark_sent(self, ids: list[int], channel: str, ts: str | None) -> None:
        """Slack accepted the message (an `unverified` mark from an earlier resend stays)."""
        await self._update(ids, status="sent", channel=channel, sent_ts=ts, last_error=None, next_check_at=None)

    async def mark_retry(self, ids: list[int], due_at: float, error: str, *, unverified: bool = False) -> None:
        """Back to pending, to be tried again at `due_at` (`unverified`: nobody could tell if it went out)."""
        values: dict[str, Any] = {"status": "pending", "due_at": due_at, "last_error": error, "next_check_at": None}
        if unverified:
            values["unverified"] = 1
        await self._update(ids, **values)

    async def mark_failed(self, ids: list[int], error: str) -> None:
        """Given up for good, with the reason (the channel is gone, the bot was removed, no such person)."""
        await self._update(ids, status="failed", last_error=error, next_check_at=None)

    async def mark_checking(self, ids: list[int], next_check_at: float, error: str) -> None:
        """A history check failed: stay `sending`, count it, look again at `next_check_at`."""
        t = OUTBOX
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(t.c.id.in_(ids))
                .values(checks=t.c.checks + 1, next_check_at=next_check_at, verify_error=error)
            )

    async def stuck_sending(self, started_before: float, now: float | None = None) -> list[OutboxRow]:
        """Sends that never concluded: begun before `started_before` (a crash), or due another check now."""
        t = OUTBOX
        now = time.time() if now is None else now
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t)
                    .where(
                        and_(
                            t.c.status == "sending",
                            or_(
                                and_(t.c.next_check_at.is_(None), t.c.attempt_started_at < started_before),
                                t.c.next_check_at <= now,
                            ),
                        )
                    )
                    .order_by(t.c.id)
                )
            ).all()
        return [_outbox(r) for r in rows]

    async def outbox_stats(self, now: float | None = None) -> dict[str, Any]:
        """What doctor and /healthz report: backlog by state, lateness, unverifiable sends, failures."""
        t = OUTBOX
        now = time.time() if now is None else now
        async with self.engine.connect() as conn:
            counts: dict[str, int] = dict(
                (await conn.execute(select(t.c.status, func.count()).group_by(t.c.status))).all()
            )
            overdue = (
                await conn.execute(
                    select(func.count(), func.min(t.c.due_at)).where(
                        and_(t.c.status == "pending", t.c.due_at < now - OVERDUE_AFTER)
                    )
                )
            ).one()
            stuck = (
                await conn.execute(
                    select(func.count()).where(
                        and_(t.c.status == "sending", t.c.attempt_started_at < now - STUCK_AFTER)
                    )
                )
            ).scalar_one()
            checking = (
                await conn.execute(
                    select(t.c.verify_error, func.count())
                    .where(and_(t.c.status.in_(("sending", "pending")), t.c.verify_error.is_not(None)))
                    .group_by(t.c.verify_error)
                )
            ).all()
            unverified = (
                await conn.execute(
                    select(func.count()).where(and_(t.c.unverified == 1, t.c.created_at >= now - 7 * 86400))
                )
            ).scalar_one()
            failed = (
                await conn.execute(
                    select(t.c.last_error, func.count()).where(t.c.status == "failed").group_by(t.c.last_error)
                )
            ).all()
            oldest_pending = (
                await conn.execute(select(func.min(t.c.created_at)).where(t.c.status == "pending"))
            ).scalar_one()
        return {
            "pending": counts.get("pending", 0),
            "sending": counts.get("sending", 0),
            "sent": counts.get("sent", 0),
            "failed": counts.get("failed", 0),
            "overdue": overdue[0],
            "oldest_overdue_seconds": round(now - overdue[1], 1) if overdue[1] is not None else None,
            "oldest_pending_seconds": round(now - oldest_pending, 1) if oldest_pending is not None else None,
            "stuck": stuck,
            "unverifiable": {str(error): n for error, n in checking},
            "sent_unverified_7d": unverified,
            "failed_reasons": {str(error): n for error, n in failed},
        }

    async def _update(self, ids: list[int], **values: Any) -> None:
        t = OUTBOX
        async with self.engine.begin() as conn:
            await conn.execute(update(t).where(t.c.id.in_(ids)).values(**values))

    # -- the lease ----------------------------------------------------------------------

    async def acquire_lease(self, name: str, holder: str, ttl: float) -> bool:
        """Take or renew the lease; True while `holder` holds it."""
        t = LEASES
        now = time.time()
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(t)
                .where(and_(t.c.name == name, or_(t.c.holder == holder, t.c.expires_at < now)))
                .values(holder=holder, expires_at=now + ttl)
            )
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
        t = LEASES
        async with self.engine.begin() as conn:
            await conn.execute(delete(t).where(and_(t.c.name == name, t.c.holder == holder)))

    async def lease_holder(self, name: str) -> tuple[str, float] | None:
        """(holder, expires_at) of a lease, if any."""
        t = LEASES
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.name == name))).first()
        return None if row is None else (row.holder, row.expires_at)

    # -- the inbox ----------------------------------------------------------------------

    async def add_inbox(self, source: str, payloads: list[dict[str, Any]]) -> None:
        """Keep verified webhook signals until the worker has processed them."""
        if not payloads:
            return
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(INBOX),
                [dict(source=source, payload=json.dumps(p, default=str), received_at=time.time()) for p in payloads],
            )

    async def take_inbox(self, holder: str, limit: int = 50, ttl: float = 60.0) -> list[InboxItem]:
        """Claim unprocessed signals for `holder` (oldest first) for `ttl` seconds; others skip them.

        PostgreSQL locks the batch FOR UPDATE SKIP LOCKED (another leader skips it) and marks it in
        the same transaction; SQLite does it in one UPDATE, under its single write lock.
        """
        t = INBOX
        now = time.time()
        token = f"{holder[:90]}:{uuid.uuid4().hex}"
        free = and_(t.c.processed_at.is_(None), or_(t.c.claimed_until.is_(None), t.c.claimed_until < now))
        pick = select(t.c.id).where(free).order_by(t.c.id).limit(limit)
        async with self.engine.begin() as conn:
            if self.dialect == "postgresql":  # lock the batch (others skip it), then mark it, in one transaction
                ids: Any = [r.id for r in (await conn.execute(pick.with_for_update(skip_locked=True))).all()]
                if not ids:
                    return []
            else:  # one statement: SQLite takes its write lock before it reads
                ids = pick
            await conn.execute(
                update(t).where(and_(t.c.id.in_(ids), free)).values(claimed_by=token, claimed_until=now + ttl)
            )
            rows = (await conn.execute(select(t).where(t.c.claimed_by == token).order_by(t.c.id))).all()
        return [InboxItem(r.id, r.source, json.loads(r.payload), r.received_at) for r in rows]

    async def inbox_done(self, ids: list[int]) -> None:
        """Processed: kept a week for doctor, then pruned."""
        t = INBOX
        now = time.time()
        async with self.engine.begin() as conn:
            await conn.execute(update(t).where(t.c.id.in_(ids)).values(processed_at=now, claimed_until=None))
            await conn.execute(delete(t).where(t.c.processed_at < now - INBOX_KEEP))

    async def defer_inbox(self, ids: list[int], until: float) -> None:
        """Leave these signals in the inbox, untouched until `until` (their lookup failed for now)."""
        t = INBOX
        async with self.engine.begin() as conn:
            await conn.execute(update(t).where(t.c.id.in_(ids)).values(claimed_until=until))

    async def inbox_backlog(self) -> int:
        """Signals received and not processed yet."""
        t = INBOX
        async with self.engine.connect() as conn:
            return (await conn.execute(select(func.count()).where(t.c.processed_at.is_(None)))).scalar_one()
