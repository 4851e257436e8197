"""Build the connectors and the status service from settings; start the sandbox when asked."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from bot.settings import Settings
from bot.status import StatusService, Timing
from bot.store import Store

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
    from connectors.asana import AsanaConnector
    from connectors.hubspot import HubSpotConnector
    from connectors.quickbooks import QuickBooksConnector

    settings.require(systems)
    store = await Store.open(settings.database_url)
    hubspot = HubSpotConnector.from_settings(settings)
    asana = AsanaConnector.from_settings(settings, store)
    quickbooks = QuickBooksConnector.from_settings(settings, store)
    status = StatusService(hubspot, asana, quickbooks, timing=timing)
    return Services(settings, store, hubspot, asana, quickbooks, status)


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
