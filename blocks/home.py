"""App Home "My accounts": the rep's book, worst health first, filtered and paged. Pure functions.

Buttons sharing one actions block need distinct action ids, so the filter and paging buttons
carry a suffix (`home_filter_all`, `home_page_next`): handlers match the prefix in `ids` and read
`value`. The view's private_metadata holds the current filter and page as JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, Literal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
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
from blocks.messages import books_name
from bot.models.views import BookLine

Filter = Literal["all", "attention", "upsell"]

MAX_HOME_BLOCKS: Final = 100
PAGE_SIZE: Final = 50  # accounts per page; the rest of the view takes at most FIXED_BLOCKS
FIXED_BLOCKS: Final = 8  # header, filters, counts, divider, divider, paging, footer, digest
TITLE: Final = "My accounts"
CALLBACK_ID: Final = "home_my_accounts"
EMOJI: Final = {"red": "🔴", "yellow": "🟡", "unknown": "⚪", "green": "🟢"}
ORDER: Final = {"red": 0, "yellow": 1, "unknown": 2, "green": 3}
FILTERS: Final[tuple[tuple[Filter, str], ...]] = (
    ("all", "All"),
    ("attention", "Needs attention"),
    ("upsell", "Upsell moments"),
)
EMPTY: Final = {
    "all": "No accounts to show: you own no deals closed-won in the last 18 months and no open deals "
    "far enough along. New deals appear here as soon as they are yours in HubSpot.",
    "attention": "Nothing needs your attention right now. :tada:",
    "upsell": "No upsell moments right now — they show up here when an account is ready for more.",
}
HIDDEN_EMAIL: Final = "Slack didn't share your email address with me, so I can't match you to a HubSpot owner."
FIX_OWNER: Final = (
    "*How to fix it*\n"
    "• Use the same email address for your HubSpot user as for your Slack account "
    "(HubSpot → Settings → Users & Teams), or\n"
    "• ask a HubSpot admin to add you as a user with this email.\n"
    "Then open this tab again."
)
FIX_HIDDEN: Final = "\n• If your email is hidden, ask a Slack admin to check the app may read members' emails."

assert FIXED_BLOCKS + PAGE_SIZE <= MAX_HOME_BLOCKS


def sort_lines(lines: Sequence[BookLine]) -> list[BookLine]:
    """Worst first (red, yellow, unknown, green), then by name; one line per deal."""
    unique = list({line.deal_id: line for line in reversed(list(lines))}.values())
    return sorted(unique, key=lambda l: (ORDER.get(l.level, 2), l.name.casefold(), l.deal_id))


def needs_attention(line: BookLine) -> bool:
    """Red or yellow."""
    return line.level in ("red", "yellow")


def filtered(lines: Sequence[BookLine], filter: Filter) -> list[BookLine]:
    """The lines the filter shows, worst first."""
    if filter not in dict(FILTERS):
        raise ValueError(f"filter must be one of {', '.join(dict(FILTERS))}, not {filter!r}")
    ordered = sort_lines(lines)
    if filter == "attention":
        return [l for l in ordered if needs_attention(l)]
    if filter == "upsell":
        return [l for l in ordered if l.upsell]
    return ordered


def parse_filter(value: str | None) -> Filter:
    """A filter button's value, "all" for anything unknown."""
    return value if value in dict(FILTERS) else "all"


def page_count(total: int) -> int:
    """Pages needed for `total` accounts (at least one)."""
    return max(1, math.ceil(total / PAGE_SIZE))


def home_view(
    lines: Sequence[BookLine],
    *,
    filter: Filter = "all",
    page: int = 0,
    rep_name: str,
    digest_opt_out: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The "My accounts" Home tab: filters, counts, one section per account, paging, digest switch."""
    everything = sort_lines(lines)
    shown = filtered(everything, filter)
    pages = page_count(len(shown))
    page = min(max(0, int(page)), pages - 1)
    counts = {
        "all": len(everything),
        "attention": sum(needs_attention(l) for l in everything),
        "upsell": sum(l.upsell for l in everything),
    }
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=TITLE, emoji=True)),
        ActionsBlock(
            block_id="home_filters",
            elements=[
                ButtonElement(
                    text=f"{label} ({counts[key]})",
                    action_id=f"{ids.HOME_FILTER}_{key}",
                    value=key,
                    style="primary" if key == filter else None,
                )
                for key, label in FILTERS
            ],
        ),
        ContextBlock(block_id="home_counts", elements=[MarkdownTextObject(text=_counts_text(rep_name, counts))]),
        DividerBlock(),
    ]
    window = shown[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    if window:
        blocks.extend(_account(line, now) for line in window)
    else:
        blocks.append(SectionBlock(block_id="home_empty", text=MarkdownTextObject(text=EMPTY[filter])))
    blocks.append(DividerBlock())
    paging = _paging(page, pages)
    if paging:
        blocks.append(paging)
    footer = [f"Page {page + 1} of {pages}"] if pages > 1 else []
    if now is not None:
        footer.append(f"refreshed {fmt.moment(now)}")
    if footer:
        blocks.append(ContextBlock(block_id="home_footer", elements=[MarkdownTextObject(text=" · ".join(footer))]))
    blocks.append(_digest(digest_opt_out))
    return {
        "type": "home",
        "callback_id": CALLBACK_ID,
        "blocks": [b.to_dict() for b in blocks],
        "private_metadata": json.dumps({"filter": filter, "page": page}),
    }


def no_owner_view(email: str | None) -> dict[str, Any]:
    """No HubSpot owner has the rep's Slack email: say which email, and how to fix that."""
    if email:
        lead = (
            f"I couldn't find a HubSpot owner with your Slack email *{escape(fmt.truncate(email, 254))}*, "
            "so I don't know which accounts are yours."
        )
        fix = FIX_OWNER
    else:
        lead = HIDDEN_EMAIL
        fix = FIX_OWNER.replace("\nThen", FIX_HIDDEN + "\nThen")
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=TITLE, emoji=True)),
        SectionBlock(block_id="home_no_owner", text=MarkdownTextObject(text=lead)),
        SectionBlock(block_id="home_fix", text=MarkdownTextObject(text=fix)),
        ContextBlock(
            elements=[MarkdownTextObject(text="Meanwhile `/account NAME` still shows the card of any account.")]
        ),
    ]
    return {"type": "home", "callback_id": CALLBACK_ID, "blocks": [b.to_dict() for b in blocks]}


