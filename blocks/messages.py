"""Small messages: help, the deal picker, no match, refusals, errors. User-facing text lives here."""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from datetime import date
from typing import Any, Final

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from blocks import format as fmt
from blocks import ids
from blocks.card import escape
from bot.models import SOURCE_LABELS, DealMatch

HELP_LINES: Final = (
    ("/account QUERY", "the account card for a deal name, company, deal ID or HubSpot deal link"),
    ("/account subscribe ACCOUNT|all [escalations] [payments] [projects] [min=AMOUNT]", "alerts in this channel"),
    ("/account unsubscribe ACCOUNT|all [escalations] [payments] [projects]", "stop them"),
    ("/account subscriptions", "what this channel is subscribed to"),
    ("/account link ACCOUNT", "bind this channel to an account: bare /account shows its card"),
    ("/account unlink", "undo that"),
    ("/account doctor", "check the connections to HubSpot, Asana and {books}"),
    ("/account unlinked", "what is not joined yet (deal IDs missing or wrong), with suggested links"),
    ("/account help", "this text"),
)
REFUSAL: Final = (
    "Sorry — account cards are only available to members of this workspace. "
    "Ask your account team if you need something."
)
DEAL_GONE: Final = "HubSpot has no deal with ID {deal_id} (it may have been deleted or merged)."
MAX_PICKER: Final = 10
ON_ITS_WAY: Final = "Looking it up… the answer follows in a moment."
SOMETHING_WENT_WRONG: Final = "Something went wrong on my side while answering that. Please try again in a minute."
EITHER_BOOKS: Final = "QuickBooks or NetSuite"  # when the accounting system in use is not known


def books_name(accounting: str | None) -> str:
    """The accounting system in use, in words ("NetSuite"), or "QuickBooks or NetSuite" when not known."""
    return SOURCE_LABELS.get(accounting, accounting) if accounting else EITHER_BOOKS


NARROW: Final = "Not in the list? Type more of the deal or company name, the HubSpot deal ID, or paste the deal's link."


def message(text: str, *, blocks: list[Any] | None = None) -> dict[str, Any]:
    """A plain message payload with a fallback text."""
    payload: dict[str, Any] = {"text": text}
    if blocks is not None:
        payload["blocks"] = blocks
    return payload


def help_message(unknown: str | None = None, *, accounting: str | None = None) -> dict[str, Any]:
    """Usage of /account, every subcommand, one line each; `accounting` names the system in use ("netsuite")."""
    return copy.deepcopy(_help_message(unknown, accounting))  # the caller's own: it may add to it


@functools.lru_cache(maxsize=64)  # Block Kit models are slow to render; help is asked for in bursts
def _help_message(unknown: str | None, accounting: str | None) -> dict[str, Any]:
    lead = f"I don't know “{escape(unknown)}”. " if unknown else ""
    books = escape(books_name(accounting))
    lines = "\n".join(f"`{usage}` — {what.format(books=books)}" for usage, what in HELP_LINES)
    text = f"{lead}*How to use /account*\n{lines}"
    return message("How to use /account", blocks=[SectionBlock(text=MarkdownTextObject(text=text)).to_dict()])


def picker(
    query: str, matches: Sequence[DealMatch], today: date | None = None, *, more: bool = False
) -> dict[str, Any]:
    """Several deals match: one line per deal (stage, amount, close date) with a button.

    `more`: the list was cut; say so, and how to narrow it.
    """
    shown = min(len(matches), MAX_PICKER)
    quoted = f"“{escape(fmt.truncate(query, 200))}”"
    head = (
        f"More than {shown} deals match {quoted}; these are the {shown} closest. Which one?"
        if more or len(matches) > MAX_PICKER
        else f"{len(matches)} deals match {quoted}. Which one?"
    )
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=head)).to_dict()]
    for match in list(matches)[:MAX_PICKER]:
        facts = [match.stage_label]
        if match.amount is not None:
            facts.append(fmt.money(match.amount, match.currency))
        if match.close_date:
            facts.append(f"close {fmt.day(match.close_date)}")
        if match.company_name:
            facts.append(match.company_name)
        text = f"*{escape(fmt.truncate(match.name, 200))}*\n{escape(' · '.join(facts))}"
        blocks.append(
            SectionBlock(
                block_id=f"pick_{match.deal_id}",
                text=MarkdownTextObject(text=fmt.truncate(text, 3000)),
                accessory=ButtonElement(text="Show card", action_id=ids.PICK_DEAL, value=match.deal_id),
            ).to_dict()
        )
    if more or len(matches) > MAX_PICKER:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=NARROW)]).to_dict())
        return message(f"More than {shown} deals match “{query}”", blocks=blocks)
    return message(f"{len(matches)} deals match “{query}”", blocks=blocks)


def no_match(query: str, suggestions: Sequence[DealMatch], reason: str | None = None) -> dict[str, Any]:
    """Nothing matches: say so, with the closest names as buttons."""
    text = escape(reason) if reason else f"No deal matches “{escape(fmt.truncate(query, 200))}”."
    blocks: list[Any] = []
    if suggestions:
        text += " Did you mean:"
    blocks.append(SectionBlock(text=MarkdownTextObject(text=text)).to_dict())
    if suggestions:
        blocks.append(
            ActionsBlock(
                block_id="suggestions",
                elements=[
                    ButtonElement(text=fmt.truncate(s.name, 75), action_id=f"{ids.SUGGEST_DEAL}_{i}", value=s.deal_id)
                    for i, s in enumerate(list(suggestions)[:5])
                ],
            ).to_dict()
        )
    else:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="Try part of the deal or company name, the HubSpot deal ID, or paste the deal's link."
                    )
                ]
            ).to_dict()
        )
    return message(f"No deal matches “{query}”", blocks=blocks)


def refusal() -> dict[str, Any]:
    """For guests and people from other organisations: no account data at all."""
    return message(REFUSAL)


def on_its_way() -> dict[str, Any]:
    """The ack when the answer takes longer than the wait: it replaces this message when ready."""
    return message(ON_ITS_WAY)


def error(text: str) -> dict[str, Any]:
    """A short error for the user."""
    return message(text)
