"""Alert messages: an escalation opened, payments received (a burst is one message)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, cast

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)

from blocks import format as fmt
from blocks import ids
from blocks.card import escape
from blocks.digest import digest_message
from bot.models import SOURCE_LABELS
from bot.models.alerts import (
    COALESCING,
    AlertKind,
    AlertPayload,
    DigestAlert,
    EscalationAlert,
    PaymentAlert,
    ProjectAlert,
    UpsellAlert,
)

PRIORITY_EMOJI: Final = {
    "URGENT": ":rotating_light:",
    "HIGH": ":red_circle:",
    "MEDIUM": ":large_orange_circle:",
    "LOW": ":white_circle:",
}
MAX_LINES: Final = 10
MAX_ACCOUNTS: Final = 10  # accounts one message may cover (a burst in a busy channel); ≤ 50 blocks


def alert_message(kind: str, payloads: Sequence[AlertPayload]) -> dict[str, Any]:
    """The message for one or more events of one kind, for one account or (a burst) several."""
    by_deal: dict[str, list[AlertPayload]] = {}
    for payload in payloads:
        by_deal.setdefault(str(payload.get("deal_id")), []).append(payload)
    if len(by_deal) > 1 and kind in COALESCING:
        return _several_accounts(kind, list(by_deal.values()))
    return _one_account(kind, payloads)


def _several_accounts(kind: str, groups: list[list[AlertPayload]]) -> dict[str, Any]:
    """One message for a burst over several accounts: each account's own alert, one after another."""
    parts = [_one_account(kind, group) for group in groups[:MAX_ACCOUNTS]]
    what = "escalations" if kind == AlertKind.ESCALATIONS else "payments"
    title = f"New {what} on {len(groups)} accounts"
    blocks: list[dict[str, Any]] = [SectionBlock(text=MarkdownTextObject(text=f"*{escape(title)}*")).to_dict()]
    for n, part in enumerate(parts):
        if n:
            blocks.append(DividerBlock().to_dict())
        blocks.extend(part["blocks"])
    if len(groups) > MAX_ACCOUNTS:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f"and {len(groups) - MAX_ACCOUNTS} more accounts")]
            ).to_dict()
        )
    text = f"{title}: " + "; ".join(part["text"] for part in parts)
    return {"text": fmt.truncate(text, 3000), "blocks": blocks}


def _one_account(kind: str, payloads: Sequence[AlertPayload]) -> dict[str, Any]:
    if kind == AlertKind.ESCALATIONS:
        return escalation_alert(cast("list[EscalationAlert]", payloads))
    if kind == AlertKind.PROJECTS:
        return project_alert(cast(ProjectAlert, payloads[-1]))
    if kind == AlertKind.UPSELL:
        return upsell_alert(cast(UpsellAlert, payloads[0]))
    if kind == AlertKind.DIGEST:
        return digest_message(cast(DigestAlert, payloads[0]))
    return payment_alert(cast("list[PaymentAlert]", payloads))


def upsell_alert(payload: UpsellAlert) -> dict[str, Any]:
    """An upsell moment for the rep: the account and why now."""
    name = payload.get("deal_name") or f"Deal {payload['deal_id']}"
    reason = payload.get("reason") or "the project is nearly done and the invoices are paid"
    text = f"Upsell moment: {name}"
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text=fmt.truncate(
                    f":seedling: *Upsell moment* — *{escape(fmt.truncate(name, 300))}*: {escape(reason)}. "
                    "A good time to call about what's next.",
                    3000,
                )
            )
        ),
        _button(payload["deal_id"]),
    ]
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}


def project_alert(payload: ProjectAlert) -> dict[str, Any]:
    """A delivery project made for a won deal: its link and first milestone (or why it could not be made)."""
    name = fmt.truncate(payload.get("deal_name") or f"Deal {payload['deal_id']}", 300)
    if payload.get("failed"):
        text = f"Delivery project not created for {name}"
        body = (
            f":warning: *Delivery project not created* for *{escape(name)}*: "
            f"{escape(fmt.truncate(payload['failed'] or '', 1000))}. It is tried again the next time the win "
            "is seen; `/account doctor` has the details."
        )
        return {
            "text": text,
            "blocks": [
                SectionBlock(text=MarkdownTextObject(text=fmt.truncate(body, 3000))).to_dict(),
                _button(payload["deal_id"]).to_dict(),
            ],
        }
    project = escape(fmt.truncate(payload.get("project_name") or name, 200))
    link = f"<{payload['project_url']}|{project}>" if payload.get("project_url") else project
    lines = [f":building_construction: *Delivery project created* for *{escape(name)}*: {link}"]
    if payload.get("first_milestone"):
        due = payload.get("first_milestone_due")
        when = f" — due {fmt.day(date.fromisoformat(due))}" if due else ""
        lines.append(f"First milestone: {escape(fmt.truncate(payload['first_milestone'] or '', 300))}{when}")
    text = f"Delivery project created for {name}"
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=fmt.truncate("\n".join(lines), 3000))),
        _button(payload["deal_id"]),
    ]
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}


