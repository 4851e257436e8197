"""A newcomer's first hour (issue 13): the commands the README, the demo and the sandbox print, run as printed."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
from pathlib import Path

import pytest

from sandbox.server import Sandbox
from tests.newcomer import exports, free_port, free_port_range, read_until, run, running


def test_worker_honours_sandbox(tmp_path: Path) -> None:
    """`accountbot worker --sandbox` runs on the sandbox and logs taking the lease at INFO (item 1, 9)."""
    with running("worker", "--sandbox", cwd=tmp_path) as worker:
        assert worker.stderr is not None
        lines = read_until(worker.stderr, r"took the alert lease")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    assert any(" INFO " in line for line in lines), lines
    assert not any("Missing configuration" in line for line in lines)


async def test_dotenv_credentials_are_kept_beside_the_sandbox(tmp_path: Path) -> None:
    """HubSpot credentials in .env are used, the sandbox serves the rest (item 2)."""
    async with Sandbox() as real:  # stands in for the admin's own HubSpot
        hub = real.hubspot.env()
        (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in hub.items() if k.startswith("HUBSPOT_")))
        result = await asyncio.to_thread(run, "card", "Globex", "--sandbox", "--json", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["text"].startswith("Globex")
        assert real.hubspot.count("/crm/") > 0  # the card's deal came from the .env's HubSpot


def test_sandbox_never_writes_into_the_exported_database(tmp_path: Path) -> None:
    """An exported DATABASE_URL is left alone by --sandbox, and no temp folder stays behind (item 3)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    production = tmp_path / "production.db"
    env = {"DATABASE_URL": f"sqlite:///{production}", "TMPDIR": str(tmp)}
    for args in (("card", "Globex", "--sandbox"), ("demo",)):
        result = run(*args, "--no-color", cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        assert not production.exists()
        assert list(tmp.iterdir()) == [], "the sandbox left its temp folder"


CONFIGURED = dict.fromkeys(
    (
        "SLACK_BOT_TOKEN SLACK_SIGNING_SECRET HUBSPOT_ACCESS_TOKEN HUBSPOT_PORTAL_ID ASANA_ACCESS_TOKEN "
        "ASANA_WORKSPACE_GID QBO_CLIENT_ID QBO_CLIENT_SECRET QBO_REALM_ID QBO_REFRESH_TOKEN"
    ).split(),
    "1",
)


def _missing_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL not set")
    return url.rsplit("/", 1)[0] + "/no_such_database_13"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("garbage", "DATABASE_URL='garbage': expected sqlite:///"),
        ("http://x", "DATABASE_URL='http://x': expected sqlite:///"),
        ("postgresql://postgres@127.0.0.1:1/test", "cannot reach PostgreSQL at 127.0.0.1:1 (connection refused)"),
        ("sqlite:////nonexistent-13/x.db", "the folder '/nonexistent-13' does not exist; create it"),
        (None, "has no database 'no_such_database_13': create it"),
    ],
    ids=["garbage", "http", "unreachable", "unwritable-sqlite", "missing-database"],
)
@pytest.mark.parametrize("command", ["migrate", "worker"])
def test_a_bad_database_is_one_clear_line(tmp_path: Path, url: str | None, says: str, command: str) -> None:
    """Each bad DATABASE_URL: one line on stderr saying what is wrong and what to do, exit 2 (item 4)."""
    env = {"DATABASE_URL": url or _missing_database_url()}
    if command == "worker":  # every system configured: the database is the first thing it opens
        env.update(CONFIGURED)
    result = run(command, cwd=tmp_path, env=env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_the_demo_prints_works_as_printed(tmp_path: Path) -> None:
    """`accountbot demo` then each `accountbot card ...` it suggests, pasted as is (item 5)."""
    demo = run("demo", "--no-color", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    suggested = re.findall(r"^\s+(accountbot card .+?)\s{2,}", demo.stdout, flags=re.M)
    assert len(suggested) >= 2, demo.stdout
    for line in suggested:
        result = run(*shlex.split(line)[1:], cwd=tmp_path)
        assert result.returncode == 0, (line, result.stderr)
        assert result.stdout.strip(), line
        if "--json" in line:
            assert json.loads(result.stdout)["blocks"]


def test_card_json_of_several_matches_is_the_picker_and_its_advice_keeps_the_flags(tmp_path: Path) -> None:
    """`card Acme --sandbox --json`: Slack's picker on stdout; the advice on stderr works when pasted (item 5)."""
    result = run("card", "Acme", "--sandbox", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    picker = json.loads(result.stdout)
    assert [b["accessory"]["action_id"] for b in picker["blocks"] if "accessory" in b] == ["pick_deal"] * 2
    advice = re.search(r"`(accountbot card ID[^`]*)`", result.stderr)
    assert advice and advice.group(1) == "accountbot card ID --sandbox --json", result.stderr
    deal_id = re.findall(r"^\s+(\d{6,})\s", result.stderr, flags=re.M)[0]
    again = run(*shlex.split(advice.group(1).replace("ID", deal_id))[1:], cwd=tmp_path)
    assert again.returncode == 0 and json.loads(again.stdout)["text"].startswith("Acme"), again.stderr


def test_sandbox_serve_and_try_show_what_slack_shows(tmp_path: Path) -> None:
    """`accountbot sandbox`, `serve` with its variables, `try "/account Globex" --click Refresh` (items 6, 9)."""
    with running("sandbox", "--port", "0", cwd=tmp_path) as sandbox:
        assert sandbox.stdout is not None
        printed = read_until(sandbox.stdout, r"Ctrl-C")
        env = exports(printed)
        assert env["SLACK_SIGNING_SECRET"] and "try" in "\n".join(printed)
        env.update(PORT=str(free_port()), HOST="127.0.0.1", LOG_FORMAT="json")
        card = run("card", "Globex", "--no-color", cwd=tmp_path, env=env)  # the sandbox's own suggestion
        assert card.returncode == 0 and "Globex – Customer Data Platform" in card.stdout, card.stderr
        with running("serve", cwd=tmp_path, env=env) as serve:
            assert serve.stderr is not None
            logged = read_until(serve.stderr, r"listening on")
            result = run("try", "/account Globex", "--click", "Refresh", cwd=tmp_path, env=env)
            assert result.returncode == 0, result.stderr
            assert result.stdout.count("GLOBEX – CUSTOMER DATA PLATFORM") == 2, result.stdout  # the card, refreshed
            assert "[Refresh]" in result.stdout and "(visible to only you)" in result.stdout
            modal = run("try", "/account Globex", "--click", "Log client communication", cwd=tmp_path, env=env)
            assert "(a modal opens: Log: Globex" in modal.stdout, modal.stderr
            forged = run("try", "/account Globex", cwd=tmp_path, env={**env, "SLACK_SIGNING_SECRET": "wrong"})
            assert forged.returncode == 1 and "serve answered 401" in forged.stderr
    records = [json.loads(line) for line in logged]  # LOG_FORMAT=json: one object per line
    assert {r["level"] for r in records} <= {"INFO"} and "listening on" in records[-1]["message"]
    assert not any("will be unused" in r["message"] for r in records)


def test_a_stopped_sandbox_leaves_no_temp_folder(tmp_path: Path) -> None:
    """`accountbot sandbox` stopped with SIGTERM (as a supervisor does) or Ctrl-C removes its store's folder."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with running("sandbox", "--port", "0", cwd=tmp_path, env={"TMPDIR": str(tmp)}) as sandbox:
            assert sandbox.stdout is not None
            database = exports(read_until(sandbox.stdout, r"Ctrl-C"))["DATABASE_URL"]
            assert database.startswith(f"sqlite:///{tmp}/accountbot-sandbox-")
            sandbox.send_signal(sig)
            assert sandbox.wait(timeout=30) == 0
        assert list(tmp.iterdir()) == []


def test_a_second_sandbox_names_the_port_option(tmp_path: Path) -> None:
    """A busy port: one line naming --port, no bind traceback (item 7)."""
    port = free_port_range(5)  # the sandbox takes PORT..PORT+4
    with running("sandbox", "--port", str(port), cwd=tmp_path) as first:
        assert first.stdout is not None
        read_until(first.stdout, r"Ctrl-C")
        second = run("sandbox", "--port", str(port), cwd=tmp_path, timeout=60)
    assert second.returncode == 2
    assert "--port" in second.stderr and "Traceback" not in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr


def test_serve_sandbox_prints_what_try_needs(tmp_path: Path) -> None:
    """`serve --sandbox` prints the export line of its signing secret; `try` works with it as printed (item 6)."""
    port = str(free_port())
    with running("serve", "--sandbox", cwd=tmp_path, env={"PORT": port, "HOST": "127.0.0.1"}) as serve:
        assert serve.stdout is not None and serve.stderr is not None
        printed = read_until(serve.stdout, r"accountbot try")
        read_until(serve.stderr, r"listening on")
        [line] = [x.strip() for x in printed if x.strip().startswith("export ")]
        env = dict(item.split("=", 1) for item in shlex.split(line)[1:])
        assert set(env) == {"SLACK_SIGNING_SECRET", "SLACK_API_URL", "PORT"} and env["PORT"] == port
        result = run(*shlex.split(printed[-1].strip())[1:], cwd=tmp_path, env=env)
        assert result.returncode == 0 and "GLOBEX – CUSTOMER DATA PLATFORM" in result.stdout, result.stderr


def test_an_unreachable_vendor_is_one_line_in_words(tmp_path: Path) -> None:
    """HubSpot configured but down: its failure in words, no urllib3 retry lines, no MaxRetryError (item 9)."""
    env = {
        "HUBSPOT_ACCESS_TOKEN": "pat-x",
        "HUBSPOT_PORTAL_ID": "1",
        "HUBSPOT_BASE_URL": f"http://127.0.0.1:{free_port()}",
    }
    result = run("card", "Globex", "--sandbox", "--no-color", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "cannot reach HubSpot at 127.0.0.1:" in result.stderr and "(connection refused)" in result.stderr
    for noise in ("MaxRetryError", "urllib3", "Retrying", "Traceback", "NewConnectionError"):
        assert noise not in result.stderr, result.stderr


def test_serve_on_a_busy_port_names_port(tmp_path: Path) -> None:
    """`serve` where something already listens: one line naming PORT, no bind traceback (item 7)."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = run("serve", "--sandbox", cwd=tmp_path, env={"PORT": port, "HOST": "127.0.0.1"}, timeout=60)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("accountbot:")]
    assert errors == [errors[0]] and f"127.0.0.1:{port}" in errors[0] and "set PORT" in errors[0]
    assert "Traceback" not in result.stderr
