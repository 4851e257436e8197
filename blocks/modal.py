"""The PM's log-communication modal and the views it turns into."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Final

from slack_sdk.models.blocks import (
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from blocks import format as fmt
from blocks import ids
from blocks.card import escape

KINDS: Final = (("email", "Email"), ("call", "Call"), ("meeting", "Meeting"), ("other", "Other"))
SUMMARY_MAX: Final = 2000
TITLE_MAX: Final = 24
METADATA_MAX: Final = 3000


def _title(text: str) -> PlainTextObject:
    return PlainTextObject(text=fmt.truncate(text, TITLE_MAX))


def log_modal(
    deal_id: str,
    deal_name: str,
    today: date,
    *,
    origin: dict[str, Any] | None = None,
    summary: str | None = None,
    kind: str | None = None,
    on: date | None = None,
) -> dict[str, Any]:
    """The modal: kind, date (default today), summary (required, ≤ 2,000 chars); deal in the title."""
    metadata = json.dumps({"deal_id": deal_id, "name": fmt.truncate(deal_name, 300), **(origin or {})})
    if len(metadata) > METADATA_MAX:  # a very long response_url or name: keep what the submit needs
        metadata = json.dumps({"deal_id": deal_id, "name": fmt.truncate(deal_name, 100)})
    options = [Option(value=value, label=label) for value, label in KINDS]
    initial = next((o for o in options if o.value == (kind or "email")), options[0])
    view = View(
        type="modal",
        callback_id=ids.LOG_MODAL_CALLBACK,
        title=_title(f"Log: {deal_name}"),
        submit=PlainTextObject(text="Log it"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=fmt.truncate(
                        f"Client communication for *{escape(deal_name)}*. It is written to the deal in HubSpot.", 3000
                    )
                )
            ),
            InputBlock(
                block_id=ids.LOG_KIND_BLOCK,
                label="Kind",
                element=StaticSelectElement(action_id=ids.LOG_KIND_ACTION, options=options, initial_option=initial),
            ),
            InputBlock(
                block_id=ids.LOG_DATE_BLOCK,
                label="Date",
                element=DatePickerElement(action_id=ids.LOG_DATE_ACTION, initial_date=(on or today).isoformat()),
            ),
            InputBlock(
                block_id=ids.LOG_SUMMARY_BLOCK,
                label="Summary",
                element=PlainTextInputElement(
                    action_id=ids.LOG_SUMMARY_ACTION,
                    multiline=True,
                    max_length=SUMMARY_MAX,
                    initial_value=summary or None,
                    placeholder="What was said or agreed, in a line or two",
                ),
            ),
        ],
    )
    return view.to_dict()


def saving_view(deal_name: str) -> dict[str, Any]:
    """Shown the moment the PM submits, while HubSpot is written."""
    return _notice(deal_name, "Saving to HubSpot…")


def logged_view(deal_name: str, kind: str, on: date) -> dict[str, Any]:
    """The confirmation."""
    word = dict(KINDS).get(kind, kind)
    return _notice(
        deal_name,
        f":white_check_mark: Logged in HubSpot: {word.lower()} on {fmt.day(on)} "
        f"for *{escape(deal_name)}*. The card now shows it.",
    )


def failed_view(deal_name: str, reason: str, summary: str) -> dict[str, Any]:
    """HubSpot refused: say so and give the text back, so nothing is lost."""
    view = View(
        type="modal",
        title=_title("Not saved"),
        close=PlainTextObject(text="Close"),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=fmt.truncate(
                        f":warning: HubSpot did not take the communication for *{escape(deal_name)}*: "
                        f"{escape(reason)}. "
                        "Your text is below — copy it and try again in a minute.",
                        3000,
                    )
                )
            ),
            SectionBlock(text=PlainTextObject(text=fmt.truncate(summary or "(empty)", 3000), emoji=False)),
        ],
    )
    return view.to_dict()


def _notice(deal_name: str, text: str) -> dict[str, Any]:
    view = View(
        type="modal",
        title=_title("Client communication"),
        close=PlainTextObject(text="Close"),
        blocks=[SectionBlock(text=MarkdownTextObject(text=fmt.truncate(text, 3000)))],
    )
    return view.to_dict()


def parse_submission(values: dict[str, Any], today: date) -> tuple[dict[str, str], str, date, str]:
    """(errors by block_id, kind, date, summary) from view.state.values."""
    errors: dict[str, str] = {}
    kind_value = (values.get(ids.LOG_KIND_BLOCK, {}).get(ids.LOG_KIND_ACTION, {}) or {}).get("selected_option") or {}
    kind = kind_value.get("value") or ""
    if kind not in dict(KINDS):
        errors[ids.LOG_KIND_BLOCK] = "Pick email, call, meeting or other."
    raw_date = (values.get(ids.LOG_DATE_BLOCK, {}).get(ids.LOG_DATE_ACTION, {}) or {}).get("selected_date")
    on = today
    if raw_date:
        try:
            on = date.fromisoformat(raw_date)
        except ValueError:
            errors[ids.LOG_DATE_BLOCK] = "That is not a date."
    if on > today:
        errors[ids.LOG_DATE_BLOCK] = "A communication that happened can't be in the future."
    summary = ((values.get(ids.LOG_SUMMARY_BLOCK, {}).get(ids.LOG_SUMMARY_ACTION, {}) or {}).get("value") or "").strip()
    if not summary:
        errors[ids.LOG_SUMMARY_BLOCK] = "Write a line about what was said or agreed."
    elif len(summary) > SUMMARY_MAX:
        errors[ids.LOG_SUMMARY_BLOCK] = f"Keep it under {SUMMARY_MAX:,} characters ({len(summary):,} now)."
    return errors, kind, on, summary
