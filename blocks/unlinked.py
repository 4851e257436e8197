"""`/account unlinked`: what is not joined yet, worst first, with Link / Create buttons (confirmed first)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Final

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from blocks import format as fmt
from blocks import ids
from blocks.card import escape
from bot.models.unlinked import (
    KIND_ORDER,
    IssueKind,
    LinkAction,
    LinkHistory,
    LinkOutcome,
    Suggestion,
    UnlinkedItem,
    UnlinkedReport,
)

PAGE_SIZE: Final = 8  # items per message: 2 blocks each, inside Slack's 50
MAX_BUTTONS: Final = 4  # suggestions shown per item
KIND_WORDS: Final = {
    IssueKind.UNKNOWN_DEAL: ("deal ID HubSpot does not know", "deal IDs HubSpot does not know"),
    IssueKind.SHARED_DEAL: ("deal ID on two projects", "deal IDs on two projects"),
    IssueKind.INVOICES_WITHOUT_DEAL: ("customer's invoices without a deal ID", "customers' invoices without a deal ID"),
    IssueKind.DEAL_WITHOUT_PROJECT: ("won deal without a project", "won deals without a project"),
    IssueKind.PROJECT_WITHOUT_DEAL: ("active project without a deal ID", "active projects without a deal ID"),
}
ACTION_WORDS: Final = {
    LinkAction.LINK_PROJECT: "Asana project",
    LinkAction.LINK_INVOICES: "invoices",  # said after the accounting system's name
    LinkAction.CREATE_PROJECT: "project from the template",
}


def link_value(s: Suggestion) -> str:
    """What a Link button carries (≤ 2000 characters): the action, the deal, the targets, a name to say."""
    return json.dumps(
        {"a": s.action.value, "d": s.deal_id, "t": list(s.target_ids), "n": fmt.truncate(s.target_name, 80)},
        separators=(",", ":"),
    )


def parse_link_value(value: str) -> tuple[LinkAction, str, tuple[str, ...], str]:
    """The (action, deal ID, targets, name) a Link button carries; ValueError when it is not one."""
    data = json.loads(value)
    return LinkAction(data["a"]), str(data["d"]), tuple(str(t) for t in data["t"]), str(data.get("n") or "")


def counts_line(counts: dict[IssueKind, int]) -> str:
    """ "2 won deals without a project · 1 deal ID HubSpot does not know", or that everything is joined."""
    found = [f"{counts[k]} {KIND_WORDS[k][counts[k] != 1]}" for k in KIND_ORDER if counts.get(k)]
    return " · ".join(found) if found else "Everything is joined"


def unlinked_message(report: UnlinkedReport, now: datetime, page: int = 0) -> dict[str, Any]:
    """One page of the list, worst first, with the counts, what was looked at, and recent links."""
    pages = max(1, -(-len(report.items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = report.items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    blocks: list[Any] = [
        HeaderBlock(text=PlainTextObject(text="Not joined yet")),
        SectionBlock(text=MarkdownTextObject(text=f"*{escape(counts_line(report.counts))}*")),
    ]
    for error in report.errors:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f":warning: {escape(fmt.truncate(error, 2900))}")))
    for n, item in enumerate(shown):
        blocks += _item(item, page * PAGE_SIZE + n)
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(ButtonElement(text="← Previous", action_id=f"{ids.UNLINKED_PAGE}_prev", value=str(page - 1)))
        if page < pages - 1:
            nav.append(ButtonElement(text="Next →", action_id=f"{ids.UNLINKED_PAGE}_next", value=str(page + 1)))
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=f"Page {page + 1} of {pages} · {len(report.items)} in all")])
        )
        blocks.append(ActionsBlock(block_id="unlinked_pages", elements=nav))
    if report.history:
        blocks.append(DividerBlock())
        lines = [history_line(h, now, report.books) for h in report.history]
        blocks.append(SectionBlock(text=MarkdownTextObject(text="*Recently linked*\n" + "\n".join(lines))))
    looked = " · ".join(escape(v) for v in report.scope.values())
    if looked:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Looked at {looked}")]))
    return {
        "text": f"Not joined yet: {counts_line(report.counts)}",
        "blocks": [b.to_dict() for b in blocks],
        "response_type": "ephemeral",
    }


def _item(item: UnlinkedItem, n: int) -> list[Any]:
    money = f" · {fmt.money(item.amount, item.currency)}" if item.amount is not None else ""
    title = f"<{item.url}|{escape(item.title)}>" if item.url else escape(item.title)
    lines = [f"*{title}*", f"{escape(item.facts)}{money}", f"_{escape(item.fix)}_"]
    for s in item.suggestions[:MAX_BUTTONS]:
        if s.action is not LinkAction.CREATE_PROJECT:
            lines.append(f"• {escape(_suggested(item, s))} — {escape(s.evidence)}")
    text = fmt.truncate("\n".join(lines), 2900)
    out: list[Any] = [SectionBlock(block_id=f"unlinked_{n}", text=MarkdownTextObject(text=text))]
    buttons = [_button(item, s, n * MAX_BUTTONS + k) for k, s in enumerate(item.suggestions[:MAX_BUTTONS])]
    if buttons:
        out.append(ActionsBlock(block_id=f"unlinked_actions_{n}", elements=buttons))
    return out


def _suggested(item: UnlinkedItem, s: Suggestion) -> str:
    if item.kind in (IssueKind.DEAL_WITHOUT_PROJECT,):
        return f"“{s.target_name}”"
    return f"deal {s.deal_id} ({s.deal_name})"


def _button(item: UnlinkedItem, s: Suggestion, n: int) -> ButtonElement:
    if s.action is LinkAction.CREATE_PROJECT:
        label, question = "Create from template", f"Make the delivery project for {s.deal_name} from the template?"
        yes = "Create"
    elif item.kind is IssueKind.DEAL_WITHOUT_PROJECT:
        label, question = f"Link “{s.target_name}”", f"Write deal ID {s.deal_id} into the project “{s.target_name}”?"
        yes = "Link"
    else:
        many = len(s.target_ids)
        where = f"{many} invoices of {s.target_name}" if many > 1 else f"“{s.target_name}”"
        if s.action is LinkAction.LINK_INVOICES and many == 1:
            where = f"the invoice of {s.target_name}"
        label = f"Link to {s.deal_name}"
        question = f"Write deal ID {s.deal_id} ({s.deal_name}) into {where}?"
        yes = "Link"
    return ButtonElement(
        text=fmt.truncate(label, 75),
        action_id=f"{ids.UNLINKED_LINK}_{n}",
        value=link_value(s),
        style="primary" if n % MAX_BUTTONS == 0 else None,
        confirm=ConfirmObject(
            title="Link?" if yes == "Link" else "Create?",
            text=fmt.truncate(question, 300),
            confirm=yes,
            deny="Cancel",
        ),
    )


def history_line(h: LinkHistory, now: datetime, books: str = "QuickBooks") -> str:
    """ "<@U1> linked Asana project “Acme WMS rollout” to deal 123, 5 min ago" (`books`: where invoices live)."""
    verb = "made the" if h.action is LinkAction.CREATE_PROJECT else "linked"
    if h.action is LinkAction.LINK_INVOICES:
        what = f"{h.count} {books} invoices" if h.count > 1 else f"{books} invoice {escape(h.target_id)}"
        what += f" of {escape(h.target_name)}" if h.target_name else ""
    else:
        what = ACTION_WORDS[h.action] + (f" “{escape(h.target_name)}”" if h.target_name else "")
    return f"• <@{h.user_id}> {verb} {what} to deal {h.deal_id}, {fmt.ago(h.at, now)}"


def link_result(outcome: LinkOutcome) -> dict[str, Any]:
    """What a Link click did, said beside the list."""
    mark = ":white_check_mark:" if outcome.written else ":information_source:"
    text = f"{mark} {escape(outcome.text)}"
    hint = " Try `/account " + outcome.deal_id + "` to see the card." if outcome.written else ""
    return {
        "text": outcome.text,
        "blocks": [SectionBlock(text=MarkdownTextObject(text=text + hint)).to_dict()],
        "response_type": "ephemeral",
        "replace_original": False,
    }
