"""One typed settings object, built from the environment (and ./.env) once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final

from bot.health import Thresholds

SYSTEMS: Final = ("slack", "hubspot", "asana", "quickbooks")
ACCOUNTING_SYSTEMS: Final = ("quickbooks", "netsuite")  # ACCOUNTING: where the money comes from

QBO_BASE_URLS: Final = {
    "production": "https://quickbooks.api.intuit.com/v3",
    "sandbox": "https://sandbox-quickbooks.api.intuit.com/v3",
}

# What each system needs before it can run against a real service.
REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "slack": ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"),
    "hubspot": ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_PORTAL_ID"),
    "asana": ("ASANA_ACCESS_TOKEN", "ASANA_WORKSPACE_GID"),
    "quickbooks": ("QBO_CLIENT_ID", "QBO_CLIENT_SECRET", "QBO_REALM_ID", "QBO_REFRESH_TOKEN"),
    "netsuite": (
        "NETSUITE_ACCOUNT_ID",
        "NETSUITE_CONSUMER_KEY",
        "NETSUITE_CONSUMER_SECRET",
        "NETSUITE_TOKEN_ID",
        "NETSUITE_TOKEN_SECRET",
    ),
}

# Platforms that run each process of a Procfile on a machine of its own (a SQLite file is not shared there).
PLATFORM_VARIABLES: Final = {
    "DYNO": "Heroku",
    "RENDER_INSTANCE_ID": "Render",
    "FLY_ALLOC_ID": "Fly.io",
    "RAILWAY_REPLICA_ID": "Railway",
    "K_SERVICE": "Cloud Run",
}

MAX_CARD_WAIT: Final = 2.5  # seconds; Slack wants the ack within 3 s
TRUE_WORDS: Final = {"1", "true", "yes", "on"}
FALSE_WORDS: Final = {"0", "false", "no", "off", ""}


class SettingsError(Exception):
    """The configuration is incomplete or malformed; the message says what to fix."""


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a .env file: KEY=VALUE lines, # comments, optional quotes, optional `export`."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


@dataclass(frozen=True)
class Settings:
    """Every knob of accountbot; names match the environment variables of DESIGN.md."""

    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = "https://slack.com/api/"

    hubspot_access_token: str | None = field(default=None, repr=False)
    hubspot_portal_id: str | None = None
    hubspot_base_url: str = "https://api.hubapi.com"
    hubspot_app_secret: str | None = field(default=None, repr=False)

    asana_access_token: str | None = field(default=None, repr=False)
    asana_workspace_gid: str | None = None
    asana_base_url: str = "https://app.asana.com/api/1.0"
    asana_deal_field: str = "HubSpot Deal ID"
    asana_webhook_secret: str | None = field(default=None, repr=False)
    asana_project_template_gid: str | None = None  # a won deal without a project gets one from this template
    asana_team_gid: str | None = None  # ... in this team

    qbo_client_id: str | None = None
    qbo_client_secret: str | None = field(default=None, repr=False)
    qbo_realm_id: str | None = None
    qbo_refresh_token: str | None = field(default=None, repr=False)
    qbo_environment: str = "production"
    qbo_base_url: str = ""  # derived from qbo_environment when empty
    qbo_token_url: str = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    qbo_webhook_verifier: str | None = field(default=None, repr=False)
    qbo_deal_field: str = "Deal ID"

    accounting: str = "quickbooks"  # or "netsuite"
    netsuite_account_id: str | None = None
    netsuite_consumer_key: str | None = field(default=None, repr=False)
    netsuite_consumer_secret: str | None = field(default=None, repr=False)
    netsuite_token_id: str | None = field(default=None, repr=False)
    netsuite_token_secret: str | None = field(default=None, repr=False)
    netsuite_base_url: str | None = None  # derived from the account id when empty
    netsuite_deal_field: str = "custbody_hubspot_deal_id"
    netsuite_concurrency: int = 5  # requests in flight the bot allows itself (the account's limit is shared)

    database_url: str = "sqlite:///accountbot.db"
    host: str = "0.0.0.0"
    public_url: str | None = None
    poll_interval_seconds: float = 60.0
    alert_owner_dm: bool = True
    port: int = 3000
    hubspot_writeback: bool = True  # write the headline status onto the deal
    hubspot_rate_limit: int = 100  # requests per 10 s the bot allows itself (Starter 100, Professional 190)
    asana_rate_limit: int = 1500  # requests per minute the bot allows itself (paid 1500, free 150)
    card_wait_seconds: float = 2.0  # how long /account waits to answer in the ack (Slack allows 3 s)
    redis_url: str | None = field(default=None, repr=False)  # shared rate budgets and status cache across replicas

    sandbox: bool = False  # ACCOUNTBOT_SANDBOX: missing systems run on the built-in sandbox
    sandbox_systems: frozenset[str] = field(default_factory=frozenset)
    thresholds: Thresholds = field(default_factory=Thresholds)  # HEALTH_* (bot.health)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        dotenv: Path | None = Path(".env"),
        **overrides: object,
    ) -> Settings:
        """Build settings from `env` (default os.environ) over ./.env; `overrides` win."""
        merged: dict[str, str] = {}
        if dotenv is not None:
            merged.update(read_dotenv(dotenv))
        merged.update(os.environ if env is None else env)
        values: dict[str, Any] = {}  # each coerced to its field's type
        errors: list[str] = []
        for f in fields(cls):
            if f.name in ("sandbox_systems", "thresholds"):
                continue
            name = "ACCOUNTBOT_SANDBOX" if f.name == "sandbox" else f.name.upper()
            raw = merged.get(name)
            if raw is None:
                continue
            raw = raw.strip()
            try:
                values[f.name] = _coerce(f.name, raw, f.type)
            except ValueError as exc:
                errors.append(f"{name}={raw!r}: {exc}")
        try:
            values["thresholds"] = Thresholds.from_env(merged)
        except ValueError as exc:
            errors.append(str(exc))
        if len(errors) == 1:
            raise SettingsError(f"invalid configuration: {errors[0]}")
        if errors:
            raise SettingsError("Invalid configuration:\n  " + "\n  ".join(errors))
        values.update(overrides)
        settings = cls(**values)
        if settings.qbo_environment not in QBO_BASE_URLS:
            raise SettingsError(f"QBO_ENVIRONMENT must be 'production' or 'sandbox', not {settings.qbo_environment!r}")
        accounting = settings.accounting.strip().lower()
        if accounting not in ACCOUNTING_SYSTEMS:
            raise SettingsError(f"ACCOUNTING must be 'quickbooks' or 'netsuite', not {settings.accounting!r}")
        settings = replace(settings, accounting=accounting)
        if not settings.qbo_base_url:
            settings = replace(settings, qbo_base_url=QBO_BASE_URLS[settings.qbo_environment])
        return settings

    def missing(self, system: str) -> list[str]:
        """Environment variables that `system` still needs to reach the real service."""
        return [name for name in REQUIRED[system] if not getattr(self, name.lower())]

    def configured(self, system: str) -> bool:
        """True when `system` has every credential it needs."""
        return not self.missing(system)

    @property
    def systems(self) -> tuple[str, ...]:
        """The systems this configuration runs on: Slack, HubSpot, Asana and its ACCOUNTING."""
        return ("slack", "hubspot", "asana", self.accounting)

    def require(self, systems: tuple[str, ...] | None = None) -> None:
        """Raise SettingsError naming every missing variable of the systems not on the sandbox."""
        if systems is None:
            systems = self.systems
        problems = []
        for system in systems:
            if system in self.sandbox_systems:
                continue
            missing = self.missing(system)
            if missing:
                problems.append(f"{system}: {', '.join(missing)}")
        if problems:
            raise SettingsError(
                "Missing configuration (set these environment variables, or put them in .env; "
                "or run with --sandbox / ACCOUNTBOT_SANDBOX=1 to try the built-in sandbox):\n  " + "\n  ".join(problems)
            )

    def require_shared_store(self, command: str, env: Mapping[str, str] | None = None) -> None:
        """Refuse SQLite on a platform that runs `serve` and `worker` on separate machines.

        Each would have its own file, so each would hold its own lease: alerts would arrive
        twice and the rotating QuickBooks refresh token would be lost to one of them.
        """
        if self.sandbox or not self.database_url.startswith("sqlite"):
            return
        env = os.environ if env is None else env
        platform = next((name for var, name in PLATFORM_VARIABLES.items() if env.get(var)), None)
        if platform is not None:
            raise SettingsError(
                f"`accountbot {command}` on {platform} needs PostgreSQL: its processes run on separate machines, "
                f"and on SQLite ({self.database_url}) each would have its own database, poll on its own and send "
                "every alert twice. Set DATABASE_URL=postgresql://... (e.g. add Heroku Postgres)"
            )

    @property
    def qbo_company_url(self) -> str:
        """`{QBO_BASE_URL}/company/{realm}`: every QuickBooks request goes under it."""
        return f"{self.qbo_base_url.rstrip('/')}/company/{self.qbo_realm_id}"


def _coerce(name: str, raw: str, annotation: object) -> object:
    text = str(annotation)
    if "bool" in text:
        low = raw.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        raise ValueError("expected true or false")
    if text.startswith("int"):
        try:
            value = int(raw)
        except ValueError:
            raise ValueError("expected a whole number") from None
        if name == "port" and not 0 < value < 65536:
            raise ValueError("expected a port between 1 and 65535")
        if name.endswith(("_rate_limit", "_concurrency")) and value < 1:
            raise ValueError("expected a number of requests, 1 or more")
        return value
    if text.startswith("float"):
        try:
            seconds = float(raw)
        except ValueError:
            raise ValueError("expected a number of seconds") from None
        if seconds <= 0:
            raise ValueError("must be positive")
        if name == "card_wait_seconds" and seconds > MAX_CARD_WAIT:
            raise ValueError(f"at most {MAX_CARD_WAIT:g} (Slack drops an answer later than 3 s)")
        return seconds
    if name == "database_url":
        return _database_url(raw)
    if name == "redis_url" and raw and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("expected a URL starting with redis://, rediss:// or unix://")
    if name.endswith("_url") and name != "redis_url" and raw and not raw.startswith(("http://", "https://")):
        raise ValueError("expected a URL starting with http:// or https://")
    return raw or None if "None" in text else raw


DATABASE_URL_HELP: Final = (
    "expected sqlite:///accountbot.db (a file here), sqlite:////absolute/path.db, "
    "or postgresql://user:password@host:5432/database"
)


def _database_url(raw: str) -> str:
    """A DATABASE_URL the store can open: SQLite with a file path, or PostgreSQL with a host."""
    scheme, sep, rest = raw.partition("://")
    base = scheme.split("+", 1)[0].lower()
    if not sep or base not in ("sqlite", "postgresql", "postgres"):
        raise ValueError(DATABASE_URL_HELP)
    if base == "sqlite" and (not rest.startswith("/") or rest == "/"):
        raise ValueError(DATABASE_URL_HELP)
    if base != "sqlite" and not rest.split("/", 1)[0].rsplit("@", 1)[-1]:
        raise ValueError("the PostgreSQL URL names no host; " + DATABASE_URL_HELP)
    return raw
