"""Small pure formatters shared by every view: money, dates, ages, phases."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from bot.models import Phase

CURRENCY_SYMBOLS: Final = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "JPY": "¥", "CHF": "CHF "}
CENT: Final = Decimal("0.01")


def money(amount: Decimal | None, currency: str | None = "USD") -> str:
    """Exact to the cent, grouped: "$12,480.50", "€31,250.00", "1,200.00 SEK"."""
    if amount is None:
        return "—"
    value = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    text = f"{abs(value):,.2f}"
    code = (currency or "USD").upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"


def day(d: date | None) -> str:
    """ "Dec 4, 2026", always with its year (cards, alerts and digests alike); "—" when unknown."""
    if d is None:
        return "—"
    return f"{d:%b} {d.day}, {d.year}"


def moment(t: datetime) -> str:
    """ "Dec 4, 2026, 14:05 UTC": a day as `day` says it, and the time."""
    return f"{day(t.date())}, {t:%H:%M} UTC"


def ago(then: datetime | None, now: datetime) -> str:
    """ "just now", "4 min ago", "3 h ago", "2 days ago", "5 weeks ago": whole units elapsed."""
    if then is None:
        return "never"
    seconds = (now - then).total_seconds()
    if seconds < 45:
        return "just now"
    minutes = int(seconds // 60)  # every unit counts whole ones elapsed: no "0 h ago" at 59.5 minutes
    if minutes < 60:
        return f"{minutes} min ago"
    hours = int(seconds // 3600)
    if hours < 24:
        return f"{hours} h ago"
    days = int(seconds // 86400)  # whole days, as the health reasons count them ("escalation open 1 day")
    if days < 14:
        return "1 day ago" if days == 1 else f"{days} days ago"
    weeks = days // 7
    return f"{weeks} weeks ago"


def due_in_words(due: date | None, today: date) -> str:
    """ "due today", "due in 3 days", "3 days overdue", "no due date"."""
    if due is None:
        return "no due date"
    delta = (due - today).days
    if delta == 0:
        return "due today"
    if delta == 1:
        return "due tomorrow"
    if delta > 1:
        return f"due in {delta} days"
    if delta == -1:
        return "1 day overdue"
    return f"{-delta} days overdue"


def phase_text(phase: Phase | None, completed: bool = False) -> str:
    """ "Build (7 of 12 tasks done)"; "All work done" when nothing is left."""
    if phase is None:
        return "All work done" if completed else "No tasks yet"
    return f"{phase.name} ({phase.done} of {_tasks(phase.total)} done)"


def project_progress(phase: Phase | None) -> str:
    """ "62% of the project done (31 of 50 tasks)"."""
    if phase is None or not phase.project_total:
        return ""
    pct = round(100 * phase.project_done / phase.project_total)
    return f"{pct}% of the project done ({phase.project_done} of {_tasks(phase.project_total)})"


def _tasks(count: int) -> str:
    return f"{count} task" if count == 1 else f"{count} tasks"


def truncate(text: str, limit: int) -> str:
    """Cut to `limit` characters with an ellipsis."""
    text = text.strip()
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def one_line(text: str, limit: int = 200) -> str:
    """The first meaningful line of a text, collapsed and cut."""
    collapsed = " ".join(text.split())
    return truncate(collapsed, limit)