def loading_view(rep_name: str, accounting: str | None = None) -> dict[str, Any]:
    """Shown at once while the book loads from HubSpot, Asana and the accounting system (`accounting`, if known)."""
    name = escape(fmt.truncate(rep_name, 100)) if rep_name.strip() else "your"
    whose = f"{name}'s" if rep_name.strip() else name
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=TITLE, emoji=True)),
        SectionBlock(
            block_id="home_loading",
            text=MarkdownTextObject(
                text=f":hourglass_flowing_sand: Loading {whose} accounts from HubSpot, Asana and "
                f"{escape(books_name(accounting))}…"
            ),
        ),
    ]
    return {"type": "home", "callback_id": CALLBACK_ID, "blocks": [b.to_dict() for b in blocks]}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _counts_text(rep_name: str, counts: dict[str, int]) -> str:
    """ "Maya Chen · 12 accounts · 3 need attention · 2 upsell moments"."""
    bits = [
        _plural(counts["all"], "account", "accounts"),
        _plural(counts["attention"], "needs attention", "need attention"),
        _plural(counts["upsell"], "upsell moment", "upsell moments"),
    ]
    if rep_name.strip():
        bits.insert(0, f"*{escape(fmt.truncate(rep_name, 100))}*")
    return " · ".join(bits)


def _account(line: BookLine, now: datetime | None) -> SectionBlock:
    """One account: health, name, reasons, phase, outstanding, upsell, staleness; a Card button."""
    rows = [f"{EMOJI.get(line.level, EMOJI['unknown'])} *{escape(fmt.truncate(line.name, 150))}*"]
    reasons = [fmt.one_line(r, 150) for r in line.reasons[:6] if r.strip()]
    if reasons:
        rows.append(escape(" · ".join(reasons)))
    elif line.level == "green":
        rows.append("on track")
    elif line.level == "unknown":
        rows.append("health unknown")
    facts = []
    if line.phase:
        done = f" · {round(100 * line.progress)}% done" if line.progress is not None else ""
        facts.append(fmt.one_line(line.phase, 200) + done)
    if line.outstanding is not None:
        facts.append(f"{fmt.money(line.outstanding, line.currency)} outstanding")
    if facts:
        rows.append(escape(" · ".join(facts)))
    if line.upsell:
        rows.append(":bulb: " + escape(fmt.one_line(line.upsell_reason or "upsell moment", 300)))
    if line.stale and line.assessed_at is not None and now is not None:
        rows.append(f"_as of {fmt.ago(line.assessed_at, now)}_")
    return SectionBlock(
        text=MarkdownTextObject(text=fmt.truncate("\n".join(rows), 3000)),
        accessory=ButtonElement(text="Card", action_id=ids.SHOW_CARD, value=line.deal_id[:2000]),
    )


def _paging(page: int, pages: int) -> ActionsBlock | None:
    """Previous / next buttons (value: the page to show); None on a single page."""
    if pages <= 1:
        return None
    buttons = []
    if page > 0:
        buttons.append(ButtonElement(text="← Previous", action_id=f"{ids.HOME_PAGE}_prev", value=str(page - 1)))
    if page < pages - 1:
        buttons.append(ButtonElement(text="Next →", action_id=f"{ids.HOME_PAGE}_next", value=str(page + 1)))
    return ActionsBlock(block_id="home_paging", elements=buttons)


def _digest(opted_out: bool) -> SectionBlock:
    """The weekly digest switch: value "on" turns it on, "off" turns it off."""
    if opted_out:
        text, label, value = "You don't get the weekly digest of your accounts.", "Turn on weekly digest", "on"
    else:
        text, label, value = (
            "You get a weekly digest of your accounts in a direct message.",
            "Turn off weekly digest",
            "off",
        )
    return SectionBlock(
        block_id="home_digest",
        text=MarkdownTextObject(text=text),
        accessory=ButtonElement(text=label, action_id=ids.HOME_DIGEST, value=value),
    )


def refusal_view() -> dict[str, Any]:
    """Home for a guest or someone from another organisation: no account data at all."""
    from blocks.messages import REFUSAL

    return {"type": "home", "blocks": [SectionBlock(text=MarkdownTextObject(text=REFUSAL)).to_dict()]}
