"""blocks.kit gives, dict for dict and key for key, what slack_sdk's models give, and refuses what they refuse."""

from __future__ import annotations

import json

import pytest
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from blocks import kit

TEXTS = ["", "plain", "*Money*\n$1,200.00 · _muted_ & <escaped>", "é" * 150, "x" * 3000]


def same(ours: dict, theirs: dict) -> None:
    assert json.dumps(ours) == json.dumps(theirs)  # the same keys, in the same order


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("block_id", [None, "card_money"])
def test_sections_and_contexts_as_the_models_give_them(text: str, block_id: str | None) -> None:
    if text:
        same(
            kit.section(text, block_id=block_id),
            SectionBlock(block_id=block_id, text=MarkdownTextObject(text=text)).to_dict(),
        )
    texts = [text or "-", "second"]
    same(
        kit.context(texts, block_id=block_id),
        ContextBlock(block_id=block_id, elements=[MarkdownTextObject(text=t) for t in texts]).to_dict(),
    )


def test_a_header_a_divider_and_buttons_as_the_models_give_them() -> None:
    title = "Globex – Customer Data Platform"
    same(kit.header(title), HeaderBlock(text=PlainTextObject(text=title, emoji=False)).to_dict())
    same(kit.divider(), DividerBlock().to_dict())
    ours = [
        kit.button("Log client communication", "log", value="18340012002", style="primary"),
        kit.button("Refresh", "refresh", value="18340012002"),
        kit.button("Open in HubSpot", "open", url="https://app.hubspot.com/contacts/1/record/0-3/2"),
    ]
    theirs = [
        ButtonElement(text="Log client communication", action_id="log", value="18340012002", style="primary"),
        ButtonElement(text="Refresh", action_id="refresh", value="18340012002"),
        ButtonElement(text="Open in HubSpot", action_id="open", url="https://app.hubspot.com/contacts/1/record/0-3/2"),
    ]
    same(kit.actions(ours, block_id="card_actions"), ActionsBlock(block_id="card_actions", elements=theirs).to_dict())


@pytest.mark.parametrize(
    "build, model",
    [
        (lambda: kit.header("h" * 151), lambda: HeaderBlock(text=PlainTextObject(text="h" * 151)).to_dict()),
        (lambda: kit.section("s" * 3001), lambda: SectionBlock(text=MarkdownTextObject(text="s" * 3001)).to_dict()),
        (lambda: kit.button("b" * 76, "a"), lambda: ButtonElement(text="b" * 76, action_id="a").to_dict()),
        (
            lambda: kit.button("b", "a", value="v" * 2001),
            lambda: ButtonElement(text="b", action_id="a", value="v" * 2001).to_dict(),
        ),
        (lambda: kit.context(["c"] * 11), lambda: ContextBlock(elements=[MarkdownTextObject(text="c")] * 11).to_dict()),
    ],
)
def test_what_the_models_refuse_the_kit_refuses(build, model) -> None:
    with pytest.raises(SlackObjectFormationError):
        model()
    with pytest.raises(kit.BlockLimitError):
        build()
