"""Link repair's findings from what the systems answered: pure functions, no I/O (bot/unlinked.py reads).

Worst first: a deal ID HubSpot does not know (money or delivery attached to nothing), a deal ID on
two delivery projects (the card shows one of them), invoices without a deal ID (money missing from
a card), a won deal no project carries, an active project carrying no deal ID. Within a kind, the
items with a suggestion come first, then the larger amounts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final

from bot.matching import THRESHOLD, Matcher, resemblance
from bot.models.unlinked import KIND_ORDER, IssueKind, LinkAction, Suggestion, UnlinkedItem
from connectors.types import DealMatch, InvoiceRef, ProjectRef

MAX_SUGGESTIONS: Final = 3
MAX_INVOICES_PER_LINK: Final = 100  # invoice ids one Link button carries (its value stays under 2000 chars)


@dataclass(frozen=True)
class Findings:
    """What the systems answered, as link repair needs it."""

    deals: Sequence[DealMatch]  # won deals of the window
    companies: Mapping[str, str]  # deal id -> company name
    projects: Sequence[ProjectRef]  # every project the token sees
    invoices: Sequence[InvoiceRef]  # invoices of the window
    customer_invoices: Sequence[InvoiceRef]  # every invoice of the customers with unlinked ones
    carried: Mapping[str, int]  # deal id -> invoices carrying it (the whole index)
    other_known: Mapping[str, str]  # deal ids HubSpot knows outside the window -> deal name
    today: date
    active_since: datetime
    can_create: bool = False
    invoices_carrying: Mapping[str, Sequence[str]] = field(default_factory=dict)  # unknown deal id -> invoice ids
    books: str = "QuickBooks"  # the accounting system the invoices are in, in words


def _names(deal: DealMatch, companies: Mapping[str, str]) -> list[str]:
    return [deal.name] + ([companies[deal.deal_id]] if deal.deal_id in companies else [])


def build_items(f: Findings) -> list[UnlinkedItem]:
    """Every finding, worst first."""
    items = [*_unknown_deals(f), *_shared_deals(f), *_invoices_without_deal(f), *_deals_without_project(f)]
    items += _projects_without_deal(f)
    order = {kind: n for n, kind in enumerate(KIND_ORDER)}
    items.sort(key=lambda i: (order[i.kind], not i.suggestions, -(i.amount or Decimal(0)), i.title))
    return items


def _typo_words(deal_id: str, distance: int) -> str:
    return f"{deal_id} is {'one character' if distance == 1 else 'two characters'} away from it"


def _alike(ours: str, theirs: str) -> str:
    return f"; “{ours}” resembles “{theirs}”" if resemblance(ours, theirs) >= THRESHOLD else ""


def _near(deal_id: str, known: Iterable[str]) -> list[tuple[str, int]]:
    """Known deal ids one or two characters away (a typo), closest first, with their distance."""
    out = []
    for other in known:
        if len(other) == len(deal_id):
            distance = sum(a != b for a, b in zip(other, deal_id))
            if 0 < distance <= 2:
                out.append((distance, other))
        elif abs(len(other) - len(deal_id)) == 1 and _one_edit(deal_id, other):
            out.append((1, other))
    return [(o, distance) for distance, o in sorted(out)]


def _one_edit(a: str, b: str) -> bool:
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _unknown_deals(f: Findings) -> list[UnlinkedItem]:
    names = {d.deal_id: d.name for d in f.deals} | dict(f.other_known)
    carriers: dict[str, list[ProjectRef]] = defaultdict(list)
    for p in f.projects:
        if p.deal_id:
            carriers[p.deal_id].append(p)
    out = []
    for deal_id in sorted((set(carriers) | set(f.carried)) - set(names)):
        where = [f"Asana project “{p.name}”" for p in carriers.get(deal_id, [])]
        if f.carried.get(deal_id):
            n = f.carried[deal_id]
            where.append(f"{n} {f.books} invoice{'s' if n != 1 else ''}")
        suggestions = []
        near = _near(deal_id, names)
        closest = [d for d, n in near if n == near[0][1]] if near else []
        invoice_ids = tuple(f.invoices_carrying.get(deal_id, ())[:MAX_INVOICES_PER_LINK])
        for p in carriers.get(deal_id, []):  # the deal whose name the project's resembles first
            ranked = sorted(closest, key=lambda d: -resemblance(p.name, names[d]))
            for right in ranked[:MAX_SUGGESTIONS]:
                why = _typo_words(deal_id, near[0][1]) + _alike(p.name, names[right])
                suggestions.append(Suggestion(LinkAction.LINK_PROJECT, right, names[right], (p.gid,), p.name, why))
        if invoice_ids:
            for right in closest[:MAX_SUGGESTIONS]:
                why = _typo_words(deal_id, near[0][1])
                what = f"invoices carrying {deal_id}"
                suggestions.append(Suggestion(LinkAction.LINK_INVOICES, right, names[right], invoice_ids, what, why))
        out.append(
            UnlinkedItem(
                IssueKind.UNKNOWN_DEAL,
                deal_id,
                f"Deal ID {deal_id} is not a HubSpot deal",
                "Carried by " + ", ".join(where),
                "Correct the deal ID where it is carried"
                + (": the likely deal is below" if suggestions else " (HubSpot has no deal close to it)"),
                suggestions=tuple(suggestions),
            )
        )
    return out


def _shared_deals(f: Findings) -> list[UnlinkedItem]:
    live: dict[str, list[ProjectRef]] = defaultdict(list)
    for p in f.projects:
        if p.deal_id and not p.archived:
            live[p.deal_id].append(p)
    names = {d.deal_id: d.name for d in f.deals} | dict(f.other_known)
    out = []
    for deal_id, projects in sorted(live.items()):
        if len(projects) < 2:
            continue
        out.append(
            UnlinkedItem(
                IssueKind.SHARED_DEAL,
                deal_id,
                f"Deal {deal_id} ({names.get(deal_id, 'unknown deal')}) is carried by {len(projects)} projects",
                ", ".join(f"“{p.name}”" for p in projects),
                "The card shows only one of them: archive the old project, or correct the deal ID on the wrong one",
                url=projects[0].url,
            )
        )
    return out


def _invoices_without_deal(f: Findings) -> list[UnlinkedItem]:
    loose: dict[str, list[InvoiceRef]] = defaultdict(list)
    for inv in f.invoices:
        if inv.deal_id is None:
            loose[inv.customer_id].append(inv)
    history: dict[str, Counter[str]] = defaultdict(Counter)
    for inv in f.customer_invoices:
        if inv.deal_id:
            history[inv.customer_id][inv.deal_id] += 1
    names = {d.deal_id: d.name for d in f.deals} | dict(f.other_known)
    deals = Matcher((d, _names(d, f.companies)) for d in f.deals)
    out = []
    for customer_id, invoices in loose.items():
        invoices.sort(key=lambda i: (i.txn_date or date.min, i.id))
        customer = invoices[0].customer_name or f"customer {customer_id}"
        ids = tuple(i.id for i in invoices[:MAX_INVOICES_PER_LINK])
        suggestions = []
        for deal_id, count in history[customer_id].most_common(MAX_SUGGESTIONS):
            if deal_id in names:
                plural = count != 1
                verb = "carry" if plural else "carries"
                why = f"{count} other invoice{'s' if plural else ''} of {customer} {verb} deal {deal_id}"
                suggestions.append(
                    Suggestion(LinkAction.LINK_INVOICES, deal_id, names[deal_id], ids, customer, why, 1.0)
                )
        if not suggestions:
            for m in deals.best([customer], limit=MAX_SUGGESTIONS):
                suggestions.append(
                    Suggestion(
                        LinkAction.LINK_INVOICES, m.item.deal_id, m.item.name, ids, customer, m.evidence, m.score
                    )
                )
        currencies = {i.currency for i in invoices}
        docs = ", ".join("#" + (i.doc_number or i.id) for i in invoices[:5]) + (" …" if len(invoices) > 5 else "")
        out.append(
            UnlinkedItem(
                IssueKind.INVOICES_WITHOUT_DEAL,
                customer_id,
                f"{len(invoices)} invoice{'s' if len(invoices) != 1 else ''} of {customer} "
                + ("carry" if len(invoices) != 1 else "carries")
                + " no deal ID",
                f"{docs}, since {invoices[0].txn_date.isoformat() if invoices[0].txn_date else 'unknown'}",
                "Link them to the deal below"
                if suggestions
                else "No likely deal: if they belong to a deal, put its ID in the invoices' deal field",
                url=invoices[0].url,
                amount=sum((i.total for i in invoices), Decimal("0.00")) if len(currencies) == 1 else None,
                currency=currencies.pop() if len(currencies) == 1 else None,
                suggestions=tuple(suggestions),
            )
        )
    return out


def _deals_without_project(f: Findings) -> list[UnlinkedItem]:
    carried = {p.deal_id for p in f.projects if p.deal_id}
    free = Matcher((p, [p.name]) for p in f.projects if not p.deal_id and not p.archived)
    out = []
    for deal in f.deals:
        if deal.deal_id in carried:
            continue
        matches = free.best(_names(deal, f.companies), limit=MAX_SUGGESTIONS)
        suggestions = [
            Suggestion(
                LinkAction.LINK_PROJECT, deal.deal_id, deal.name, (m.item.gid,), m.item.name, m.evidence, m.score
            )
            for m in matches
        ]
        if f.can_create:
            suggestions.append(
                Suggestion(LinkAction.CREATE_PROJECT, deal.deal_id, deal.name, (), deal.name, "from the template")
            )
        closed = f"closed {deal.close_date.isoformat()}" if deal.close_date else "won"
        out.append(
            UnlinkedItem(
                IssueKind.DEAL_WITHOUT_PROJECT,
                deal.deal_id,
                f"No Asana project carries deal {deal.deal_id} ({deal.name})",
                closed + (f" · {f.companies[deal.deal_id]}" if deal.deal_id in f.companies else ""),
                "Link the project below" if matches else "No project resembles it: create one or put the deal ID in it",
                amount=deal.amount,
                currency=deal.currency,
                suggestions=tuple(suggestions),
            )
        )
    return out


def _projects_without_deal(f: Findings) -> list[UnlinkedItem]:
    out = []
    deals = Matcher((d, _names(d, f.companies)) for d in f.deals)
    for p in f.projects:
        if p.deal_id or p.archived or (p.modified_at is not None and p.modified_at < f.active_since):
            continue
        matches = deals.best([p.name], limit=MAX_SUGGESTIONS)
        out.append(
            UnlinkedItem(
                IssueKind.PROJECT_WITHOUT_DEAL,
                p.gid,
                f"Asana project “{p.name}” carries no deal ID",
                f"last changed {p.modified_at.date().isoformat()}" if p.modified_at else "active",
                "Link it to the deal below"
                if matches
                else "No won deal resembles it: if it is client work, put the deal ID in it",
                url=p.url,
                suggestions=tuple(
                    Suggestion(
                        LinkAction.LINK_PROJECT, m.item.deal_id, m.item.name, (p.gid,), p.name, m.evidence, m.score
                    )
                    for m in matches
                ),
            )
        )
    return out


def window_start(today: date, months: int) -> date:
    """`months` months (of 30.5 days) before today."""
    return today - timedelta(days=round(months * 30.5))
