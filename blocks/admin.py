"""Subscriptions list and the doctor report, as Slack messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from blocks import format as fmt
from blocks.card import entities, escape
from bot.models.views import Subscription

BROKEN_REASONS = {
    "is_archived": "the channel was archived",
    "not_in_channel": "I was removed from the channel",
    "channel_not_found": "the channel is gone, or I can no longer see it",
    "account_inactive": "the Slack app was deactivated",
    "missing_scope": "the app lacks a permission",
    "users_not_found": "no Slack user has the deal owner's email",
    "user_disabled": "the person's Slack account is deactivated",
    "cannot_dm_bot": "the deal owner is a bot user",
}


def reason_words(reason: str | None) -> str:
    """A Slack error code as a sentence an admin understands."""
    return BROKEN_REASONS.get(reason or "", reason or "unknown")


def _when(ts: float | None, now: datetime) -> str:
    return fmt.ago(datetime.fromtimestamp(ts, UTC), now) if ts else "never"


def subscriptions_list(text: str, subs: tuple[Subscription, ...], now: datetime) -> dict[str, Any]:
    """Each subscription with who created it and when; broken ones say why."""
    lines = [f"*{escape(text)}*"]
    for sub in subs[:40]:
        account = "every account" if sub.deal_id == "*" else escape(fmt.truncate(sub.deal_name, 120))
        floor = f", payments ≥ {sub.min_amount}" if sub.min_amount else ""
        line = (
            f"• {account}: {', '.join(sorted(sub.kinds))}{floor} — by <@{sub.created_by}>, {_when(sub.created_at, now)}"
        )
        if sub.broken_reason:
            line += (
                f"\n   :warning: broken since {_when(sub.broken_at, now)}: {escape(reason_words(sub.broken_reason))}; "
                "fix that, then subscribe again"
            )
        lines.append(line)
    body = fmt.truncate("\n".join(lines), 3000)
    return {"text": text, "blocks": [SectionBlock(text=MarkdownTextObject(text=body)).to_dict()]}


def doctor_message(report: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The admin's checklist."""
    lines = [f"*accountbot doctor — {report['status']}*"]
    lines += [f":warning: {entities(problem)}" for problem in report.get("problems", [])]
    for name, state in report["connectors"].items():
        ok = ":white_check_mark:" if state.get("available") and state.get("auth", "ok") == "ok" else ":x:"
        lines.append(
            f"{ok} *{name}* ({state.get('mode')}): auth {escape(str(state.get('auth', '?')))}, "
            f"last success {_when(state.get('last_ok'), now)}"
            + (
                f", at most {state['concurrency']} requests at once ({state.get('retries', 0)} retried)"
                if state.get("concurrency")
                else ""
            )
            + (
                f", invoice index refreshed {_when(now.timestamp() - state['index_age_seconds'], now)}"
                if state.get("index_age_seconds") is not None
                else (", invoice index not built yet" if "index_age_seconds" in state else "")
            )
            + (
                f", last error: {escape(fmt.truncate(str(state['last_error']), 200))}"
                if state.get("last_error") and str(state["last_error"]) not in str(state.get("auth", ""))
                else ""
            )
        )
    if "quickbooks_refresh_token_expires_at" in report:
        expires = report["quickbooks_refresh_token_expires_at"]
        lines.append(f"QuickBooks refresh token hard-expires: {expires or 'unknown until the first refresh'}")
    hooks = ", ".join(f"{k} {_when(v, now)}" for k, v in report["webhooks_last_delivered"].items())
    lines.append(f"Webhooks last delivered: {hooks}")
    polls = ", ".join(
        f"{k} {_when(v['last_ok'], now)}"
        + (f" (lag {v['lag_seconds']:g} s)" if v.get("lag_seconds") is not None else "")
        for k, v in report["pollers"].items()
    )
    lines.append(f"Pollers last ran: {polls}")
    box = report["outbox"]
    lines.append(
        f"Outbox: {box['pending']} pending ({box['overdue']} late), {box['sending']} sending, "
        f"{box['sent']} sent, {box['failed']} failed"
    )
    lines.append(_writeback_line(report.get("hubspot_writeback") or {}, now))
    lines.append(_projects_line(report.get("project_on_close") or {}, now))
    lines.append(_links_line(report.get("links") or {}, now))
    broken = report["broken_subscriptions"]
    lines.append(
        f"Broken subscriptions: {len(broken)}"
        + "".join(
            f"\n   • <#{b['channel']}> {escape(b['account'] or '')}: {escape(reason_words(b['reason']))}"
            for b in broken[:10]
        )
    )
    body = fmt.truncate("\n".join(lines), 3000)
    return {
        "text": f"accountbot doctor: {report['status']}",
        "blocks": [SectionBlock(text=MarkdownTextObject(text=body)).to_dict()],
    }


UNLINKED_WORDS: Final = {
    "unknown_deal": "deal IDs HubSpot does not know",
    "shared_deal": "deal IDs on two projects",
    "invoices_without_deal": "customers with invoices without a deal ID",
    "deal_without_project": "won deals without a project",
    "project_without_deal": "active projects without a deal ID",
}


def _links_line(state: dict[str, Any], now: datetime) -> str:
    """Not joined yet: the counts of the last `/account unlinked`, or that it has not run."""
    counts = state.get("counts")
    if counts is None:
        return "Not joined yet: not checked — run `/account unlinked`"
    found = [f"{n} {UNLINKED_WORDS.get(kind, kind)}" for kind, n in counts.items() if n]
    when = _when(state.get("checked_at"), now)
    return f"Not joined yet ({when}): " + (", ".join(found) if found else "nothing") + " — `/account unlinked`"


def _writeback_line(state: dict[str, Any], now: datetime) -> str:
    """HubSpot write-back: off, waiting for setup, or how much it wrote and when."""
    if not state.get("enabled"):
        return "HubSpot write-back: off (HUBSPOT_WRITEBACK=false)"
    if state.get("missing_properties"):
        return "HubSpot write-back: waiting for `accountbot setup hubspot`"
    if not state.get("checked"):
        return "HubSpot write-back: on, nothing learned yet"
    return (
        f"HubSpot write-back: on, {state.get('deals_written', 0)} deal updates, "
        f"last {_when(state.get('last_write_at'), now)}"
    )


def _projects_line(state: dict[str, Any], now: datetime) -> str:
    """Project on close: off (and how to turn it on), or its template, team and last project."""
    if not state.get("configured"):
        return (
            "Project on close: off — set ASANA_PROJECT_TEMPLATE_GID and ASANA_TEAM_GID and a deal won without "
            "a delivery project gets one"
        )
    template = escape(str(state.get("template") or state.get("template_gid") or "?"))
    made = state.get("last_made")
    last = (
        f"last made for deal {made['deal_id']} {_when(made.get('at'), now)}"
        + (" (the deal field was added: the template lacks it)" if made.get("field_added") else "")
        if made
        else "none made yet"
    )
    return f"Project on close: on, template “{template}”, team {escape(str(state.get('team_gid') or '?'))}, {last}"
