"""Block Kit as plain dicts, for the card: the same JSON slack_sdk's models give, at a tenth of the CPU.

slack_sdk's models validate and walk their attributes by reflection on every `to_dict()`: about
0.35 ms of a warm card's 0.46 ms to render, the most of what a burst of cards in the ack costs.
These builders give dict for dict what the models give (keys in the models' order; tests/
test_kit.py compares them on every shape the card uses) and refuse what the models refuse for
the limits the card could reach.
"""

from __future__ import annotations

from typing import Any, Final

HEADER_TEXT_LIMIT: Final = 150
SECTION_TEXT_LIMIT: Final = 3000
BUTTON_TEXT_LIMIT: Final = 75
BUTTON_VALUE_LIMIT: Final = 2000
URL_LIMIT: Final = 3000
CONTEXT_ELEMENTS_LIMIT: Final = 10
ACTIONS_ELEMENTS_LIMIT: Final = 25


class BlockLimitError(ValueError):
    """A block Slack would refuse (the models raise SlackObjectFormationError for the same)."""


def _within(value: str, limit: int, what: str) -> str:
    if len(value) > limit:
        raise BlockLimitError(f"{what} is {len(value)} characters; Slack takes at most {limit}")
    return value


def mrkdwn(text: str) -> dict[str, Any]:
    return {"text": text, "type": "mrkdwn"}


def plain(text: str, *, emoji: bool = True) -> dict[str, Any]:
    return {"emoji": emoji, "text": text, "type": "plain_text"}


def header(text: str) -> dict[str, Any]:
    """A header block (plain text, no emoji shortcodes)."""
    return {"text": plain(_within(text, HEADER_TEXT_LIMIT, "a header's text"), emoji=False), "type": "header"}


def section(text: str, *, block_id: str | None = None) -> dict[str, Any]:
    """A section block of mrkdwn text."""
    block: dict[str, Any] = {} if block_id is None else {"block_id": block_id}
    block["text"] = mrkdwn(_within(text, SECTION_TEXT_LIMIT, "a section's text"))
    block["type"] = "section"
    return block


def context(texts: list[str], *, block_id: str | None = None) -> dict[str, Any]:
    """A context block of mrkdwn elements."""
    if len(texts) > CONTEXT_ELEMENTS_LIMIT:
        raise BlockLimitError(f"a context block has {len(texts)} elements; Slack takes at most 10")
    block: dict[str, Any] = {} if block_id is None else {"block_id": block_id}
    block["elements"] = [mrkdwn(t) for t in texts]
    block["type"] = "context"
    return block


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def button(
    text: str, action_id: str, *, value: str | None = None, url: str | None = None, style: str | None = None
) -> dict[str, Any]:
    """A button: `value` comes back in the action, `url` opens a page."""
    element: dict[str, Any] = {"action_id": action_id}
    if style is not None:
        element["style"] = style
    element["text"] = plain(_within(text, BUTTON_TEXT_LIMIT, "a button's text"))
    element["type"] = "button"
    if url is not None:
        element["url"] = _within(url, URL_LIMIT, "a button's url")
    if value is not None:
        element["value"] = _within(value, BUTTON_VALUE_LIMIT, "a button's value")
    return element


def actions(elements: list[dict[str, Any]], *, block_id: str | None = None) -> dict[str, Any]:
    """An actions block."""
    if len(elements) > ACTIONS_ELEMENTS_LIMIT:
        raise BlockLimitError(f"an actions block has {len(elements)} elements; Slack takes at most 25")
    block: dict[str, Any] = {} if block_id is None else {"block_id": block_id}
    block["elements"] = elements
    block["type"] = "actions"
    return block
