"""Build the connectors and the status service from settings; start the sandbox when asked."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from bot.settings import Settings
from bot.status import StatusService, Timing
from bot.store import Store
from connectors.errors import ConfigError
from connectors.ports import AsanaStore, QuickBooksStore

if TYPE_CHECKING:
    from connectors.asana import AsanaConnector
    from connectors.hubspot import HubSpotConnector
    from connectors.quickbooks import QuickBooksConnector

SYSTEM_PREFIXES: Final = {
    "slack": ("SLACK_",),
    "hubspot": ("HUBSPOT_",),
    "asana": ("ASANA_",),
    "quickbooks": ("QBO_",),
}


@dataclass
class Services:
    """Everything a process needs to answer for an account."""

    settings: Settings
    store: Store
    hubspot: object
    asana: object
    quickbooks: object
    status: StatusService

    async def close(self) -> None:
        await self.status.close()
        for connector in (self.hubspot, self.asana, self.quickbooks):
            close = getattr(connector, "close", None)
            if close is not None:
                result = close()
                if hasattr(result, "__await__"):
                    await result
        await self.store.close()


async def open_services(settings: Settings, *, timing: Timing = Timing(),
                        systems: tuple[str, ...] = ("hubspot", "asana", "quickbooks")) -> Services:
    """Check the configuration, open the store and build the connectors."""
    settings.require(systems)
    store = await Store.open(settings.database_url)
    hubspot = hubspot_from(settings)
    asana = asana_from(settings, store)
    quickbooks = quickbooks_from(settings, store)
    status = StatusService(hubspot, asana, quickbooks, timing=timing)
    return Services(settings, store, hubspot, asana, quickbooks, status)


def hubspot_from(settings: Settings, **kwargs: Any) -> HubSpotConnector:
    """The HubSpot connector of `settings` (token, portal, base URL); `kwargs` go to its constructor."""
    from connectors.hubspot import HubSpotConnector

    return HubSpotConnector(settings.hubspot_access_token or "", settings.hubspot_portal_id,
                            settings.hubspot_base_url, **kwargs)


def asana_from(settings: Settings, store: AsanaStore, **kwargs: Any) -> AsanaConnector:
    """The Asana connector of `settings` (token, workspace, base URL, deal field); `kwargs` go to its constructor."""
    from connectors.asana import AsanaConnector

    if not settings.asana_access_token or not settings.asana_workspace_gid:
        raise ConfigError("asana", "ASANA_ACCESS_TOKEN and ASANA_WORKSPACE_GID are required")
    return AsanaConnector(settings.asana_access_token, settings.asana_workspace_gid, store,
                          settings.asana_base_url, settings.asana_deal_field, **kwargs)


def quickbooks_from(settings: Settings, store: QuickBooksStore, **kwargs: Any) -> QuickBooksConnector:
    """The QuickBooks connector of `settings` (QBO_* variables); `kwargs` go to its constructor."""
    from connectors.quickbooks import QuickBooksConnector

    missing = settings.missing("quickbooks")
    if missing:
        raise ConfigError("quickbooks", "missing " + ", ".join(missing))
    return QuickBooksConnector(settings.qbo_client_id or "", settings.qbo_client_secret or "",
                               settings.qbo_realm_id or "", settings.qbo_refresh_token or "", store,
                               base_url=settings.qbo_base_url, token_url=settings.qbo_token_url,
                               deal_field=settings.qbo_deal_field, **kwargs)


def sandbox_env(settings: Settings, sandbox_env_vars: dict[str, str], *, database_dir: Path | None = None) -> dict[str, str]:
    """The environment to use: real credentials where set, the sandbox for the systems missing them.

    A sandbox run gets its own throwaway database, since the sandbox's tokens die with it.
    """
    env = dict(os.environ)
    for system, prefixes in SYSTEM_PREFIXES.items():
        if settings.configured(system):
            continue
        for key, value in sandbox_env_vars.items():
            if key.startswith(prefixes):
                env[key] = value
    env.setdefault("OAUTHLIB_INSECURE_TRANSPORT", sandbox_env_vars.get("OAUTHLIB_INSECURE_TRANSPORT", "1"))
    if "DATABASE_URL" not in os.environ:
        folder = database_dir or Path(tempfile.mkdtemp(prefix="accountbot-sandbox-"))
        env["DATABASE_URL"] = f"sqlite:///{folder / 'sandbox.db'}"
    return env


def settings_on_sandbox(settings: Settings, sandbox_env_vars: dict[str, str], **kwargs: object) -> Settings:
    """Settings where every system without credentials points at the running sandbox."""
    missing = frozenset(s for s in SYSTEM_PREFIXES if not settings.configured(s))
    env = sandbox_env(settings, sandbox_env_vars, **kwargs)  # type: ignore[arg-type]
    fresh = Settings.from_env(env, dotenv=None)
    return replace(fresh, sandbox=True, sandbox_systems=missing)
