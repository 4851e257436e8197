"""The weekly digest: Monday 9:00 in each rep's own time zone, once per rep per week, via the outbox."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models.alerts import AlertKind, DigestAlert

log = logging.getLogger(__name__)
SEND_HOUR: Final = 9


def due_week(now: datetime, tz_name: str | None) -> str | None:
    """The ISO week ("2026-W48") whose digest is due now in this time zone, or None.

    Due on Monday from 9:00 local until the day ends; a worker that was down all Monday
    skips that week rather than sending a stale digest on Tuesday.
    """
    try:
        zone = ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    if local.weekday() != 0 or local.hour < SEND_HOUR:
        return None
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


class DigestService:
    """Finds the reps whose digest is due and queues each once (the event key makes it once)."""

    def __init__(self, store: Any, book: Any, gate: Any, *, clock: Any = None) -> None:
        self.store = store
        self.book = book
        self.gate = gate
        self.clock = clock or (lambda: datetime.now(UTC))

    async def run_due(self) -> int:
        """Queue every digest due now; returns how many were queued."""
        queued = 0
        now = self.clock()
        for user_id in await self.store.reps():
            prefs = await self.store.rep_prefs(user_id)
            if prefs["digest_opt_out"]:
                continue
            week = due_week(now, await self.gate.timezone(user_id))
            if week is None:
                continue
            key = f"{AlertKind.DIGEST}:{user_id}:{week}"
            if await self.store.event_exists(key):
                continue
            try:
                payload = await self.payload(user_id, week, now)
            except Exception:
                log.exception("digest for %s failed; will try again", user_id)
                continue
            if payload is None:
                continue
            queued += await self.store.record_event(
                key,
                AlertKind.DIGEST,
                "*",
                payload,
                time.time(),
                [(user_id, f"{user_id}|digest|{week}", None)],
                due_at=time.time(),
            )
        return queued

    async def payload(self, user_id: str, week: str, now: datetime) -> DigestAlert | None:
        """What the digest says: accounts needing attention, upsell moments, invoices paid last week."""
        owner, _ = await self.book.owner(user_id)
        if owner is None:
            return None
        deals = await self.book.deals(owner.id, now.date())
        lines, _ = await self.book.lines(deals)
        paid = await self.store.events_since(
            AlertKind.PAYMENTS, [d.deal_id for d in deals], now.timestamp() - 7 * 86400
        )
        return {
            "week": week,
            "attention": [
                {"deal_id": l.deal_id, "name": l.name, "level": l.level, "reasons": list(l.reasons)}
                for l in lines
                if l.level in ("red", "yellow", "unknown")  # unknown: a source was missing, never "green"
            ],
            "upsell": [{"deal_id": l.deal_id, "name": l.name, "reason": l.upsell_reason} for l in lines if l.upsell],
            "paid": [
                {
                    "deal_id": p["deal_id"],
                    "name": p.get("deal_name"),
                    "amount": p.get("amount"),
                    "currency": p.get("currency"),
                    "paid_on": p.get("paid_on"),
                }
                for p in paid
            ],
            "accounts": len(lines),
        }
