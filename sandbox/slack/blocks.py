"""Block Kit validation with Slack's limits, reporting errors the way Slack words them.

Every problem becomes one `response_metadata.messages` line such as
`[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]`.
"""

from __future__ import annotations

from typing import Any, Final

MAX_BLOCKS: Final = {"message": 50, "unfurl": 50, "modal": 100, "home": 100}

TEXT_TYPES: Final = frozenset({"plain_text", "mrkdwn"})
SELECTS: Final = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
INTERACTIVE: Final = SELECTS | {
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "timepicker",
    "overflow",
    "radio_buttons",
    "workflow_button",
}
INPUTS: Final = SELECTS | {
    "plain_text_input",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
    "file_input",
}
ACCESSORIES: Final = INTERACTIVE | {"image"}
KNOWN_BLOCKS: Final = frozenset(
    {
        "section",
        "header",
        "divider",
        "context",
        "actions",
        "image",
        "input",
        "rich_text",
        "video",
        "file",
        "markdown",
        "context_actions",
        "table",
    }
)


class Checker:
    """Collects Slack-style error lines while walking a payload."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self._block_ids: set[str] = set()

    def err(self, pointer: str, message: str) -> None:
        """Record one error at a JSON pointer."""
        self.errors.append(f"[ERROR] {message} [json-pointer:{pointer}]")

    def max_len(self, value: Any, limit: int, pointer: str, *, required: bool = False) -> None:
        """Check a string field's type and length."""
        if value is None:
            if required:
                self.err(pointer, "missing required field")
            return
        if not isinstance(value, str):
            self.err(pointer, "must be a string")
        elif len(value) > limit:
            self.err(pointer, f"must be less than {limit + 1} characters")

    def text(self, obj: Any, pointer: str, limit: int, *, plain: bool = False, required: bool = True) -> None:
        """Check a text object: type, non-empty text, length limit."""
        if obj is None:
            if required:
                self.err(pointer, "missing required field: text")
            return
        if not isinstance(obj, dict):
            self.err(pointer, "must be an object")
            return
        kind = obj.get("type")
        if kind not in TEXT_TYPES or (plain and kind != "plain_text"):
            self.err(pointer + "/type", "must be a valid enum value" + (" (plain_text)" if plain else ""))
        value = obj.get("text")
        if not isinstance(value, str):
            self.err(pointer + "/text", "missing required field: text")
        elif not value:
            self.err(pointer + "/text", "must be more than 0 characters")
        elif len(value) > limit:
            self.err(pointer + "/text", f"must be less than {limit + 1} characters")

    # -- elements -------------------------------------------------------------------------

    def options(self, options: Any, pointer: str, *, most: int, least: int = 1) -> None:
        """Check an options list (select, overflow, checkboxes, radio buttons)."""
        if not isinstance(options, list):
            self.err(pointer, "must be an array")
            return
        if len(options) < least:
            self.err(pointer, f"must provide at least {least} items")
        if len(options) > most:
            self.err(pointer, f"no more than {most} items allowed")
        for i, option in enumerate(options):
            p = f"{pointer}/{i}"
            if not isinstance(option, dict):
                self.err(p, "must be an object")
                continue
            self.text(option.get("text"), p + "/text", 75)
            self.max_len(option.get("value"), 150, p + "/value")
            self.text(option.get("description"), p + "/description", 75, required=False)

    def element(self, el: Any, pointer: str, allowed: frozenset[str], action_ids: set[str]) -> None:
        """Check one interactive element (or image) in a block."""
        if not isinstance(el, dict):
            self.err(pointer, "must be an object")
            return
        kind = el.get("type")
        if kind not in allowed:
            self.err(pointer + "/type", f"unsupported element type: {kind!r}")
            return
        if kind == "image":
            self.max_len(el.get("image_url"), 3000, pointer + "/image_url", required="slack_file" not in el)
            self.max_len(el.get("alt_text"), 2000, pointer + "/alt_text", required=True)
            return
        action_id = el.get("action_id")
        if action_id is not None:
            self.max_len(action_id, 255, pointer + "/action_id")
            if action_id in action_ids:
                self.err(pointer + "/action_id", f"duplicate action_id {action_id!r} in block")
            action_ids.add(action_id)
        if kind == "button":
            self.text(el.get("text"), pointer + "/text", 75, plain=True)
            self.max_len(el.get("value"), 2000, pointer + "/value")
            self.max_len(el.get("url"), 3000, pointer + "/url")
            if el.get("style") not in (None, "primary", "danger"):
                self.err(pointer + "/style", "must be a valid enum value")
        elif kind in ("static_select", "multi_static_select"):
            if "option_groups" in el:
                self.options(
                    [o for g in el["option_groups"] for o in g.get("options", [])]
                    if isinstance(el["option_groups"], list)
                    else None,
                    pointer + "/option_groups",
                    most=100,
                )
            else:
                self.options(el.get("options"), pointer + "/options", most=100)
        elif kind == "overflow":
            self.options(el.get("options"), pointer + "/options", most=5)
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(el.get("options"), pointer + "/options", most=10)
        if kind in SELECTS or kind in (
            "plain_text_input",
            "datepicker",
            "timepicker",
            "email_text_input",
            "url_text_input",
            "number_input",
        ):
            self.text(el.get("placeholder"), pointer + "/placeholder", 150, plain=True, required=False)
        if kind == "plain_text_input":
            self.max_len(el.get("initial_value"), 3000, pointer + "/initial_value")
            if isinstance(el.get("max_length"), int) and el["max_length"] > 3000:
                self.err(pointer + "/max_length", "must be less than 3001")

    # -- blocks ---------------------------------------------------------------------------

    def blocks(self, blocks: Any, surface: str, pointer: str = "/blocks") -> None:
        """Check a blocks array for `surface` (message, unfurl, modal, home)."""
        if not isinstance(blocks, list):
            self.err(pointer, "must be an array")
            return
        limit = MAX_BLOCKS[surface]
        if len(blocks) > limit:
            self.err(pointer, f"no more than {limit} items allowed")
        for i, block in enumerate(blocks):
            self.block(block, f"{pointer}/{i}", surface)

    def block(self, block: Any, p: str, surface: str) -> None:
        """Check one block."""
        if not isinstance(block, dict):
            self.err(p, "must be an object")
            return
        kind = block.get("type")
        block_id = block.get("block_id")
        if block_id is not None:
            self.max_len(block_id, 255, p + "/block_id")
            if block_id in self._block_ids:
                self.err(p + "/block_id", f"duplicate block_id {block_id!r}")
            self._block_ids.add(block_id)
        action_ids: set[str] = set()
        if kind == "section":
            has_text, fields = "text" in block, block.get("fields")
            if not has_text and fields is None:
                self.err(p, "must provide either text or fields")
            if has_text:
                self.text(block["text"], p + "/text", 3000)
            if fields is not None:
                if not isinstance(fields, list):
                    self.err(p + "/fields", "must be an array")
                else:
                    if len(fields) > 10:
                        self.err(p + "/fields", "no more than 10 items allowed")
                    for j, field in enumerate(fields):
                        self.text(field, f"{p}/fields/{j}", 2000)
            if "accessory" in block:
                self.element(block["accessory"], p + "/accessory", ACCESSORIES, action_ids)
        elif kind == "header":
            self.text(block.get("text"), p + "/text", 150, plain=True)
        elif kind == "divider":
            pass
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.err(p + "/elements", "must provide at least 1 items")
                return
            if len(elements) > 10:
                self.err(p + "/elements", "no more than 10 items allowed")
            for j, el in enumerate(elements):
                ep = f"{p}/elements/{j}"
                if isinstance(el, dict) and el.get("type") == "image":
                    self.element(el, ep, frozenset({"image"}), action_ids)
                else:
                    self.text(el, ep, 3000)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.err(p + "/elements", "must provide at least 1 items")
                return
            if len(elements) > 25:
                self.err(p + "/elements", "no more than 25 items allowed")
            for j, el in enumerate(elements):
                self.element(el, f"{p}/elements/{j}", INTERACTIVE, action_ids)
        elif kind == "image":
            self.max_len(block.get("image_url"), 3000, p + "/image_url", required="slack_file" not in block)
            self.max_len(block.get("alt_text"), 2000, p + "/alt_text", required=True)
            self.text(block.get("title"), p + "/title", 2000, plain=True, required=False)
        elif kind == "input":
            self.text(block.get("label"), p + "/label", 2000, plain=True)
            self.text(block.get("hint"), p + "/hint", 2000, plain=True, required=False)
            if "element" not in block:
                self.err(p + "/element", "missing required field: element")
            else:
                self.element(block["element"], p + "/element", INPUTS, action_ids)
        elif kind == "markdown":
            self.max_len(block.get("text"), 12000, p + "/text", required=True)
        elif kind in KNOWN_BLOCKS:
            pass  # rich_text, video, file, table: accepted as given
        else:
            self.err(p + "/type", f"unsupported block type: {kind!r}")


