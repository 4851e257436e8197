"""Prometheus metrics at GET /metrics (prometheus-client).

Latencies are histograms the code observes as it works (process-wide); the outbox and the
upstream counters are read at scrape time from the store and the connectors' runners, so a
scrape always says what the database and the connectors say now.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST

LATENCIES: Final = CollectorRegistry(auto_describe=True)
CARD_SECONDS: Final = Histogram(
    "accountbot_card_seconds",
    "Time to answer one card query (lookup and the status from every connector), in seconds",
    buckets=(0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0),
    registry=LATENCIES,
)
WEBHOOK_TO_SLACK_SECONDS: Final = Histogram(
    "accountbot_webhook_to_slack_seconds",
    "From an alert's event being recorded (its webhook or poll handled) to Slack accepting the message, "
    "burst window included, in seconds",
    buckets=(1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0),
    registry=LATENCIES,
)


class _Now(Collector):
    """The outbox and the upstream counters as they are at this scrape."""

    def __init__(self, outbox: dict[str, Any], runners: dict[str, Any]) -> None:
        self.outbox = outbox
        self.runners = runners

    def collect(self) -> Iterator[Metric]:
        rows = GaugeMetricFamily(
            "accountbot_outbox_rows", "Alert deliveries in the outbox by status", labels=["status"]
        )
        for status in ("pending", "sending", "failed"):
            rows.add_metric([status], float(self.outbox.get(status, 0)))
        yield rows
        oldest = self.outbox.get("oldest_pending_seconds")
        yield GaugeMetricFamily(
            "accountbot_outbox_oldest_pending_seconds",
            "Age of the oldest pending alert delivery, in seconds (0 when none is pending)",
            value=float(oldest or 0.0),
        )
        calls = CounterMetricFamily(
            "accountbot_upstream_calls", "Requests made to each vendor's API (attempts)", labels=["vendor"]
        )
        limited = CounterMetricFamily(
            "accountbot_upstream_rate_limited", "429 answers from each vendor's API", labels=["vendor"]
        )
        for vendor, runner in self.runners.items():
            calls.add_metric([vendor], float(runner.calls))
            limited.add_metric([vendor], float(runner.rate_limited))
        yield calls
        yield limited


async def exposition(store: Any, connectors: dict[str, Any]) -> bytes:
    """The text a Prometheus scrape reads: the latencies, then the outbox and upstream counters."""
    outbox = await store.outbox_stats()
    # the SDK connectors count in their runner; NetSuite's own HTTP client counts for itself
    runners = {name: getattr(c, "runner", None) or c.client for name, c in connectors.items()}
    now = CollectorRegistry(auto_describe=False)
    now.register(_Now(outbox, runners))
    return generate_latest(LATENCIES) + generate_latest(now)
