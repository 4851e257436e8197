"""App Home "My accounts" views: order, filters, paging within Slack's 100 blocks, valid Block Kit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from blocks import ids
from blocks.home import PAGE_SIZE, home_view, loading_view, no_owner_view, parse_filter, sort_lines
from bot.models.views import BookLine
from sandbox.slack.blocks import view_errors

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def line(
    deal_id: str, name: str, level: str = "green", *, upsell: bool = False, reasons: tuple[str, ...] = (), **extra: Any
) -> BookLine:
    """A BookLine with defaults for what a test does not care about (`assessed_hours_ago` makes it stale)."""
    hours = extra.get("assessed_hours_ago")
    return BookLine(
        deal_id=deal_id,
        name=name,
        level=level,
        reasons=reasons,  # type: ignore[arg-type]
        phase=extra.get("phase"),
        progress=extra.get("progress"),
        outstanding=extra.get("outstanding"),
        currency=extra.get("currency", "USD"),
        upsell=upsell,
        upsell_reason=extra.get("upsell_reason"),
        assessed_at=NOW - timedelta(hours=hours) if hours is not None else None,
        stale=hours is not None,
    )


BOOK = (
    line("1", "Zeta Foods", "green", upsell=True, upsell_reason="client asked for a phase 2 quote"),
    line(
        "2",
        "Acme Logistics",
        "red",
        reasons=("invoice 34 days overdue", "1 urgent escalation"),
        phase="Build (7 of 12 tasks done)",
        outstanding=Decimal("29600.00"),
    ),
    line("3", "Beta Labs", "unknown", assessed_hours_ago=50),
    line("4", "Globex", "yellow", reasons=("milestone 3 days late",), upsell=True, upsell_reason="renewal due"),
    line("5", "Alpha Health", "green", phase="Hypercare (1 of 2 tasks done)"),
    line("6", "Umbrella", "red", reasons=("2 open escalations",)),
)


def accounts(view: dict) -> list[str]:
    """Deal ids of the account sections, in order."""
    return [
        b["accessory"]["value"]
        for b in view["blocks"]
        if b["type"] == "section" and b.get("accessory", {}).get("action_id") == ids.SHOW_CARD
    ]


def texts(view: dict) -> str:
    """Every text of the view, joined (for "does it say X" checks)."""
    return json.dumps(view["blocks"], ensure_ascii=False)


def buttons(view: dict, prefix: str) -> list[dict]:
    """Buttons whose action id starts with `prefix`."""
    found = []
    for block in view["blocks"]:
        for el in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
            if el.get("type") == "button" and el.get("action_id", "").startswith(prefix):
                found.append(el)
    return found


def valid(view: dict) -> dict:
    """The view, after asserting Slack would accept it as a Home tab."""
    assert view_errors(view, expect="home") == []
    return view


def test_worst_first_then_by_name() -> None:
    view = valid(home_view(BOOK, rep_name="Maya Chen"))
    assert accounts(view) == ["2", "6", "4", "3", "5", "1"]  # red A, red U, yellow, unknown, green A, green Z
    assert [l.deal_id for l in sort_lines(BOOK)] == ["2", "6", "4", "3", "5", "1"]


def test_account_line_shows_health_reason_phase_outstanding() -> None:
    view = valid(home_view(BOOK, rep_name="Maya Chen", now=NOW))
    acme = next(b for b in view["blocks"] if b.get("accessory", {}).get("value") == "2")
    text = acme["text"]["text"]
    assert text.startswith("🔴 *Acme Logistics*")
    assert "invoice 34 days overdue · 1 urgent escalation" in text
    assert "Build (7 of 12 tasks done) · $29,600.00 outstanding" in text
    assert acme["accessory"]["text"]["text"] == "Card"
    emojis = [b["text"]["text"][0] for b in view["blocks"] if b.get("accessory", {}).get("action_id") == ids.SHOW_CARD]
    assert emojis == ["🔴", "🔴", "🟡", "⚪", "🟢", "🟢"]
    assert "as of 2 days ago" in texts(view)


def test_counts_and_current_filter_is_primary() -> None:
    view = valid(home_view(BOOK, filter="attention", rep_name="Maya Chen"))
    assert "6 accounts · 3 need attention · 2 upsell moments" in texts(view)
    filters = buttons(view, ids.HOME_FILTER)
    assert [b["value"] for b in filters] == ["all", "attention", "upsell"]
    assert [b.get("style") for b in filters] == [None, "primary", None]
    assert len({b["action_id"] for b in filters}) == 3  # unique within their actions block
    assert view["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "My accounts", "emoji": True}}


def test_singular_counts() -> None:
    view = valid(home_view([line("9", "Solo", "red", upsell=True)], rep_name="Maya"))
    assert "1 account · 1 needs attention · 1 upsell moment" in texts(view)


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("all", ["2", "6", "4", "3", "5", "1"]),
        ("attention", ["2", "6", "4"]),
        ("upsell", ["4", "1"]),
    ],
)
def test_filters(filter_: str, expected: list[str]) -> None:
    view = valid(home_view(BOOK, filter=filter_, rep_name="Maya Chen"))  # type: ignore[arg-type]
    assert accounts(view) == expected
    assert json.loads(view["private_metadata"]) == {"filter": filter_, "page": 0}


def test_upsell_reason_is_shown() -> None:
    view = valid(home_view(BOOK, filter="upsell", rep_name="Maya Chen"))
    assert "client asked for a phase 2 quote" in texts(view)


@pytest.mark.parametrize(
    ("filter_", "words"),
    [("attention", "Nothing needs your attention"), ("upsell", "No upsell moments"), ("all", "No accounts to show")],
)
def test_empty_filter_result_is_a_friendly_line(filter_: str, words: str) -> None:
    book = [line("1", "Calm", "green")] if filter_ != "all" else []
    view = valid(home_view(book, filter=filter_, rep_name="Maya"))  # type: ignore[arg-type]
    assert accounts(view) == []
    assert words in texts(view)


def test_unknown_filter_is_refused_and_parsed_as_all() -> None:
    with pytest.raises(ValueError):
        home_view(BOOK, filter="bogus", rep_name="Maya")  # type: ignore[arg-type]
    assert parse_filter("bogus") == "all" and parse_filter("upsell") == "upsell" and parse_filter(None) == "all"


def test_paging_keeps_every_page_under_100_blocks_and_reaches_every_account() -> None:
    levels = ("red", "yellow", "unknown", "green")
    book = [
        line(
            str(1000 + n),
            f"Client {n:03d}",
            levels[n % 4],
            reasons=("reason",),
            phase="Build",
            outstanding=Decimal("1.00"),
            upsell=n % 5 == 0,
            upsell_reason="more",
        )
        for n in range(250)
    ]
    seen: list[str] = []
    page, visited = 0, []
    while True:
        view = valid(home_view(book, page=page, rep_name="Maya", now=NOW))
        assert len(view["blocks"]) <= 100
        assert f"Page {page + 1} of 5" in texts(view)
        visited.append(page)
        seen.extend(accounts(view))
        nexts = [b for b in buttons(view, ids.HOME_PAGE) if b["action_id"].endswith("next")]
        if not nexts:
            break
        page = int(nexts[0]["value"])
    assert visited == [0, 1, 2, 3, 4] and PAGE_SIZE * 5 >= 250
    assert seen == [l.deal_id for l in sort_lines(book)]  # all 250, once each, worst first across pages
    prev = [b for b in buttons(view, ids.HOME_PAGE) if b["action_id"].endswith("prev")]
    assert [b["value"] for b in prev] == ["3"]
    first = home_view(book, page=0, rep_name="Maya")
    assert [b["action_id"] for b in buttons(first, ids.HOME_PAGE)] == [f"{ids.HOME_PAGE}_next"]


def test_page_out_of_range_is_clamped() -> None:
    book = [line(str(n), f"C{n:03d}") for n in range(120)]
    last = valid(home_view(book, page=99, rep_name="Maya"))
    assert accounts(last) == [l.deal_id for l in sort_lines(book)][2 * PAGE_SIZE :]
    assert json.loads(last["private_metadata"])["page"] == 2
    assert accounts(valid(home_view(book, page=-3, rep_name="Maya")))[0] == "0"


def test_single_page_has_no_paging_buttons() -> None:
    view = valid(home_view(BOOK, rep_name="Maya", now=NOW))
    assert buttons(view, ids.HOME_PAGE) == []
    assert view["blocks"][-2]["elements"][0]["text"] == "refreshed Nov 25, 2026, 16:00 UTC"


@pytest.mark.parametrize(
    ("opted_out", "value", "label"), [(False, "off", "Turn off weekly digest"), (True, "on", "Turn on weekly digest")]
)
def test_digest_switch(opted_out: bool, value: str, label: str) -> None:
    view = valid(home_view(BOOK, rep_name="Maya", digest_opt_out=opted_out))
    (switch,) = buttons(view, ids.HOME_DIGEST)
    assert (switch["action_id"], switch["value"], switch["text"]["text"]) == (ids.HOME_DIGEST, value, label)


def test_hostile_names_are_escaped() -> None:
    evil = line(
        "7",
        "<!channel> *Boss* <https://evil.example|click> & _x_ `y` ~z~",
        "red",
        reasons=("<@U123> pinged", "<#C1>"),
        phase="<!here>",
        outstanding=Decimal("1"),
        upsell=True,
        upsell_reason="<!everyone>",
    )
    view = valid(home_view([evil], rep_name="<!subteam^S1> *Rep*"))
    dumped = texts(view)
    for raw in (
        "<!channel>",
        "<https://",
        "<@U123>",
        "<!here>",
        "<!everyone>",
        "<#C1>",
        "<!subteam",
        "*Boss*",
        "`y`",
        "~z~",
        "_x_",
    ):
        assert raw not in dumped, raw
    assert "&lt;!channel&gt;" in dumped and "&amp;" in dumped


def test_long_texts_stay_within_slack_limits() -> None:
    huge = line(
        "8",
        "N" * 5000,
        "yellow",
        reasons=tuple("r" * 4000 for _ in range(20)),
        phase="p" * 4000,
        outstanding=Decimal("9" * 20),
        upsell=True,
        upsell_reason="u" * 4000,
        assessed_hours_ago=5000,
    )
    valid(home_view([huge], rep_name="R" * 5000, now=NOW))


def test_duplicate_deal_ids_are_shown_once() -> None:
    view = valid(home_view([line("1", "A", "red"), line("1", "A again", "green")], rep_name="Maya"))
    assert accounts(view) == ["1"]


def test_no_owner_view_names_the_email_and_the_fix() -> None:
    view = valid(no_owner_view("maya.chen@brightline.example"))
    text = texts(view)
    assert "maya.chen@brightline.example" in text
    assert "same email" in text and "HubSpot" in text and "admin" in text
    assert buttons(view, ids.SHOW_CARD) == []


def test_no_owner_view_when_the_email_is_hidden() -> None:
    text = texts(valid(no_owner_view(None)))
    assert "didn't share your email" in text and "admin" in text


def test_no_owner_view_escapes_the_email() -> None:
    text = texts(valid(no_owner_view("<!channel>@x.example")))
    assert "<!channel>" not in text and "&lt;!channel&gt;@x.example" in text


def test_loading_view() -> None:
    view = valid(loading_view("Maya Chen"))
    assert "Loading Maya Chen's accounts" in texts(view)
    assert "from HubSpot, Asana and QuickBooks or NetSuite…" in texts(view)  # the system in use not known
    assert "from HubSpot, Asana and NetSuite…" in texts(valid(loading_view("Maya Chen", "netsuite")))
    assert "from HubSpot, Asana and QuickBooks…" in texts(valid(loading_view("Maya Chen", "quickbooks")))
    assert "<!here>" not in texts(valid(loading_view("<!here>")))
    valid(loading_view(""))
