"""Many accounts' statuses at once (the daily snapshot): HubSpot and the accounting batched, Asana per project."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from bot.models import AccountStatus, Section
from bot.status_ports import describe
from connectors.errors import ConnectorError, NotFoundError
from connectors.types import Communication, Deal, Escalation

if TYPE_CHECKING:
    from bot.status import StatusService


async def statuses_of(
    status: StatusService, deal_ids: list[str], *, asana_concurrency: int = 8
) -> dict[str, AccountStatus]:
    """Many accounts at once for the daily snapshot: HubSpot and the accounting batched, Asana per project.

    Not cached and not single-flighted: a background job, not a card. Deals HubSpot doesn't
    know are left out.
    """
    today = status._today()
    now = status._now()
    gate = asyncio.Semaphore(asana_concurrency)

    async def delivery(deal_id: str) -> Section:
        async with gate:
            try:
                return Section("asana", await status.asana.delivery(deal_id, today=today), now)
            except NotFoundError:
                return Section("asana", None, now)
            except ConnectorError as exc:
                return Section("asana", None, None, error=describe(exc))

    # Batch reads are optional capabilities beyond the protocols; Snapshotter.take_many checks
    # for them before calling this.
    async def hubspot() -> dict[str, Any] | str:
        try:
            return await status.hubspot.accounts(deal_ids)  # type: ignore[attr-defined]
        except ConnectorError as exc:
            return describe(exc)

    async def money() -> dict[str, Any] | str:
        try:
            return await status.accounting.money_many(deal_ids, today=today)
        except ConnectorError as exc:
            return describe(exc)

    facts, moneys, *deliveries = await asyncio.gather(hubspot(), money(), *(delivery(d) for d in deal_ids))
    result: dict[str, AccountStatus] = {}
    for deal_id, delivery_section in zip(deal_ids, deliveries):
        deal: Section[Deal]
        escalations: Section[tuple[Escalation, ...]]
        comm: Section[Communication]
        if isinstance(facts, str):
            deal = Section("hubspot", None, None, error=facts)
            escalations = Section("hubspot", None, None, error=facts)
            comm = Section("hubspot", None, None, error=facts)
        else:
            fact = facts.get(deal_id)
            if fact is None or fact.deal is None:
                continue
            deal = Section("hubspot", fact.deal, now)
            escalations = Section("hubspot", tuple(fact.escalations), now)
            comm = Section("hubspot", fact.communication, now)
        money_section = (
            Section(status.accounting.system, None, None, error=moneys)
            if isinstance(moneys, str)
            else Section(status.accounting.system, moneys.get(deal_id), now)
        )
        result[deal_id] = AccountStatus(
            deal_id=deal_id,
            deal=deal,
            escalations=escalations,
            communication=comm,
            delivery=delivery_section,
            money=money_section,
            generated_at=now,
            today=today,
        )
    return result