def block_errors(blocks: Any, surface: str = "message", pointer: str = "/blocks") -> list[str]:
    """Slack-style error lines for a blocks array on `surface`; empty when valid."""
    checker = Checker()
    checker.blocks(blocks, surface, pointer)
    return checker.errors


def view_errors(view: Any, *, expect: str | None = None) -> list[str]:
    """Slack-style error lines for a view (modal or home); `expect` pins the type."""
    checker = Checker()
    if not isinstance(view, dict):
        checker.err("/view", "must be an object")
        return checker.errors
    kind = view.get("type")
    if kind not in ("modal", "home") or (expect and kind != expect):
        checker.err("/view/type", "must be a valid enum value" + (f" ({expect})" if expect else ""))
        return checker.errors
    if kind == "modal":
        checker.text(view.get("title"), "/view/title", 24, plain=True)
        checker.text(view.get("submit"), "/view/submit", 24, plain=True, required=False)
        checker.text(view.get("close"), "/view/close", 24, plain=True, required=False)
        blocks = view.get("blocks")
        if (
            isinstance(blocks, list)
            and "submit" not in view
            and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        ):
            checker.err("/view/submit", "must provide submit when blocks contain input")
    checker.max_len(view.get("private_metadata"), 3000, "/view/private_metadata")
    checker.max_len(view.get("callback_id"), 255, "/view/callback_id")
    checker.max_len(view.get("external_id"), 255, "/view/external_id")
    if "blocks" not in view:
        checker.err("/view/blocks", "missing required field: blocks")
    else:
        checker.blocks(view["blocks"], kind, "/view/blocks")
    return checker.errors
