"""The composition root: the one place that builds anything. Settings in, a frozen set of services out.

`open_services(settings)` opens the store, builds the connectors, the status service, the
Slack-side services and the alert worker, each given what it needs once; handlers, the
worker and the CLI all take their services from here. `Services.close()` closes it all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from blocks.alerts import alert_message
from bot.access import Gatekeeper
from bot.alerts.directory import SlackDirectory
from bot.alerts.engine import AlertEngine
from bot.alerts.recorder import EventRecorder
from bot.alerts.sender import OutboxSender
from bot.alerts.upsells import Upsells
from bot.alerts.worker import AlertWorker, process_name
from bot.asana_hooks import AsanaHookSecrets
from bot.book import BookService
from bot.cards import CardService
from bot.communications import CommunicationLog
from bot.digest import DigestService
from bot.doctor import Doctor
from bot.home import HomeService
from bot.indexes import IndexBuilds
from bot.links import Links
from bot.projects import ProjectOnClose
from bot.replicas import Replicas, SharedCache
from bot.settings import Settings
from bot.snapshots import Snapshotter
from bot.status import StatusService, Timing
from bot.store import Store
from bot.subscriptions import SubscriptionService
from bot.unfurls import UnfurlService
from bot.unlinked import UnlinkedService
from bot.writeback import WriteBack
from connectors.asana import AsanaConnector
from connectors.errors import ConfigError
from connectors.hubspot import HubSpotConnector
from connectors.netsuite import NetSuiteClient, NetSuiteConnector
from connectors.ports import Accounting
from connectors.quickbooks import QuickBooksConnector

RATE_MARGIN: Final = 0.5  # seconds added to a vendor's rate window (arrivals there trail our stamps)

SYSTEM_PREFIXES: Final = {
    "slack": ("SLACK_",),
    "hubspot": ("HUBSPOT_",),
    "asana": ("ASANA_",),
    "quickbooks": ("QBO_",),
    "netsuite": ("NETSUITE_",),
}


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    """Everything a process needs, built once; handlers, the worker and the CLI read it, nobody patches it."""

    settings: Settings
    store: Store
    hubspot: HubSpotConnector
    asana: AsanaConnector
    accounting: Accounting  # QuickBooks or NetSuite (ACCOUNTING)
    status: StatusService
    cards: CardService
    gate: Gatekeeper
    subscriptions: SubscriptionService
    book: BookService
    home: HomeService
    doctor: Doctor
    links: Links
    unfurls: UnfurlService
    communications: CommunicationLog
    hooks: AsanaHookSecrets
    writeback: WriteBack
    worker: AlertWorker
    unlinked: UnlinkedService
    indexes: IndexBuilds  # the join indexes' start-up builds (serve and worker start them)
    slack: AsyncWebClient
    slack_http: aiohttp.ClientSession  # the Slack clients' connection pool, closed last
    clock: Callable[[], datetime] = field(default=utcnow)
    replicas: Replicas | None = None  # with REDIS_URL: budgets and status cache shared by every replica

    async def close(self) -> None:
        """Stop background work and close every connection."""
        await self.indexes.close()
        await self.worker.close()
        await self.writeback.close()
        await self.status.close()
        self.hubspot.close()
        self.asana.close()
        await self.accounting.aclose()
        await self.store.close()
        await self.slack_http.close()
        if self.replicas is not None:
            await self.replicas.close()


def slack_client(settings: Settings, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """The Web API client of the Slack surfaces: retries of 429 (Retry-After), 5xx and connection errors.

    Given a `session`, every call reuses its pooled connections (without one, each call opens its own).
    """
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        session=session,
        timeout=10,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def sender_client(settings: Settings, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """The alert sender's client: no automatic retries, the sender decides (Retry-After, backoff, checks)."""
    return AsyncWebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, session=session, timeout=10, retry_handlers=[]
    )


def hubspot_from(settings: Settings, **kwargs: Any) -> HubSpotConnector:
    """The HubSpot connector of these settings."""
    # A window a little longer than HubSpot's 10 s: it counts arrivals, which trail our stamps a little.
    kwargs.setdefault("general_limit", (settings.hubspot_rate_limit, 10.0 + RATE_MARGIN))
    return HubSpotConnector(
        settings.hubspot_access_token or "", settings.hubspot_portal_id, settings.hubspot_base_url, **kwargs
    )


def asana_from(settings: Settings, store: Store, **kwargs: Any) -> AsanaConnector:
    """The Asana connector of these settings."""
    if not settings.asana_access_token or not settings.asana_workspace_gid:
        raise ConfigError("asana", "ASANA_ACCESS_TOKEN and ASANA_WORKSPACE_GID are required")
    kwargs.setdefault("requests_per_minute", settings.asana_rate_limit)
    return AsanaConnector(
        settings.asana_access_token,
        settings.asana_workspace_gid,
        store,
        settings.asana_base_url,
        settings.asana_deal_field,
        **kwargs,
    )


