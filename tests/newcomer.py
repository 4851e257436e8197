"""Run the `accountbot` console script as a newcomer would: a subprocess, a fresh folder, a clean environment."""

from __future__ import annotations

import json
import os
import random
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

ACCOUNTBOT = str(Path(sys.executable).with_name("accountbot"))


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`accountbot ARGS` to the end; stdout and stderr as text."""
    return subprocess.run(
        [ACCOUNTBOT, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@contextmanager
def running(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """`accountbot ARGS` in the background; stopped (SIGTERM, then kill) on leaving."""
    proc = subprocess.Popen(
        [ACCOUNTBOT, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def read_until(stream: IO[str], pattern: str, timeout: float = 60) -> list[str]:
    """Lines of `stream` up to the first matching `pattern` (AssertionError with what came, if none does)."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if re.search(pattern, line):
            return lines
    raise AssertionError(f"no line matching {pattern!r}; got {lines}")


def exports(lines: list[str]) -> dict[str, str]:
    """The `export NAME=value` lines `accountbot sandbox` printed, as a mapping."""
    return dict(line[len("export ") :].split("=", 1) for line in lines if line.startswith("export "))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_range(count: int) -> int:
    """A first port P such that P..P+count-1 are all free now, below the ephemeral range (32768 and up on
    Linux), where no outgoing connection is handed one of them meanwhile, as it can a free_port() + 1."""
    for _ in range(200):
        first = random.randrange(20000, 32000 - count)
        socks = []
        try:
            for port in range(first, first + count):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError(f"no {count} consecutive free ports between 20000 and 32000")


def wait_http(url: str, timeout: float = 60) -> Any:
    """GET `url` until it answers (any status); its JSON body."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return json.loads(exc.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
