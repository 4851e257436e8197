"""Upsell moments: once per account, to the rep (the deal owner) by DM."""

from __future__ import annotations

import time

from bot.alerts.sender import EMAIL_PREFIX
from bot.models import AccountStatus
from bot.models.alerts import AlertKind, UpsellAlert
from bot.models.health import Health
from bot.store import Store


class Upsells:
    """An upsell moment: once per account, to the rep (the deal owner) by DM (the snapshotter reports them)."""

    def __init__(self, store: Store, portal_id: str | None) -> None:
        self.store = store
        self.portal_id = portal_id

    async def __call__(self, status: AccountStatus, health: Health) -> int:
        """Queue the DM the first time this account is an upsell moment; 1 if queued."""
        deal = status.deal.value
        email = deal.owner.email if deal is not None and deal.owner is not None else None
        if not email:
            return 0
        destination = f"{EMAIL_PREFIX}{email.strip().lower()}"
        payload: UpsellAlert = {"deal_id": status.deal_id, "deal_name": status.name, "reason": health.upsell_reason}
        new = await self.store.record_event(
            f"upsell:{self.portal_id}:{status.deal_id}",
            AlertKind.UPSELL,
            status.deal_id,
            payload,
            time.time(),
            [(destination, f"{destination}|{status.deal_id}|{AlertKind.UPSELL}", None)],
            due_at=time.time(),
        )
        return int(new)
