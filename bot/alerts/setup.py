"""Build the alert pipeline for a process (serve runs it in-process; worker runs only it)."""
from __future__ import annotations

import os

from slack_sdk.web.async_client import AsyncWebClient

from blocks.alerts import alert_message
from bot.alerts.engine import AlertEngine
from bot.alerts.sender import OutboxSender
from bot.alerts.worker import AlertWorker, process_name
from bot.settings import Settings
from bot.wiring import Services


def sender_client(settings: Settings) -> AsyncWebClient:
    """No automatic retries: the sender decides (Retry-After, backoff, reconciliation)."""
    return AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10,
                          retry_handlers=[])


def build_worker(settings: Settings, services: Services, directory_client: AsyncWebClient | None = None,
                 gate: object = None, **worker_kwargs: object) -> AlertWorker:
    """The engine, the sender and the loop, on this process's services."""
    client = sender_client(settings)
    engine = AlertEngine(services.store, settings, services.hubspot, services.quickbooks, status=services.status)
    holder = str(worker_kwargs.pop("holder", None) or process_name())
    sender = OutboxSender(services.store, client, alert_message, name=holder)
    from bot.health import Thresholds
    from bot.snapshots import Snapshotter

    from bot.access import Gatekeeper
    from bot.book import BookService
    from bot.digest import DigestService

    snapshotter = Snapshotter(services.store, services.status, thresholds=Thresholds.from_env(os.environ))
    snapshotter.on_upsell = engine.upsell
    engine.snapshotter = snapshotter
    gate = gate or Gatekeeper(directory_client or client)  # serve shares the Slack app's (cached) one
    book = BookService(services.store, services.hubspot, gate, snapshotter)
    return AlertWorker(services.store, engine, sender, snapshotter=snapshotter, book=book,
                       digest=DigestService(services.store, book, gate), poll_interval=settings.poll_interval_seconds,
                       holder=holder, **worker_kwargs)  # type: ignore[arg-type]
