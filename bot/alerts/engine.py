"""From signals to events: look the change up, decide who hears of it, record it once."""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from cachetools import TTLCache

from bot.alerts.pollers import LeaseCheck, Pollers
from bot.alerts.recorder import EventRecorder
from bot.models.alerts import AlertKind, AlertPayload, EscalationAlert, PaymentAlert
from bot.settings import Settings
from bot.store import InboxItem, Store
from bot.webhooks import Signal
from connectors.errors import ConnectorError, NotFoundError, RateLimitedError, UnavailableError
from connectors.ports import Accounting
from connectors.types import PaymentApplication, TicketInfo

log = logging.getLogger(__name__)

DEAL_TTL: Final = 300.0  # deal name and owner for alerts: they rarely change
INBOX_RETRY: Final = 30.0  # seconds before a signal whose lookup failed is tried again


class AlertEngine(Pollers):
    """Turns signals into recorded events and queued deliveries."""

    def __init__(
        self,
        store: Store,
        hubspot: Any,
        accounting: Accounting,
        *,
        recorder: EventRecorder,
        status: Any = None,
        projects: Any = None,
    ) -> None:
        self.store = store
        self.hubspot = hubspot
        self.accounting = accounting  # QuickBooks or NetSuite: its payments are the payment alerts
        self.recorder = recorder
        self.status = status
        self.projects = projects  # bot.projects.ProjectOnClose: a won deal gets its delivery project
        self._deals: TTLCache[str, dict[str, Any]] = TTLCache(10_000, DEAL_TTL)

    @property
    def settings(self) -> Settings:
        """The settings the engine and its recorder share (realm, portal, owner DMs)."""
        return self.recorder.settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self.recorder.settings = settings

    @property
    def burst_window(self) -> float:
        """Seconds a delivery waits so that near-simultaneous events go as one message."""
        return self.recorder.burst_window

    @burst_window.setter
    def burst_window(self, seconds: float) -> None:
        self.recorder.burst_window = seconds

    async def start_alerting(self) -> float:
        """When this installation began alerting (stored once): owners hear of what happens after it."""
        return await self.recorder.start_alerting()

    async def handle(self, signal: Signal, *, heard: float | None = None) -> int:
        """One signal from a webhook or a poller (`heard`: when it arrived); how many new events it made."""
        try:
            if signal.source == self.accounting.system and signal.entity == "Payment" and signal.action != "deleted":
                return await self.payments([signal.entity_id], heard=heard)
            if signal.source == self.accounting.system and signal.entity == "Invoice":
                self._refresh_money(signal)
                return 0
            if signal.source == "hubspot" and signal.entity == "ticket" and signal.action != "deleted":
                return await self.ticket_info(await self.hubspot.ticket(signal.entity_id), heard=heard)
            if signal.source == "hubspot" and signal.entity == "deal" and not _own_write(signal):
                if self.status is not None:
                    self.status.invalidate(signal.entity_id)
                if self.projects is not None and (signal.detail or {}).get("propertyName") == "dealstage":
                    await self.projects.on_stage_change(signal.entity_id)  # won? its delivery project
        except NotFoundError:
            log.info("%s %s %s is gone; nothing to alert", signal.source, signal.entity, signal.entity_id)
        return 0

    async def process(self, batch: list[InboxItem], lease: LeaseCheck | None = None) -> int:
        """A claimed batch of inbox signals: payments fetched together, the rest one by one.

        A signal whose lookup failed for a passing reason (throttled, unreachable) stays in the
        inbox and is tried again later; others are done (the pollers are the backstop).
        """
        signals = [(item, _signal(item.payload)) for item in batch]
        payments = [
            (item, s)
            for item, s in signals
            if s.source == self.accounting.system and s.entity == "Payment" and s.action != "deleted"
        ]
        tickets = [
            (item, s) for item, s in signals if s.source == "hubspot" and s.entity == "ticket" and s.action != "deleted"
        ]
        made = 0
        retry: list[int] = []
        for group, fetch in ((payments, self.payments), (tickets, self.tickets)):
            if not group:
                continue
            try:  # the burst window opened when the first of them arrived, not after the lookups
                made += await fetch([s.entity_id for _, s in group], heard=min(item.received_at for item, _ in group))
            except (RateLimitedError, UnavailableError) as exc:
                log.warning("%d %s signals wait: %s", len(group), group[0][1].entity, exc)
                retry += [item.id for item, _ in group]
        batched = {item.id for item, _ in payments + tickets}
        for item, signal in signals:
            if item.id in batched:
                continue
            if lease is not None:
                await lease.check()
            try:
                made += await self.handle(signal, heard=item.received_at)
            except (RateLimitedError, UnavailableError) as exc:
                log.warning("signal %s %s %s waits: %s", item.source, signal.entity, signal.entity_id, exc)
                retry.append(item.id)
            except ConnectorError as exc:
                log.warning(
                    "signal %s %s %s: %s; the poller will catch it", item.source, signal.entity, signal.entity_id, exc
                )
        await self.store.inbox_done([item.id for item in batch if item.id not in retry])
        if retry:
            await self.store.defer_inbox(retry, time.time() + INBOX_RETRY)
        return made

    async def payment(self, payment_id: str) -> int:
        """A payment (QuickBooks or NetSuite): one event per deal whose invoices it paid."""
        return await self.payments([payment_id])

    async def payments(self, payment_ids: list[str], *, heard: float | None = None) -> int:
        """Payments, fetched together: one event per (payment, deal) it paid into."""
        found: dict[str, list[PaymentApplication]] = await self.accounting.payment_applications_many(payment_ids)
        await self._learn_deals([a.deal_id for apps in found.values() for a in apps])
        made = 0
        for payment_id, applications in found.items():
            by_deal: dict[str, list[PaymentApplication]] = {}
            for app in applications:
                by_deal.setdefault(app.deal_id, []).append(app)
            for deal_id, apps in by_deal.items():
                made += await self._payment_event(payment_id, deal_id, apps, heard)
        return made

    async def _payment_event(
        self, payment_id: str, deal_id: str, apps: list[PaymentApplication], heard: float | None
    ) -> int:
        if self.status is not None:
            self.status.invalidate(deal_id, ("money",))
        deal = await self._deal(deal_id)
        total = sum((a.amount for a in apps), Decimal("0"))
        payload: PaymentAlert = {
            "deal_id": deal_id,
            "deal_name": deal.get("name"),
            "payment_id": payment_id,
            "source": self.accounting.system,
            "paid_on": apps[0].paid_on.isoformat(),
            "currency": apps[0].currency,
            "amount": str(total),
            "invoices": [
                {
                    "id": a.invoice_id,
                    "doc": a.doc_number,
                    "amount": str(a.amount),
                    "total": str(a.invoice_total),
                    "balance": str(a.balance),
                    "due_on": a.due_on.isoformat() if a.due_on else None,
                }
                for a in apps
            ],
        }
        key = f"payment:{self.accounting.company}:{payment_id}:{deal_id}"
        recorded = apps[0].recorded_at
        return await self._record(
            key,
            AlertKind.PAYMENTS,
            deal_id,
            payload,
            deal.get("owner_email"),
            amount=total,
            occurred=recorded.timestamp() if recorded else None,
            heard=heard,
        )

    async def tickets(self, ticket_ids: list[str], *, heard: float | None = None) -> int:
        """HubSpot tickets, fetched together: an event per associated deal for each one open."""
        infos: list[TicketInfo] = await self.hubspot.tickets(ticket_ids)
        await self._learn_deals([d for info in infos if info.is_open for d in info.deal_ids])
        made = 0
        for info in infos:
            made += await self.ticket_info(info, heard=heard)
        return made

    async def ticket_info(self, info: TicketInfo, *, heard: float | None = None) -> int:
        """The same, for a ticket the poller already read."""
        if not info.is_open:
            return 0
        made = 0
        esc = info.escalation
        for deal_id in info.deal_ids:
            if self.status is not None:
                self.status.invalidate(deal_id, ("escalations",))
            deal = await self._deal(deal_id)
            payload: EscalationAlert = {
                "deal_id": deal_id,
                "deal_name": deal.get("name"),
                "ticket_id": esc.id,
                "subject": esc.subject,
                "priority": esc.priority,
                "created_at": esc.created_at.isoformat(),
                "stage": esc.stage_label,
                "url": esc.url,
            }
            key = f"escalation:{self.settings.hubspot_portal_id}:{esc.id}:{deal_id}"
            made += await self._record(
                key,
                AlertKind.ESCALATIONS,
                deal_id,
                payload,
                deal.get("owner_email"),
                occurred=esc.created_at.timestamp(),
                heard=heard,
            )
        return made

    async def _record(
        self,
        key: str,
        kind: AlertKind,
        deal_id: str,
        payload: AlertPayload,
        owner_email: str | None,
        *,
        amount: Decimal | None = None,
        occurred: float | None = None,
        heard: float | None = None,
    ) -> int:
        return await self.recorder.record(
            key, kind, deal_id, payload, owner_email, amount=amount, occurred=occurred, heard=heard
        )

    async def close(self) -> None:
        """Cancel background work (shutdown)."""
        await self.recorder.close()
        if self.projects is not None:
            await self.projects.close()

    async def _deal(self, deal_id: str) -> dict[str, Any]:
        await self._learn_deals([deal_id])
        return self._deals.get(deal_id) or {"name": f"Deal {deal_id}"}

    async def _learn_deals(self, deal_ids: list[str]) -> None:
        """Names and owners of the deals an alert batch needs, in one batch read for those not cached."""
        missing = [d for d in dict.fromkeys(deal_ids) if d not in self._deals]
        if not missing:
            return
        try:
            briefs = await self.hubspot.deal_briefs(missing)
        except ConnectorError as exc:
            log.warning("deals %s for alerts: %s", ", ".join(missing[:5]), exc)
            return
        for deal_id, brief in briefs.items():
            self._deals[deal_id] = {"name": brief.name, "owner_email": brief.owner_email}

    def _refresh_money(self, signal: Signal) -> None:
        if self.status is not None and signal.detail.get("deal_id"):
            self.status.invalidate(signal.detail["deal_id"], ("money",))

    # -- pollers ------------------------------------------------------------------------


def signal_payload(signal: Signal) -> dict[str, Any]:
    """A Signal as JSON for the inbox."""
    data = dataclasses.asdict(signal)
    data["occurred_at"] = signal.occurred_at.isoformat() if signal.occurred_at else None
    return data


def _signal(payload: dict[str, Any]) -> Signal:
    occurred = payload.get("occurred_at")
    return Signal(
        payload["source"],
        payload["entity"],
        payload["entity_id"],
        payload["action"],
        payload.get("account"),
        datetime.fromisoformat(occurred) if occurred else None,
        payload.get("detail") or {},
    )


def _own_write(signal: Signal) -> bool:
    """A deal change the bot made itself (write-back): it comes back as a webhook and starts nothing."""
    detail = signal.detail or {}
    return detail.get("changeSource") == "INTEGRATION" and str(detail.get("propertyName") or "").startswith(
        "accountbot_"
    )
