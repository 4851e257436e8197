"""The card never breaks a Block Kit limit, whatever the data; user text cannot format."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from blocks.card import escape, status_card
from blocks.modal import log_modal
from blocks.unfurl import compact_card, public_card
from bot.models import AccountStatus, Section
from connectors.types import (
    Change,
    Communication,
    Deal,
    Deliverable,
    Delivery,
    Escalation,
    Money,
    PaymentInfo,
    Person,
    Phase,
)
from sandbox.slack.blocks import block_errors, view_errors

NOW = datetime(2026, 11, 25, 16, tzinfo=UTC)
TODAY = NOW.date()


def _status(
    name: str = "Acme",
    escalations: int = 1,
    summary: str = "ok",
    changes: int = 2,
    person: str = "Sam Okafor",
    task: str = "Beta",
) -> AccountStatus:
    at = NOW - timedelta(hours=5)
    deal = Deal(
        "1",
        name,
        "closedwon",
        "Closed won",
        "Sales Pipeline",
        True,
        True,
        Decimal("1000.5"),
        "USD",
        TODAY,
        Person(person),
        name,
        "https://app.hubspot.com/contacts/1/record/0-3/1",
    )
    delivery = Delivery(
        "2",
        name,
        "https://app.asana.com/0/2/list",
        Person(person),
        Phase(task, 1, 3, 5, 9),
        Deliverable("3", task, TODAY - timedelta(days=3), person, True),
        tuple(Change("due_date_moved", at, task, "2026-11-01", "2026-11-20", person) for _ in range(changes)),
    )
    money = Money(
        "USD",
        Decimal("10"),
        Decimal("5"),
        Decimal("5"),
        Decimal("5"),
        1,
        1,
        TODAY,
        PaymentInfo("9", TODAY, Decimal("5")),
        name,
        ("1",),
        "https://app.qbo.intuit.com/app/invoice?txnId=1",
    )
    return AccountStatus(
        deal_id="1",
        deal=Section("hubspot", deal, at),
        escalations=Section(
            "hubspot", tuple(Escalation(str(i), f"{summary} #{i}", "HIGH", at, "New") for i in range(escalations)), at
        ),
        communication=Section("hubspot", Communication("5", "call", at, summary, person), at),
        delivery=Section("asana", delivery, at),
        money=Section("quickbooks", money, at),
        generated_at=NOW,
        today=TODAY,
    )


HOSTILE = "*bold* _it_ ~s~ `code` <!channel> <@U123> &amp; " + "x" * 50

CASES = {
    "80 escalations": _status(escalations=80),
    "5000-char name": _status(name="N" * 5000),
    "markdown summary": _status(summary=HOSTILE * 60),
    "many changes": _status(changes=400, task="T" * 3000),
    "long people": _status(person="P" * 2500),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("ephemeral", [True, False])
def test_card_within_limits(case: str, ephemeral: bool) -> None:
    """Slack's own limits, as the sandbox's validator checks them, hold for hostile data."""
    card = status_card(CASES[case], NOW, ephemeral=ephemeral)
    assert block_errors(card["blocks"]) == []
    assert len(card["text"]) <= 3000


@pytest.mark.parametrize("case", list(CASES))
def test_unfurls_within_limits(case: str) -> None:
    """Unfurls too."""
    assert block_errors(compact_card(CASES[case], NOW)["blocks"]) == []
    assert block_errors(public_card(CASES[case])["blocks"]) == []


def test_modal_within_limits_for_a_huge_name() -> None:
    """The modal title is cut to 24 characters and metadata stays under 3,000."""
    view = log_modal("1", "N" * 5000, TODAY, origin={"response_url": "https://hooks.slack.com/" + "x" * 200})
    assert view_errors(view, expect="modal") == []
    assert len(view["title"]["text"]) <= 24 and len(view["private_metadata"]) <= 3000


def test_user_text_cannot_mention_or_format() -> None:
    """A summary with <!channel>, links or *bold* is shown as text, never as Slack formatting."""
    card = json.dumps(status_card(_status(summary=HOSTILE), NOW))
    assert "<!channel>" not in card and "<@U123>" not in card
    assert "*bold*" not in card and "`code`" not in card
    assert escape("a & b <c>") == "a &amp; b &lt;c&gt;"


def test_escalations_are_capped_with_a_count() -> None:
    """80 open escalations: the first few and 'and N more open'."""
    text = json.dumps(status_card(CASES["80 escalations"], NOW))
    assert "and 75 more open" in text and "Escalations (80 open)" in text


@pytest.mark.parametrize("kind", ["payments", "escalations"])
def test_a_burst_over_many_accounts_stays_within_limits(kind: str) -> None:
    """Twelve accounts with hostile names in one burst message: within Block Kit's limits, the rest counted."""
    from blocks.alerts import alert_message

    def payload(n: int) -> dict:
        base = {"deal_id": str(n), "deal_name": HOSTILE * 40}
        if kind == "payments":
            return {
                **base,
                "paid_on": "2026-11-25",
                "currency": "USD",
                "amount": "1.00",
                "payment_id": str(n),
                "invoices": [
                    {
                        "id": str(i),
                        "doc": HOSTILE,
                        "amount": "1.00",
                        "total": "9.00",
                        "balance": "8.00",
                        "due_on": "2026-11-20",
                    }
                    for i in range(30)
                ],
            }
        return {
            **base,
            "ticket_id": str(n),
            "subject": HOSTILE * 20,
            "priority": "HIGH",
            "created_at": "2026-11-25T10:00:00+00:00",
            "stage": "New",
            "url": None,
        }

    message = alert_message(kind, [payload(n) for n in range(12) for _ in range(3)])
    assert block_errors(message["blocks"]) == [] and len(message["blocks"]) <= 50
    assert "and 2 more accounts" in json.dumps(message["blocks"]) and len(message["text"]) <= 3000