def quickbooks_from(settings: Settings, store: Store, **kwargs: Any) -> QuickBooksConnector:
    """The QuickBooks connector of these settings."""
    missing = settings.missing("quickbooks")
    if missing:
        raise ConfigError("quickbooks", "missing " + ", ".join(missing))
    return QuickBooksConnector(
        settings.qbo_client_id or "",
        settings.qbo_client_secret or "",
        settings.qbo_realm_id or "",
        settings.qbo_refresh_token or "",
        store,
        base_url=settings.qbo_base_url,
        token_url=settings.qbo_token_url,
        deal_field=settings.qbo_deal_field,
        **kwargs,
    )


def netsuite_from(settings: Settings, store: Store, **kwargs: Any) -> NetSuiteConnector:
    """The NetSuite connector of these settings (Token-Based Authentication, NETSUITE_CONCURRENCY)."""
    missing = settings.missing("netsuite")
    if missing:
        raise ConfigError("netsuite", "missing " + ", ".join(missing) + " (ACCOUNTING=netsuite)")
    client_kwargs = {k: kwargs.pop(k) for k in ("policy",) if k in kwargs}
    client = NetSuiteClient(
        settings.netsuite_account_id or "",
        settings.netsuite_consumer_key or "",
        settings.netsuite_consumer_secret or "",
        settings.netsuite_token_id or "",
        settings.netsuite_token_secret or "",
        base_url=settings.netsuite_base_url,
        concurrency=settings.netsuite_concurrency,
        **client_kwargs,
    )
    return NetSuiteConnector(client, deal_field=settings.netsuite_deal_field, store=store, **kwargs)


def accounting_from(settings: Settings, store: Store, **kwargs: Any) -> Accounting:
    """The accounting connector ACCOUNTING names (QuickBooks or NetSuite)."""
    if settings.accounting == "netsuite":
        return netsuite_from(settings, store, **kwargs)
    return quickbooks_from(settings, store, **kwargs)


async def open_services(
    settings: Settings,
    *,
    timing: Timing = Timing(),
    clock: Callable[[], datetime] = utcnow,
    systems: tuple[str, ...] | None = None,
    redis_prefix: str | None = None,
) -> Services:
    """Check the configuration, open the store and build every service (no other I/O)."""
    settings.require(systems or ("hubspot", "asana", settings.accounting))
    store = await Store.open(settings.database_url)
    replicas = replicas_from(settings, prefix=redis_prefix)
    shared: dict[str, Any] = {} if replicas is None else {"budgets": replicas.budgets}
    hubspot = hubspot_from(settings, **shared)
    asana = asana_from(settings, store, **shared)
    # NetSuite has its own concurrency bound (NETSUITE_CONCURRENCY), no rate budget to share
    accounting = accounting_from(settings, store, **({} if settings.accounting == "netsuite" else shared))
    status = StatusService(
        hubspot, asana, accounting, timing=timing, shared=None if replicas is None else SharedCache(replicas)
    )
    links = Links(settings.hubspot_portal_id)
    writeback = WriteBack(store, hubspot, enabled=settings.hubspot_writeback)
    workspace = settings.asana_workspace_gid or ""
    cards = CardService(
        status, hubspot, store, settings.thresholds, links, writeback, projects=lambda: store.asana_index(workspace)
    )
    slack_http = aiohttp.ClientSession()  # one connection pool for every Slack Web API call of the process
    slack = slack_client(settings, slack_http)
    gate = Gatekeeper(slack)
    snapshotter = Snapshotter(
        store,
        status,
        thresholds=settings.thresholds,
        on_upsell=Upsells(store, settings.hubspot_portal_id),
        writeback=writeback,
    )
    book = BookService(store, hubspot, gate, snapshotter)
    worker = build_worker(
        settings, store, hubspot, asana, accounting, status, snapshotter, book, gate, slack_session=slack_http
    )
    unlinked = UnlinkedService(store, hubspot, asana, accounting, status, worker.engine.projects, clock)
    indexes = IndexBuilds(**{"asana": asana, accounting.system: accounting})
    return Services(
        settings=settings,
        store=store,
        hubspot=hubspot,
        asana=asana,
        accounting=accounting,
        status=status,
        cards=cards,
        gate=gate,
        subscriptions=SubscriptionService(store, cards, SlackDirectory(slack)),
        book=book,
        home=HomeService(gate, book, store, clock, accounting.system),
        doctor=Doctor(
            settings,
            store,
            hubspot,
            asana,
            accounting,
            writeback,
            worker.engine.projects,
            unlinked,
            liveness=worker.liveness,
            indexes=indexes,
            replicas=replicas,
        ),
        links=links,
        unfurls=UnfurlService(links, cards, gate, clock),
        communications=CommunicationLog(cards, store, gate),
        hooks=AsanaHookSecrets(store, settings.asana_webhook_secret),
        writeback=writeback,
        worker=worker,
        unlinked=unlinked,
        indexes=indexes,
        slack=slack,
        slack_http=slack_http,
        clock=clock,
        replicas=replicas,
    )


