"""Deploying: the image, Compose, the Procfile and the platform guard, as an admin meets them (issue 13)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.newcomer import run
from tests.test_newcomer import CONFIGURED

ROOT = Path(__file__).resolve().parents[1]


def test_the_image_is_slim_non_root_and_checks_healthz() -> None:
    """Dockerfile: a slim Python 3.11 base, a non-root user, the console script as entrypoint, /healthz checked."""
    text = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", text, flags=re.M)
    assert bases and all(re.fullmatch(r"python:3\.11-slim(-\w+)?", b) for b in bases), bases
    users = re.findall(r"^USER (\S+)", text, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["accountbot"\]', text, flags=re.M)
    healthcheck = re.search(r"^HEALTHCHECK (?:.*\\\n)*.*$", text, flags=re.M)  # with its continuation lines
    assert healthcheck and "/healthz" in healthcheck.group(0), healthcheck


def test_compose_runs_serve_worker_postgres_and_redis_on_one_database_and_one_budget() -> None:
    """docker-compose.yml: serve, worker, postgres and redis; both bot services on the PostgreSQL service
    and on the Redis service (serve and worker call the same vendors: their rate budgets are shared)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"serve", "worker", "postgres", "redis"} <= set(services)
    for name in ("serve", "worker"):
        assert services[name]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["serve"]["command"] == ["serve"] and services["worker"]["command"] == ["worker"]
    for name in ("serve", "worker"):
        url = services[name]["environment"]["DATABASE_URL"]
        assert url.startswith("postgresql://") and "@postgres:5432/" in url
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_procfile_migrates_on_release() -> None:
    """Heroku: the schema migrates in the release phase, before the new web and worker dynos start."""
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert procfile == {"release": "accountbot migrate", "web": "accountbot serve", "worker": "accountbot worker"}


def test_ci_builds_the_image_only_where_docker_answers(tmp_path: Path) -> None:
    """.ci/run calls .ci/docker-build, which skips (exit 0) where no Docker engine answers."""
    assert "bash .ci/docker-build" in (ROOT / ".ci" / "run").read_text()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "env"):
        found = shutil.which(tool)
        assert found
        (bin_dir / tool).symlink_to(found)
    result = subprocess.run(
        ["bash", str(ROOT / ".ci" / "docker-build")],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "image build skipped" in result.stdout, result.stderr


@pytest.mark.parametrize("platform", ["DYNO", "RENDER_INSTANCE_ID"])
@pytest.mark.parametrize("command", ["serve", "worker"])
def test_separate_processes_refuse_sqlite_on_a_platform(tmp_path: Path, command: str, platform: str) -> None:
    """On Heroku (DYNO) and the like, serve and worker on SQLite stop at once, pointing to PostgreSQL."""
    env = {**CONFIGURED, platform: "web.1", "DATABASE_URL": "sqlite:///accountbot.db"}
    result = run(command, cwd=tmp_path, env=env, timeout=60)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "needs PostgreSQL" in line and "DATABASE_URL=postgresql://" in line
    assert not (tmp_path / "accountbot.db").exists()


def test_the_sandbox_is_allowed_on_a_platform(tmp_path: Path) -> None:
    """`--sandbox` brings its own store: the guard is for real deployments only."""
    result = run("card", "Globex", "--sandbox", "--no-color", cwd=tmp_path, env={"DYNO": "run.1"})
    assert result.returncode == 0, result.stderr
    assert os.environ.get("DYNO") is None
