"""The card's facts as styled text parts, decided once and rendered to Slack or a terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

from blocks import format as fmt
from bot.models import SOURCE_LABELS, AccountStatus, Change, Section, SourceState
from bot.models.health import Health

Style = Literal["plain", "bold", "warn", "alarm", "muted"]  # warn: yellow, alarm: red (in a terminal)
Segment = tuple[str, Style]

MAX_CHANGES: Final = 3
MAX_ESCALATIONS: Final = 5
PRIORITY_ORDER: Final = {"URGENT": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}
UNLINKED_COMMAND: Final = "/account unlinked"
KIND_WORDS: Final = {"email": "Email", "call": "Call", "meeting": "Meeting", "note": "Note", "other": "Other"}


@dataclass
class Part:
    """A titled block of lines; each line a list of (text, style) segments."""

    key: str
    title: str
    lines: list[list[Segment]] = field(default_factory=list)

    def add(self, *segments: Segment | str) -> None:
        self.lines.append([(s, "plain") if isinstance(s, str) else s for s in segments])


@dataclass
class CardContent:
    title: str
    subtitle: list[Segment]
    parts: list[Part]
    sources: list[str]
    partial: bool


def card_content(status: AccountStatus, now: datetime, health: Health | None = None) -> CardContent:
    """Everything the card says, in order of importance for a rep on the phone; health first when known."""
    health = health if health is not None else status.health
    parts = [_health(health)] if health is not None else []
    parts += [
        p
        for p in (
            _delivery(status),
            _changes(status, now),
            _escalations(status, now),
            _money(status),
            _communication(status, now),
        )
        if p is not None
    ]
    return CardContent(
        title=status.name,
        subtitle=_subtitle(status),
        parts=parts,
        sources=[source_line(s, now) for s in status.sources()],
        partial=status.partial,
    )


def _health(health: Health) -> Part:
    part = Part("health", "Health")
    part.add(*health_line(health)[1:])
    if health.upsell:
        part.add(*upsell_line(health))
    return part


def _subtitle(status: AccountStatus) -> list[Segment]:
    deal = status.deal.value
    if deal is None:
        return [(f"HubSpot {_why(status.deal)} — deal details unknown", "warn")]
    bits: list[Segment] = [(deal.stage_label, "bold")]
    if deal.pipeline_label and deal.pipeline_label not in ("Sales Pipeline",):
        bits.append((f" ({deal.pipeline_label})", "plain"))
    if deal.owner:
        bits.append((f" · owner {deal.owner.name}", "plain"))
    if deal.amount is not None:
        bits.append((f" · {fmt.money(deal.amount, deal.currency)}", "plain"))
    if deal.close_date:
        word = "closed" if deal.is_closed else "closes"
        bits.append((f" · {word} {fmt.day(deal.close_date)}", "plain"))
    if deal.company_name:
        bits.extend([(" · ", "plain"), (deal.company_name, "muted")])
    return bits


HEALTH_STYLES: Final[dict[str, Style]] = {"green": "bold", "yellow": "warn", "red": "alarm"}


def health_line(health: Health) -> list[Segment]:
    """ "Health: 🟡 yellow — invoice 34 days overdue; escalation open 3 days"."""
    line: list[Segment] = [
        ("Health: ", "bold"),
        (f"{health.emoji} {health.level}", HEALTH_STYLES.get(health.level, "bold")),
    ]
    if health.reasons:
        line.append((" — " + "; ".join(health.reasons), "plain"))
    return line


def upsell_line(health: Health) -> list[Segment]:
    """ "Upsell moment — 85% done, invoices paid" (empty when it is not one)."""
    if not health.upsell:
        return []
    line: list[Segment] = [("Upsell moment", "bold")]
    if health.upsell_reason:
        line.append((f" — {health.upsell_reason}", "plain"))
    return line


def _delivery(status: AccountStatus) -> Part:
    part = Part("delivery", "Delivery")
    section = status.delivery
    if not section.available:
        part.add((f"Asana {_why(section)} — delivery status unknown", "warn"))
        return part
    delivery = section.value
    if delivery is None:
        if _awaits_link(status):
            part.add((f"No Asana project carries deal {status.deal_id}", "warn"), f" — see {UNLINKED_COMMAND}")
        else:
            part.add(("No delivery project yet", "muted"), " — the deal is not won")
        return part
    progress: list[Segment | str] = [" · ", (fmt.project_progress(delivery.phase), "muted")] if delivery.phase else []
    part.add(("Phase: ", "bold"), fmt.phase_text(delivery.phase, delivery.completed), *progress)
    item = delivery.next_deliverable
    if item is not None:
        late = item.days_overdue(status.today)
        label = "Next milestone: " if item.is_milestone else "Next deliverable: "
        line: list[Segment | str] = [(label, "bold"), item.name, f" — {fmt.day(item.due_on)}, "]
        line.append((fmt.due_in_words(item.due_on, status.today), "warn" if late else "plain"))
        if item.assignee:
            line.append(f" · {item.assignee}")
        part.add(*line)
    elif not delivery.completed:
        part.add(("Next deliverable: ", "bold"), ("none scheduled", "muted"))
    part.add(("PM: ", "bold"), delivery.pm.name if delivery.pm else "no owner set in Asana")
    return part


def _changes(status: AccountStatus, now: datetime) -> Part | None:
    part = Part("changes", "What changed (30 days)")
    if not status.delivery.available:
        part.add((f"Asana {_why(status.delivery)}", "warn"))
        return part
    delivery = status.delivery.value
    if delivery is None:
        return None  # no project: the delivery part already says so
    changes = list(delivery.changes)
    if not changes:
        part.add(("Nothing moved in the last 30 days", "muted"))
        return part
    changes.sort(key=lambda c: c.at, reverse=True)
    for change in changes[:MAX_CHANGES]:
        part.add(*change_line(change, status, now))
    if len(changes) > MAX_CHANGES:
        part.add((f"and {len(changes) - MAX_CHANGES} more", "muted"))
    return part


def change_line(change: Change, status: AccountStatus, now: datetime) -> list[Segment | str]:
    """One change in words: what, from → to, who, when."""
    who = f" by {change.by}" if change.by else ""
    when = f", {fmt.ago(change.at, now)}"
    if change.kind == "due_date_moved":
        return [
            (change.subject or "A task", "bold"),
            " moved ",
            (f"{_date_word(change.old, status)} → {_date_word(change.new, status)}", "warn"),
            who + when,
        ]
    if change.kind == "pm_changed":
        old = f" (was {change.old})" if change.old else ""
        return [("New PM: ", "bold"), f"{change.new or 'nobody'}{old}", who + when]
    if change.kind == "phase_changed":
        moved = f"{change.old} → {change.new or 'no tasks'}" if change.old else f"to {change.new or 'no tasks'}"
        return [("Phase moved ", "bold"), moved, who + when]
    if change.kind == "scope_added":
        due = f" (due {_date_word(change.new, status)})" if change.new else ""
        return [("Added to scope: ", "bold"), f"{change.subject or 'a milestone'}{due}", who + when]
    if change.kind == "scope_removed":
        return [("Removed from scope: ", "warn"), change.subject or "a milestone", who + when]
    return [
        (change.subject or "A task", "bold"),
        f" reassigned to {change.new or 'nobody'}" + (f" (was {change.old})" if change.old else ""),
        who + when,
    ]


def _date_word(value: str | None, status: AccountStatus) -> str:
    from datetime import date

    if not value:
        return "no date"
    try:
        return fmt.day(date.fromisoformat(value[:10]))
    except ValueError:
        return value


def _escalations(status: AccountStatus, now: datetime) -> Part:
    section = status.escalations
    items = sorted(
        section.value or (),
        key=lambda e: (PRIORITY_ORDER.get((e.priority or "").upper(), 9), -e.created_at.timestamp()),
    )
    part = Part("escalations", f"Escalations ({len(items)} open)" if items else "Escalations")
    if not section.available:
        part.add((f"HubSpot {_why(section)} — escalations unknown", "warn"))
        return part
    if not items:
        part.add(("None open", "muted"))
        return part
    for esc in items[:MAX_ESCALATIONS]:
        priority = (esc.priority or "no priority").upper()
        style: Style = "alarm" if priority in ("HIGH", "URGENT") else "bold"
        part.add((priority, style), f" {esc.subject} — ", (f"opened {fmt.ago(esc.created_at, now)}", "muted"))
    if len(items) > MAX_ESCALATIONS:
        part.add((f"and {len(items) - MAX_ESCALATIONS} more open", "muted"))
    return part


def _money(status: AccountStatus) -> Part:
    part = Part("money", "Money")
    section = status.money
    if not section.available:
        part.add((f"{SOURCE_LABELS.get(section.source, section.source)} {_why(section)} — invoices unknown", "warn"))
        return part
    money = section.value
    if money is None:
        if _awaits_link(status):  # the same words whichever accounting system the money comes from
            part.add(
                (f"No invoice carries deal {status.deal_id}", "muted"), f" — if one was sent, see {UNLINKED_COMMAND}"
            )
        else:
            part.add(("No invoices yet", "muted"))
        return part
    cur = money.currency
    part.add(
        ("Invoiced ", "bold"),
        fmt.money(money.invoiced, cur),
        "  ·  ",
        ("Paid ", "bold"),
        fmt.money(money.paid, cur),
        "  ·  ",
        ("Outstanding ", "bold"),
        fmt.money(money.outstanding, cur),
    )
    if money.mixed_currencies:
        part.add(("Some invoices are in other currencies; totals cover " + cur + " only", "muted"))
    if money.overdue > 0:
        days = (status.today - money.oldest_overdue_due).days if money.oldest_overdue_due else None
        since = f", oldest {days} days past due" if days else ""
        count = f"{money.overdue_count} invoice{'s' if money.overdue_count != 1 else ''}"
        part.add(("Overdue ", "bold"), (f"{fmt.money(money.overdue, cur)}", "warn"), f" ({count}{since})")
    elif money.outstanding == 0:
        part.add(("Paid in full", "muted"))
    if money.last_payment:
        part.add(
            ("Last payment ", "bold"),
            f"{fmt.money(money.last_payment.amount, cur)} on {fmt.day(money.last_payment.on)}",
        )
    return part


def _communication(status: AccountStatus, now: datetime) -> Part:
    part = Part("communication", "Last client communication")
    section = status.communication
    if not section.available:
        part.add((f"HubSpot {_why(section)}", "warn"))
        return part
    comm = section.value
    if comm is None:
        part.add(("None logged", "muted"))
        return part
    who = f" · {comm.author}" if comm.author else ""
    part.add(
        (KIND_WORDS.get(comm.kind, comm.kind.title()), "bold"),
        f" {fmt.ago(comm.at, now)} ({fmt.day(comm.at.date())}){who}",
    )
    if comm.summary:
        part.add(fmt.one_line(comm.summary, 280))
    return part


def source_line(state: SourceState, now: datetime) -> str:
    """ "HubSpot · 2 min ago", or what failed and the age of what is shown instead."""
    if state.error is None:
        return f"{state.label} · {fmt.ago(state.fetched_at, now)}"
    if state.stale and state.fetched_at is not None:
        return f"{state.label} {state.error} — showing data from {fmt.ago(state.fetched_at, now)}"
    return f"{state.label} {state.error}"


def _awaits_link(status: AccountStatus) -> bool:
    """An empty section means a missing link unless HubSpot says the deal is not won (yet)."""
    deal = status.deal.value
    return deal is None or deal.is_won


def _why(section: Section) -> str:
    return section.error or "gave no answer"
