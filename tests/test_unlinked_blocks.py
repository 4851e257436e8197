"""Golden Block Kit for `/account unlinked` (every kind of item, history, a failed source, paging), from the
pure finder over fixed findings; and the ids and limits the buttons rely on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from blocks import ids
from blocks.unlinked import PAGE_SIZE, counts_line, link_result, parse_link_value, unlinked_message
from bot.models.unlinked import IssueKind, LinkAction, LinkHistory, LinkOutcome, UnlinkedReport
from bot.unlinked_items import Findings, build_items
from connectors.types import DealMatch, InvoiceRef, ProjectRef

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
TODAY = NOW.date()
D = Decimal


def deal(deal_id: str, name: str, days: int, amount: str) -> DealMatch:
    return DealMatch(deal_id, name, "Closed won", D(amount), TODAY - timedelta(days=days), currency="USD")


def project(gid: str, name: str, deal_id: str | None, days: int = 3, archived: bool = False) -> ProjectRef:
    return ProjectRef(gid, name, deal_id, archived, NOW - timedelta(days=days), f"https://app.asana.com/0/{gid}/list")


def invoice(iid: str, customer: tuple[str, str], deal_id: str | None, days: int, total: str) -> InvoiceRef:
    return InvoiceRef(
        iid, f"D{iid}", TODAY - timedelta(days=days), D(total), "USD", customer[0], customer[1], deal_id, None
    )


ACME, GLOBEX, VANDELAY, TYPO = "18340012001", "18340012002", "18340012009", "18340012092"
GLOBEX_CORP, WALK_IN = ("58", "Globex Corp"), ("61", "Walk-in Training")
FINDINGS = Findings(
    deals=[
        deal(ACME, "Acme Logistics – Fleet Portal Rebuild", 92, "148000.00"),
        deal(GLOBEX, "Globex – Customer Data Platform", 130, "106250.00"),
        deal(VANDELAY, "Vandelay Imports – ERP Connector", 5, "42000.00"),
    ],
    companies={ACME: "Acme Logistics Inc.", GLOBEX: "Globex Corporation", VANDELAY: "Vandelay Industries"},
    projects=[
        project("1", "ACME fleet portal", ACME),
        project("2", "Acme portal phase 2", ACME),
        project("3", "Globex CDP", TYPO),
        project("4", "Vandelay ERP connector", None),
        project("5", "Office move", None),
        project("6", "Old internal wiki", None, days=400),
    ],
    invoices=[
        invoice("101", GLOBEX_CORP, None, 20, "1200.00"),
        invoice("102", GLOBEX_CORP, None, 10, "800.50"),
        invoice("103", WALK_IN, None, 15, "300.00"),
    ],
    customer_invoices=[invoice("90", GLOBEX_CORP, GLOBEX, 120, "50000.00")],
    carried={GLOBEX: 4, ACME: 6},
    other_known={},
    today=TODAY,
    active_since=NOW - timedelta(days=180),
    can_create=True,
)
HISTORY = (
    LinkHistory(LinkAction.LINK_PROJECT, "7", "Initech TPS", "18340012003", "U01MAYA0001", NOW - timedelta(minutes=5)),
)


def report(**kw) -> UnlinkedReport:
    items = tuple(build_items(FINDINGS))
    defaults = dict(
        items=items,
        counts={k: sum(1 for i in items if i.kind == k) for k in IssueKind},
        generated_at=NOW,
        history=HISTORY,
        errors=(),
        can_create=True,
        scope={"hubspot": "3 won deals closed since 2025-05-24", "asana": "6 projects", "quickbooks": "3 invoices"},
    )
    return UnlinkedReport(**(defaults | kw))


def test_unlinked_list(snapshot) -> None:
    """Every kind of item, worst first, with evidence, Link / Create buttons and the history, exactly."""
    message = unlinked_message(report(), NOW)
    assert len(message["blocks"]) <= 50
    assert message == snapshot


def test_worst_first_and_the_counts() -> None:
    """Typo, shared deal ID, loose invoices (with a suggestion first), won deals without project, loose projects."""
    items = build_items(FINDINGS)
    assert [i.kind for i in items] == [
        IssueKind.UNKNOWN_DEAL,
        IssueKind.SHARED_DEAL,
        IssueKind.INVOICES_WITHOUT_DEAL,
        IssueKind.INVOICES_WITHOUT_DEAL,
        IssueKind.DEAL_WITHOUT_PROJECT,
        IssueKind.DEAL_WITHOUT_PROJECT,
        IssueKind.PROJECT_WITHOUT_DEAL,
        IssueKind.PROJECT_WITHOUT_DEAL,
    ]
    assert items[2].suggestions[0].evidence == f"1 other invoice of Globex Corp carries deal {GLOBEX}"
    assert items[2].suggestions[0].target_ids == ("101", "102") and items[3].suggestions == ()
    assert "Old internal wiki" not in " ".join(i.title for i in items)  # not active in the last 180 days
    assert counts_line(report().counts).startswith("1 deal ID HubSpot does not know · 1 deal ID on two projects")


def test_buttons_carry_what_the_handler_needs_inside_slacks_limits() -> None:
    """Each Link button: a unique action id, a value under 2000 characters that parses back, a confirm dialog."""
    message = unlinked_message(report(), NOW)
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert len({b["action_id"] for b in buttons}) == len(buttons)
    assert all(b["action_id"].startswith(ids.UNLINKED_LINK) for b in buttons)
    for button in buttons:
        assert len(button["value"]) <= 2000 and len(button["text"]["text"]) <= 75 and "confirm" in button
        parse_link_value(button["value"])
    typo_fix = parse_link_value(buttons[0]["value"])
    assert typo_fix == (LinkAction.LINK_PROJECT, GLOBEX, ("3",), "Globex CDP")


def test_a_long_list_is_paged_and_a_failed_source_is_named() -> None:
    """More items than a page: Page 1 of N with Next; a source that failed says so above the list."""
    many = report().items * 3
    message = unlinked_message(report(items=many, errors=("Asana projects: HTTP 503",)), NOW, page=1)
    text = str(message["blocks"])
    assert f"Page 2 of {-(-len(many) // PAGE_SIZE)}" in text and "Asana projects: HTTP 503" in text
    nav = next(b for b in message["blocks"] if b.get("block_id") == "unlinked_pages")
    assert [e["value"] for e in nav["elements"]] == ["0", "2"]
    assert len(message["blocks"]) <= 50


def test_link_result_says_what_was_done(snapshot) -> None:
    """Written, or nothing more written, exactly."""
    done = link_result(LinkOutcome("Linked the Asana project “ACME fleet portal” to deal 1.", True, "1"))
    again = link_result(LinkOutcome("1 Asana project already linked to deal 1: nothing more written.", False, "1"))
    assert done["replace_original"] is False
    assert (done, again) == snapshot


def test_dates_in_findings_are_dates() -> None:
    """The fixture is what the connectors hand over."""
    assert isinstance(FINDINGS.invoices[0].txn_date, date)
