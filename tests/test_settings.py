"""Settings from the environment: names exactly as DESIGN.md, clear errors, .env support."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError


def test_defaults_match_the_contract() -> None:
    """Unset variables take the documented defaults."""
    s = Settings.from_env({}, dotenv=None)
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.hubspot_base_url == "https://api.hubapi.com"
    assert s.asana_base_url == "https://app.asana.com/api/1.0"
    assert s.asana_deal_field == "HubSpot Deal ID"
    assert s.qbo_deal_field == "Deal ID"
    assert s.qbo_base_url == "https://quickbooks.api.intuit.com/v3"
    assert s.qbo_token_url == "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    assert s.database_url == "sqlite:///accountbot.db"
    assert (s.host, s.port, s.poll_interval_seconds, s.alert_owner_dm) == ("0.0.0.0", 3000, 60.0, True)


def test_qbo_environment_picks_the_base_url() -> None:
    """QBO_ENVIRONMENT=sandbox means Intuit's sandbox host; an explicit QBO_BASE_URL wins."""
    assert "sandbox-quickbooks" in Settings.from_env({"QBO_ENVIRONMENT": "sandbox"}, dotenv=None).qbo_base_url
    s = Settings.from_env(
        {"QBO_ENVIRONMENT": "sandbox", "QBO_BASE_URL": "http://127.0.0.1:9/v3", "QBO_REALM_ID": "42"}, dotenv=None
    )
    assert s.qbo_company_url == "http://127.0.0.1:9/v3/company/42"


def test_missing_credentials_are_all_named() -> None:
    """The error names every missing variable of every system, and how to use the sandbox."""
    s = Settings.from_env({"HUBSPOT_ACCESS_TOKEN": "x"}, dotenv=None)
    with pytest.raises(SettingsError) as info:
        s.require(("hubspot", "asana", "quickbooks"))
    text = str(info.value)
    assert "HUBSPOT_PORTAL_ID" in text and "HUBSPOT_ACCESS_TOKEN" not in text
    for name in (
        "ASANA_ACCESS_TOKEN",
        "ASANA_WORKSPACE_GID",
        "QBO_CLIENT_ID",
        "QBO_CLIENT_SECRET",
        "QBO_REALM_ID",
        "QBO_REFRESH_TOKEN",
        "--sandbox",
    ):
        assert name in text


@pytest.mark.parametrize(
    "env, fragment",
    [
        ({"PORT": "abc"}, "PORT='abc': expected a whole number"),
        ({"PORT": "70000"}, "between 1 and 65535"),
        ({"ALERT_OWNER_DM": "maybe"}, "expected true or false"),
        ({"POLL_INTERVAL_SECONDS": "-5"}, "must be positive"),
        ({"HUBSPOT_BASE_URL": "api.hubapi.com"}, "expected a URL"),
        ({"QBO_ENVIRONMENT": "staging"}, "'production' or 'sandbox'"),
        ({"CARD_WAIT_SECONDS": "5"}, "CARD_WAIT_SECONDS='5': at most 2.5"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL='localhost:6379': expected a URL starting with redis://"),
        ({"ACCOUNTING": "xero"}, "ACCOUNTING must be 'quickbooks' or 'netsuite'"),
        ({"NETSUITE_CONCURRENCY": "0"}, "NETSUITE_CONCURRENCY='0': expected a number of requests"),
        ({"NETSUITE_CONCURRENCY": "five"}, "NETSUITE_CONCURRENCY='five': expected a whole number"),
    ],
)
def test_malformed_values_get_a_clear_message(env: dict, fragment: str) -> None:
    """A malformed value is refused with the variable's name and what was expected."""
    with pytest.raises(SettingsError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env, dotenv=None)


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    """./.env fills in; a real environment variable overrides it."""
    (tmp_path / ".env").write_text('# comment\nexport HUBSPOT_PORTAL_ID="123"\nPORT=8080\nASANA_DEAL_FIELD=Deal\n')
    s = Settings.from_env({"PORT": "9090"}, dotenv=tmp_path / ".env")
    assert (s.hubspot_portal_id, s.port, s.asana_deal_field) == ("123", 9090, "Deal")


def test_sandbox_systems_are_not_required() -> None:
    """A system on the sandbox needs no credentials."""
    s = Settings.from_env({}, dotenv=None)
    from dataclasses import replace

    replace(s, sandbox_systems=frozenset({"hubspot", "asana", "quickbooks"})).require(
        ("hubspot", "asana", "quickbooks")
    )


def test_accounting_netsuite_requires_its_variables() -> None:
    """ACCOUNTING=netsuite needs the five TBA variables (named), not QuickBooks'; defaults as DESIGN.md."""
    s = Settings.from_env({"ACCOUNTING": "NetSuite", "NETSUITE_ACCOUNT_ID": "1234567_SB1"}, dotenv=None)
    assert s.accounting == "netsuite" and s.systems == ("slack", "hubspot", "asana", "netsuite")
    assert (s.netsuite_deal_field, s.netsuite_concurrency, s.netsuite_base_url) == ("custbody_hubspot_deal_id", 5, None)
    with pytest.raises(SettingsError) as info:
        s.require()
    text = str(info.value)
    for name in ("NETSUITE_CONSUMER_KEY", "NETSUITE_CONSUMER_SECRET", "NETSUITE_TOKEN_ID", "NETSUITE_TOKEN_SECRET"):
        assert name in text
    assert "NETSUITE_ACCOUNT_ID" not in text and "QBO_" not in text
    assert Settings.from_env({}, dotenv=None).systems[-1] == "quickbooks"
