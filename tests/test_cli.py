"""The `accountbot` command as a newcomer runs it."""

from __future__ import annotations

import json
from importlib.metadata import version

import pytest

from bot.cli import main


def test_demo_prints_a_card_and_how_to_go_further(capsys: pytest.CaptureFixture[str]) -> None:
    """`accountbot demo`: a readable card from the sandbox, the demo book, next steps."""
    assert main(["demo", "--no-color"]) == 0
    out = capsys.readouterr().out
    for text in (
        "Globex – Customer Data Platform",
        "Phase: Build",
        "3 days overdue",
        "$22,500.00",
        "Acme Robotics – Warehouse Pilot",
        "accountbot card",
        "manifest.yml",
    ):
        assert text in out, text


def test_demo_on_netsuite_shows_the_same_money(capsys: pytest.CaptureFixture[str]) -> None:
    """`accountbot demo --accounting netsuite`: the same demo book, its money read from the NetSuite emulator."""
    assert main(["demo", "--no-color", "--accounting", "netsuite"]) == 0
    out = capsys.readouterr().out
    for text in ("NetSuite and Slack on loopback", "Globex – Customer Data Platform", "$22,500.00", "NetSuite · "):
        assert text in out, text
    assert "QuickBooks ·" not in out


def test_card_json_is_the_block_kit_slack_receives(capsys: pytest.CaptureFixture[str]) -> None:
    """`accountbot card ID --sandbox --json`: a message payload with a fallback text and blocks."""
    assert main(["card", "18340012006", "--sandbox", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["text"].startswith("Wayne Foundation – Grants Platform")
    assert payload["blocks"][0]["type"] == "header"
    assert "$12,400.50" in json.dumps(payload, ensure_ascii=False)  # outstanding, to the cent


def test_card_by_url_in_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    """A pasted HubSpot deal URL works as a query."""
    url = "https://app-eu1.hubspot.com/contacts/4471203/record/0-3/18340012012/"
    assert main(["card", url, "--sandbox", "--no-color"]) == 0
    out = capsys.readouterr().out
    assert "Oscorp – Lab Scheduling Renewal" in out and "€31,250.00" in out


def test_sandbox_env_variable_works_like_the_flag(capsys, monkeypatch) -> None:
    """ACCOUNTBOT_SANDBOX=1 is the same as --sandbox."""
    monkeypatch.setenv("ACCOUNTBOT_SANDBOX", "1")
    assert main(["card", "Hooli", "--no-color"]) == 0
    assert "Paid in full" in capsys.readouterr().out


def test_several_matches_and_typos_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """A name matching several deals lists them; a typo gets suggestions; exit 1, nothing on stdout."""
    assert main(["card", "Acme", "--sandbox"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "18340012001" in captured.err and "18340012014" in captured.err
    assert main(["card", "Stark Manufactring", "--sandbox"]) == 1
    assert "Stark Manufacturing – MES Integration" in capsys.readouterr().err


def test_missing_configuration_names_every_variable(capsys: pytest.CaptureFixture[str]) -> None:
    """Without credentials and without the sandbox: exit 2, every missing variable named."""
    assert main(["card", "Acme"]) == 2
    err = capsys.readouterr().err
    for name in ("HUBSPOT_ACCESS_TOKEN", "ASANA_WORKSPACE_GID", "QBO_REFRESH_TOKEN", "--sandbox"):
        assert name in err


def test_malformed_configuration_is_a_clear_error(capsys, monkeypatch) -> None:
    """A malformed variable stops the command with its name and what was expected."""
    monkeypatch.setenv("PORT", "eighty")
    assert main(["card", "Acme", "--sandbox"]) == 2
    assert "PORT='eighty': expected a whole number" in capsys.readouterr().err


def test_the_demo_label_of_initech_is_what_a_fresh_sandbox_shows(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo book says what the card shows on a fresh sandbox: milestones reassigned to the new PM (issue 13)."""
    assert main(["demo", "--no-color"]) == 0
    label = next(line for line in capsys.readouterr().out.splitlines() if "18340012003" in line)
    assert label.split("Initech – TPS Automation")[1].strip() == "milestones reassigned to the new PM"
    assert main(["card", "Initech", "--sandbox", "--no-color"]) == 0
    card = capsys.readouterr().out
    assert "Prototype review reassigned to Lena Fischer" in card and "PM: Lena Fischer" in card


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`accountbot --version` names the installed version."""
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"accountbot {version('accountbot')}"