def replicas_from(settings: Settings, *, prefix: str | None = None) -> Replicas | None:
    """The Redis that several replicas share (REDIS_URL), or None: everything stays in-process.

    Keys are per deployment (the HubSpot portal and QuickBooks company), so two bots on one Redis don't mix.
    """
    if not settings.redis_url:
        return None
    company = settings.netsuite_account_id if settings.accounting == "netsuite" else settings.qbo_realm_id
    identity = prefix or f"accountbot:{settings.hubspot_portal_id or '-'}:{company or '-'}"
    return Replicas(settings.redis_url, prefix=identity, secret=settings.slack_signing_secret or "")


@dataclass(frozen=True)
class HubSpotAdmin:
    """What `accountbot setup hubspot` needs, without the other systems configured."""

    store: Store
    hubspot: HubSpotConnector

    async def close(self) -> None:
        self.hubspot.close()
        await self.store.close()


async def open_hubspot_admin(settings: Settings) -> HubSpotAdmin:
    """The store and the HubSpot connector only."""
    settings.require(("hubspot",))
    return HubSpotAdmin(await Store.open(settings.database_url), hubspot_from(settings))


def build_worker(
    settings: Settings,
    store: Store,
    hubspot: HubSpotConnector,
    asana: AsanaConnector,
    accounting: Accounting,
    status: StatusService,
    snapshotter: Snapshotter,
    book: BookService,
    gate: Gatekeeper,
    **worker_kwargs: Any,
) -> AlertWorker:
    """The alert pipeline of one process: engine, exactly-once sender, digest, and the loop that leads them."""
    holder = str(worker_kwargs.pop("holder", None) or process_name())
    session: aiohttp.ClientSession | None = worker_kwargs.pop("slack_session", None)
    recorder = EventRecorder(store, settings, snapshotter=snapshotter)
    projects = ProjectOnClose(settings, store, hubspot, asana, status, recorder, holder)
    engine = AlertEngine(store, hubspot, accounting, recorder=recorder, status=status, projects=projects)
    sender = OutboxSender(store, sender_client(settings, session), alert_message, name=holder)
    return AlertWorker(
        store,
        engine,
        sender,
        snapshotter=snapshotter,
        book=book,
        digest=DigestService(store, book, gate),
        poll_interval=settings.poll_interval_seconds,
        holder=holder,
        **worker_kwargs,
    )


def another_worker(services: Services, settings: Settings | None = None, **worker_kwargs: Any) -> AlertWorker:
    """A second worker on the same services (tests and the benchmark stand one up beside the first)."""
    snapshotter = Snapshotter(
        services.store,
        services.status,
        thresholds=services.settings.thresholds,
        on_upsell=Upsells(services.store, services.settings.hubspot_portal_id),
        writeback=services.writeback,
    )
    return build_worker(
        settings or services.settings,
        services.store,
        services.hubspot,
        services.asana,
        services.accounting,
        services.status,
        snapshotter,
        services.book,
        services.gate,
        **worker_kwargs,
    )


def settings_on_sandbox(settings: Settings, sandbox_env_vars: dict[str, str], *, database_dir: Path) -> Settings:
    """`settings` (the environment and .env as read) with the systems lacking credentials on the sandbox.

    Real where configured, the sandbox for the rest: only the variables of the missing systems
    are taken from the sandbox. The store is always the sandbox's own throwaway database in
    `database_dir` (the sandbox's tokens die with it), never an exported DATABASE_URL.
    """
    missing = frozenset(s for s in SYSTEM_PREFIXES if not settings.configured(s))
    chosen = {
        key: value
        for key, value in sandbox_env_vars.items()
        if any(key.startswith(SYSTEM_PREFIXES[system]) for system in missing)
    }
    parsed = Settings.from_env(chosen, dotenv=None)
    overrides = {f.name: getattr(parsed, f.name) for f in fields(Settings) if f.name.upper() in chosen}
    if "QBO_BASE_URL" not in chosen and "quickbooks" in missing:
        overrides["qbo_base_url"] = parsed.qbo_base_url
    return replace(
        settings,
        **overrides,
        database_url=f"sqlite:///{database_dir / 'sandbox.db'}",
        sandbox=True,
        sandbox_systems=missing,
    )
