"""The benchmark runs, end to end, at its smallest size (it measures nothing here: a bench that rots is found
by CI, not by the next person who needs its figures)."""

from __future__ import annotations

import os

import pytest

from bench import __main__ as bench_main
from bench.alerts import outbox_throughput, webhook_to_post
from bench.book import home_for_200, snapshot_rate
from bench.slack import slash_to_card


async def test_card_bench_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The cold/warm card, crowd and sequential figures are printed (the targets' verdicts are not checked)."""
    await bench_main.run(0.001, "Globex", 1, card_only=True)  # the ratio needs a latency
    out = capsys.readouterr().out
    assert "upstream calls per cold card" in out and "sequential baseline" in out


async def test_slack_bench_runs() -> None:
    """A signed slash command reaches a card, cold and warm; at zero latency both ride in the ack."""
    figures = await slash_to_card(0.0, "Globex", 1)
    assert set(figures) == {"ack", "cold", "warm", "in_ack", "cards"}
    assert figures["in_ack"] == figures["cards"] == 2


async def test_alert_benches_run() -> None:
    """A QuickBooks webhook becomes a Slack post; the outbox drains several channels."""
    first, after = await webhook_to_post(0.0, count=2)
    assert first > 0 and after > 0
    sent, _ = await outbox_throughput(channels=2, per_channel=2)
    assert sent == 4


async def test_book_benches_run() -> None:
    """The Home tab of a rep and the daily round's call rates, on a small book."""
    _, count = await home_for_200(0.0, book=60, rep_accounts=10)
    assert count == 10
    rate = await snapshot_rate(sample=5, book=60)
    assert {"hubspot", "asana", "quickbooks"} <= set(rate)


async def test_project_bench_runs() -> None:
    """A win's webhook reaches a delivery project and its announcement."""
    from bench.projects import webhook_to_project

    figures = await webhook_to_project(deals=1)
    assert figures["announced"] >= figures["project"] > 0


async def test_ack_bench_runs() -> None:
    """Signed commands to a `serve` in its own process are acked; each person is looked up once."""
    from bench.ack import run

    figures = await run(sizes=(6,), users=2, rounds=1, latency=0.0)
    assert figures[("help", 6)]["max"] > 0 and figures[("help", 6)]["users_info"] == 2
    assert figures[("cards", 6)]["in_ack"] == 6  # warm cards ride in the ack


@pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")),
    reason="TEST_DATABASE_URL and TEST_REDIS_URL not set",
)
async def test_replicas_bench_runs() -> None:
    """Two serve replicas on one sandbox answer a small burst, without and with Redis; calls and 429s counted."""
    from bench.replicas import run

    figures = await run(replicas=2, commands=4, latency=0.0)
    assert set(figures) == {"in-process", "redis"}
    assert all(sum(f["calls"].values()) > 0 for f in figures.values())


async def test_netsuite_bench_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The cold card on NetSuite beside QuickBooks', each with its money (the verdicts are not checked)."""
    from bench.netsuite import cold_cards, report

    figures = await cold_cards(0.001, "Globex", 1)
    assert set(figures) == {"quickbooks", "netsuite"} and figures["netsuite"]["calls_netsuite"] > 0
    report(figures, 0.001)
    assert "netsuite" in capsys.readouterr().out


async def test_unlinked_bench_runs() -> None:
    """/account unlinked on a small generated book: acked, listed, calls counted per system."""
    from bench.unlinked import run

    figures = await run(deals=12, invoices_per_deal=2, loose=0.3)
    assert figures["cold"]["list"] >= figures["cold"]["ack"] > 0
    assert figures["cold"]["quickbooks"] > figures["warm"]["quickbooks"] > 0  # the cold run built the index


async def test_unlinked_bench_runs_on_netsuite() -> None:
    """The same bench with the invoices in NetSuite: every call counted, the list answered."""
    from bench.unlinked import run

    figures = await run(deals=12, invoices_per_deal=2, loose=0.3, accounting="netsuite")
    assert figures["cold"]["list"] >= figures["cold"]["ack"] > 0
    assert figures["cold"]["netsuite"] > 0 and figures["warm"]["netsuite"] > 0


async def test_traffic_bench_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """HubSpot calls per cold card, the bursts, the search peak and the typo's suggestions are printed."""
    from bench.traffic import run

    await run(0.0, 1000, 2, 4, pause=0.0, book=120)
    out = capsys.readouterr().out
    assert "HubSpot calls per cold card" in out and "matches nothing" in out and "batch/update" in out


async def test_scale_bench_runs() -> None:
    """The QuickBooks index is built from scratch; the first card after a start is timed, built and not."""
    from bench.scale import first_card, index_build

    build = await index_build(300, 0.0)
    assert build["seen"] == build["invoices"] >= 300 and build["requests"] >= 2
    figures = await first_card(60, 0.0, invoices=300)
    assert {"built", "empty"} <= set(figures)


async def test_round_bench_runs() -> None:
    """The daily round runs for a moment at the free tier; its busiest minute per vendor is counted."""
    from bench.round import daily_round

    figures = await daily_round(150, seconds=1.0, book=60)
    assert figures["asana"]["calls"] > 0 and "card_seconds" in figures["_"]


async def test_cpu_bench_runs() -> None:
    """Cold and warm cards against `accountbot sandbox` in its own process; CPU per card measured."""
    from bench.cpu import run

    figures = await run(cards=2)
    assert figures["cold_ms"] > 0 and figures["warm_ms"] > 0
