"""The portal as the book describes it: owners, deals and companies, tickets, engagements, filler deals."""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Final

from sandbox.book import DEAL_PIPELINES, PEOPLE, PEOPLE_BY_KEY, Account
from sandbox.hubspot.data import BOT_NOTE_MARKER, TICKET_PIPELINE, Crm, CrmObject, Owner, iso

# Deals only HubSpot knows (open or lost): a real portal holds many more deals than the
# delivered ones, and they fill the search pages.
FILLER_DEALS: Final = (
    ("Northwind Traders", "CRM Cleanup"),
    ("Blue Harbor Dental", "Booking Widget"),
    ("Kestrel Aerospace", "Parts Catalogue"),
    ("Lumen Energy", "Field App"),
    ("Harbor & Vine", "Shopify Migration"),
    ("Quill Legal", "Matter Portal"),
    ("Redwood Schools", "Parent App"),
    ("Sable Freight", "Tracking API"),
    ("Tandem Bikes", "Dealer Locator"),
    ("Orchid Clinics", "Intake Forms"),
    ("Atlas Mining", "Safety Dashboard"),
    ("Fjord Seafood", "Traceability Pilot"),
    ("Granite Insurance", "Claims Triage"),
    ("Helios Solar", "Installer Portal"),
    ("Ivy University", "Alumni CRM"),
    ("Juniper Hotels", "Loyalty Revamp"),
    ("Kite Payments", "Merchant Onboarding"),
    ("Lantern Media", "Paywall"),
    ("Monarch Realty", "Listing Sync"),
    ("Nimbus Storage", "Billing Portal"),
)
FILLER_STAGES: Final = ("appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "contractsent", "closedlost")


def seeded(accounts: Iterable[Account], today: date, *, fillers: bool = True) -> Crm:
    """The portal as the book describes it, dated relative to `today` at 15:00 UTC."""
    base = datetime.combine(today, time(15, 0), tzinfo=UTC)
    crm = Crm(now=base)
    for n, human in enumerate(PEOPLE):
        crm.owners[human.hubspot_owner_id] = Owner(
            human.hubspot_owner_id, 7_300_100 + n, human.first, human.last, human.email
        )
    for n, account in enumerate(accounts):
        seed_account(crm, account, base, n)
    if fillers:
        reps = [h.key for h in PEOPLE[:3]]
        for n, (company, project) in enumerate(FILLER_DEALS):
            seed_deal(
                crm,
                id=str(18_340_019_001 + n),
                name=f"{company} – {project}",
                company=company,
                stage=FILLER_STAGES[n % len(FILLER_STAGES)],
                pipeline="default",
                amount=Decimal(12_000 + 3_500 * n),
                currency="USD",
                close=base + timedelta(days=10 + 3 * n),
                owner=reps[n % 3],
            )
    return crm


def seed_deal(
    crm: Crm,
    *,
    id: str,
    name: str,
    company: str | None,
    stage: str,
    pipeline: str,
    amount: Decimal | None,
    currency: str,
    close: datetime,
    owner: str | None,
) -> CrmObject:
    """One deal (and its company, when named)."""
    owner_id = PEOPLE_BY_KEY[owner].hubspot_owner_id if owner else None
    created = min(close, crm.now) - timedelta(days=45)
    stage_meta = DEAL_PIPELINES.get(pipeline, ("", {}))[1].get(stage)
    entered = (close if stage_meta[1] else created + timedelta(days=30)) if stage_meta else None
    modified = crm.now - timedelta(days=1)
    deal = crm.add(
        "deals",
        {
            "dealname": name,
            "dealstage": stage,
            "pipeline": pipeline,
            "amount": None if amount is None else str(amount),
            "deal_currency_code": currency,
            "closedate": iso(close),
            "hubspot_owner_id": owner_id,
            "description": None,
            "hs_lastmodifieddate": iso(modified),
            **({f"hs_v2_date_entered_{stage}": iso(entered)} if entered else {}),
        },
        id=id,
        created=created,
        updated=modified,
    )
    if company:
        domain = "".join(ch for ch in company.lower() if ch.isalnum())[:20] + ".example"
        firm = crm.add(
            "companies",
            {"name": company, "domain": domain, "website": f"https://{domain}"},
            created=created - timedelta(days=20),
        )
        crm.link("deals", deal.id, "companies", firm.id)
    return deal


def seed_account(crm: Crm, account: Account, base: datetime, n: int) -> None:
    """A book account: deal, company, tickets and engagements."""
    at = lambda days: base - timedelta(days=days)  # noqa: E731
    deal = seed_deal(
        crm,
        id=account.deal_id,
        name=account.deal_name,
        company=account.company,
        stage=account.stage,
        pipeline=account.pipeline,
        amount=account.amount,
        currency=account.currency,
        close=at(account.close_days_ago),
        owner=account.owner,
    )
    for k, ticket in enumerate(account.tickets):
        obj = crm.add(
            "tickets",
            {
                "subject": ticket.subject,
                "content": ticket.subject,
                "hs_pipeline": TICKET_PIPELINE[0],
                "hs_pipeline_stage": ticket.stage,
                "hs_ticket_priority": ticket.priority,
                "hs_ticket_category": None,
            },
            id=str(7_120_000_000 + n * 100 + k),
            created=at(ticket.days_ago),
        )
        crm.link("tickets", obj.id, "deals", deal.id)
    for k, eng in enumerate(account.engagements):
        owner = PEOPLE_BY_KEY[eng.by]
        props = engagement_properties(eng.kind, eng.summary, owner.name, eng.logged_by_bot)
        props.update(hs_timestamp=iso(at(eng.days_ago)), hubspot_owner_id=owner.hubspot_owner_id)
        type_ = eng.kind + "s"
        obj = crm.add(type_, props, id=str(5_130_000_000 + n * 100 + k), created=at(eng.days_ago))
        crm.link(type_, obj.id, "deals", deal.id)


def engagement_properties(kind: str, summary: str, author: str, by_bot: bool = False) -> dict[str, str | None]:
    """The properties a seeded engagement carries, per kind."""
    if kind == "email":
        return {
            "hs_email_subject": summary,
            "hs_email_text": summary,
            "hs_email_direction": "EMAIL",
            "hs_email_status": "SENT",
        }
    if kind == "call":
        return {
            "hs_call_title": summary,
            "hs_call_body": summary,
            "hs_call_status": "COMPLETED",
            "hs_call_direction": "OUTBOUND",
        }
    if kind == "meeting":
        return {"hs_meeting_title": summary, "hs_meeting_body": summary, "hs_meeting_outcome": "COMPLETED"}
    return {"hs_note_body": bot_note_body(summary, author) if by_bot else f"<p>{html.escape(summary)}</p>"}


def bot_note_body(summary: str, author: str) -> str:
    """A note body as the bot writes it (marker first)."""
    return (
        f"<p><strong>{BOT_NOTE_MARKER}</strong></p><p>{html.escape(summary)}</p>"
        f"<p>Logged by {html.escape(author)} from Slack</p>"
    )