def _button(deal_id: str) -> ActionsBlock:
    return ActionsBlock(elements=[ButtonElement(text="Show account card", action_id=ids.SHOW_CARD, value=deal_id)])


def escalation_alert(payloads: Sequence[EscalationAlert]) -> dict[str, Any]:
    """Escalation opened: account, subject, priority, when."""
    name = payloads[0].get("deal_name") or f"Deal {payloads[0]['deal_id']}"
    lines = []
    for p in payloads[:MAX_LINES]:
        priority = (p.get("priority") or "no priority").upper()
        opened = datetime.fromisoformat(p["created_at"])
        lines.append(
            f"{PRIORITY_EMOJI.get(priority, ':white_circle:')} *{escape(priority)}* "
            f"{escape(fmt.truncate(p.get('subject') or 'Ticket', 300))} — opened {fmt.moment(opened)}"
        )
    if len(payloads) > MAX_LINES:
        lines.append(f"and {len(payloads) - MAX_LINES} more")
    title = "Escalation opened" if len(payloads) == 1 else f"{len(payloads)} escalations opened"
    text = f"{title}: {name}"
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text=fmt.truncate(
                    f":warning: *{escape(title)}* on *{escape(fmt.truncate(name, 300))}*\n" + "\n".join(lines), 3000
                )
            )
        ),
        _button(payloads[0]["deal_id"]),
    ]
    return {"text": fmt.truncate(text, 3000), "blocks": [b.to_dict() for b in blocks]}


def payment_alert(payloads: Sequence[PaymentAlert]) -> dict[str, Any]:
    """Payment received: invoice, amount, what remains (or paid in full), early or late."""
    name = payloads[0].get("deal_name") or f"Deal {payloads[0]['deal_id']}"
    currency = payloads[0].get("currency") or "USD"
    lines = []
    total = Decimal("0")
    count = 0
    for p in payloads:
        paid_on = date.fromisoformat(p["paid_on"])
        for inv in p.get("invoices", []):
            count += 1
            total += Decimal(inv["amount"])
            if count > MAX_LINES:
                continue
            balance = Decimal(inv["balance"])
            remains = "paid in full" if balance == 0 else f"{fmt.money(balance, currency)} still open"
            lines.append(
                f"Invoice {escape(inv.get('doc') or inv['id'])}: {fmt.money(Decimal(inv['amount']), currency)} "
                f"received — {remains}{_timing(paid_on, inv.get('due_on'))}"
            )
    if count > MAX_LINES:
        lines.append(f"and {count - MAX_LINES} more invoices")
    title = "Payment received" if count == 1 else f"{count} payments received"
    text = f"{title}: {fmt.money(total, currency)} from {name}"
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text=fmt.truncate(
                    f":moneybag: *{escape(title)}* from *{escape(fmt.truncate(name, 300))}* — "
                    f"{fmt.money(total, currency)}\n" + "\n".join(lines),
                    3000,
                )
            )
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"{SOURCE_LABELS.get(payloads[-1].get('source') or 'quickbooks', 'QuickBooks')} · "
                    f"paid {fmt.day(date.fromisoformat(payloads[-1]['paid_on']))}"
                )
            ]
        ),
        _button(payloads[0]["deal_id"]),
    ]
    return {"text": fmt.truncate(text, 3000), "blocks": [b.to_dict() for b in blocks]}


def _timing(paid_on: date, due_on: str | None) -> str:
    if not due_on:
        return ""
    due = date.fromisoformat(due_on)
    delta = (paid_on - due).days
    if delta > 0:
        return f", {delta} day{'s' if delta != 1 else ''} late"
    if delta < 0:
        return f", {-delta} day{'s' if delta != -1 else ''} early"
    return ", on the due date"
