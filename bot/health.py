"""Account health, explained: rules with thresholds, each hit a sentence the card shows. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from bot.models import SOURCE_LABELS, AccountStatus, Section
from bot.models.health import LEVEL_EMOJI, LEVEL_RANK, Health, Level
from connectors.types import Delivery, Milestone, Money

__all__ = ["LEVEL_EMOJI", "Health", "Level", "Thresholds", "assess"]  # Health and its emoji live in bot.models

RED_PRIORITIES: Final = frozenset({"HIGH", "URGENT"})
ENV_THRESHOLDS: Final = {
    "HEALTH_INVOICE_RED_DAYS": "invoice_red_days",
    "HEALTH_MILESTONE_RED_DAYS": "milestone_red_days",
    "HEALTH_SILENCE_DAYS": "silence_days",
    "HEALTH_PM_CHANGE_DAYS": "pm_change_days",
}


@dataclass(frozen=True)
class Thresholds:
    """Where yellow turns red, and how long silence or a new PM counts."""

    invoice_red_days: int = 30  # red when an invoice is more than this many days overdue
    milestone_red_days: int = 14  # red when a milestone is more than this many days late
    silence_days: int = 21  # yellow after this many days without client contact
    pm_change_days: int = 14  # yellow while the PM changed this recently
    upsell_progress: float = 0.8  # share of project tasks done that makes an upsell moment
    upsell_finished_days: int = 30  # a project finished this recently is an upsell moment

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Thresholds:
        """Defaults, overridden by the HEALTH_* variables that are set (whole numbers of days, >= 0)."""
        values: dict[str, int] = {}
        for var, attr in ENV_THRESHOLDS.items():
            raw = (env.get(var) or "").strip()
            if not raw:
                continue
            try:
                number = int(raw)
            except ValueError:
                raise ValueError(f"{var} must be a whole number of days, got {raw!r}") from None
            if number < 0:
                raise ValueError(f"{var} must be 0 or more days, got {number}")
            values[attr] = number
        return cls(**values)


@dataclass(frozen=True)
class _Hit:
    level: Level
    reason: str


def assess(
    status: AccountStatus, today: date, thresholds: Thresholds = Thresholds(), now: datetime | None = None
) -> Health:
    """Apply every rule to the sections that answered; `now` (default: when the status was built) ages events."""
    now = now or status.generated_at
    hits: list[_Hit] = []
    notes: list[str] = []
    for section, what, rule in (
        (status.escalations, "escalations", lambda: _escalations(status, now)),
        (status.money, "money", lambda: _money(status.money.value, today, thresholds)),
        (status.delivery, "delivery", lambda: _milestones(status.delivery.value, today, thresholds)),
        (status.communication, "client contact", lambda: _silence(status, now, thresholds)),
        (status.delivery, None, lambda: _pm_change(status.delivery.value, now, thresholds)),
    ):
        if section.available:
            hits.extend(rule())
        elif what is not None and section.pending:
            notes.append(f"{_label(section)} still on its way — {what} not assessed yet")
        elif what is not None:
            notes.append(f"{_label(section)} unavailable — {what} not assessed")
    hits.sort(key=lambda h: -LEVEL_RANK[h.level])  # stable: rule order within a level
    # Nothing wrong seen is green only when every source answered; a missing one leaves it unknown.
    level: Level = hits[0].level if hits else ("unknown" if notes else "green")
    reason = _upsell(status, today, thresholds)
    return Health(level, tuple(h.reason for h in hits) + tuple(notes), reason is not None, reason)


def _label(section: Section) -> str:
    return SOURCE_LABELS.get(section.source, section.source)


def _escalations(status: AccountStatus, now: datetime) -> list[_Hit]:
    items = list(status.escalations.value or ())
    severe = [e for e in items if (e.priority or "").upper() in RED_PRIORITIES]
    pool = severe or items
    if not pool:
        return []
    level: Level = "red" if severe else "yellow"
    days = _days(now - min(e.created_at for e in pool))
    if len(pool) > 1:
        what = f"{len(pool)} HIGH/URGENT escalations" if severe else f"{len(pool)} escalations"
        return [_Hit(level, f"{what} open, oldest {_count(days, 'day') if days else 'opened today'}")]
    label = f"{(pool[0].priority or '').upper()} escalation" if severe else "escalation"
    return [_Hit(level, f"{label} {'open ' + _count(days, 'day') if days else 'opened today'}")]


def _count(n: int, word: str) -> str:
    """ "1 day", "3 days"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _money(money: Money | None, today: date, thresholds: Thresholds) -> list[_Hit]:
    if money is None or money.overdue <= 0:
        return []
    days = (today - money.oldest_overdue_due).days if money.oldest_overdue_due else None
    level: Level = "red" if days is not None and days > thresholds.invoice_red_days else "yellow"
    late = f"{_count(days, 'day')} overdue" if days is not None else "overdue"
    if money.overdue_count > 1:
        oldest = f", oldest {_count(days, 'day')}" if days is not None else ""
        return [_Hit(level, f"{money.overdue_count} invoices overdue{oldest}")]
    return [_Hit(level, f"invoice {late}")]


def _late_milestones(delivery: Delivery, today: date) -> list[tuple[int, str]]:
    """(days late, name) of every open milestone past its due date, latest first."""
    pool: list[Milestone] = list(delivery.milestones)
    item = delivery.next_deliverable
    if not pool and item is not None and item.is_milestone:  # older data without the milestone list
        pool = [Milestone(item.id, item.name, item.due_on, False)]
    late = [
        ((today - m.due_on).days, m.name) for m in pool if not m.completed and m.due_on is not None and m.due_on < today
    ]
    return sorted(late, key=lambda x: -x[0])


def _milestones(delivery: Delivery | None, today: date, thresholds: Thresholds) -> list[_Hit]:
    if delivery is None:
        return []
    late = _late_milestones(delivery, today)
    if not late:
        return []
    days, name = late[0]
    level: Level = "red" if days > thresholds.milestone_red_days else "yellow"
    more = f" (and {len(late) - 1} more late)" if len(late) > 1 else ""
    return [_Hit(level, f"milestone '{name}' {_count(days, 'day')} late{more}")]


def _silence(status: AccountStatus, now: datetime, thresholds: Thresholds) -> list[_Hit]:
    comm = status.communication.value
    if comm is None:
        return [_Hit("yellow", "no client contact logged")]
    days = _days(now - comm.at)
    if days < thresholds.silence_days:
        return []
    return [_Hit("yellow", f"no client contact for {days} days")]


def _pm_change(delivery: Delivery | None, now: datetime, thresholds: Thresholds) -> list[_Hit]:
    if delivery is None:
        return []
    recent = [
        c.at
        for c in delivery.changes
        if c.kind == "pm_changed" and now - c.at <= timedelta(days=thresholds.pm_change_days)
    ]
    if not recent:
        return []
    days = _days(now - max(recent))
    when = "today" if days <= 0 else f"{_count(days, 'day')} ago"
    return [_Hit("yellow", f"new PM {when}")]


def _upsell(status: AccountStatus, today: date, thresholds: Thresholds) -> str | None:
    """Why now is a moment to sell more, or None: near or just past the end, with every invoice paid."""
    money, delivery = status.money, status.delivery
    if not (money.available and delivery.available) or money.value is None or delivery.value is None:
        return None
    if money.value.outstanding != 0 or money.value.invoiced <= 0:
        return None
    phase = delivery.value.phase
    if phase is not None and phase.is_last:
        return f"in the last phase ({phase.name}), invoices paid"
    if (
        phase is not None
        and phase.project_total
        and phase.project_done / phase.project_total >= thresholds.upsell_progress
    ):
        return f"{round(100 * phase.project_done / phase.project_total)}% done, invoices paid"
    finished = delivery.value.completed_on
    if delivery.value.completed and finished is not None:
        days = (today - finished).days
        if 0 <= days <= thresholds.upsell_finished_days:
            ago = "today" if days == 0 else f"{_count(days, 'day')} ago"
            return f"finished {ago}, invoices paid"
    return None


def _days(delta: timedelta) -> int:
    """Whole days in `delta` (never negative)."""
    return max(delta.days, 0)
