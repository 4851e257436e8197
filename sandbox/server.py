"""Start every emulator on loopback, each on its own port, and say how to reach them."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from sandbox.book import DEMO_ACCOUNTS, Account, generated_book
from sandbox.core import Emulator

if TYPE_CHECKING:
    from sandbox.netsuite import NetSuiteEmulator
    from sandbox.quickbooks.fields import CustomFieldMode


class Sandbox:
    """The four emulators in one process; `env()` gives the variables that point the bot at them.

    Each emulator takes the book and `today` and exposes `env()` (its credentials and the
    variables naming its base URL, given the URL it is served on). `qbo_custom_fields` says how the
    QuickBooks company holds the invoices' "Deal ID" field ("legacy" or "enhanced", see
    sandbox.quickbooks.fields). With `netsuite=True` a fifth one, the NetSuite emulator, runs
    too (its NETSUITE_* variables join `env()`). `qbo_fillers` sets how many invoices without a deal the
    QuickBooks company holds besides the book's (for index builds at scale).
    """

    def __init__(
        self,
        accounts: Sequence[Account] | None = None,
        *,
        today: date | None = None,
        host: str = "127.0.0.1",
        latency: float = 0.0,
        accounts_count: int | None = None,
        ports: dict[str, int] | None = None,
        qbo_custom_fields: CustomFieldMode = "legacy",
        netsuite: bool = False,
        qbo_fillers: int | None = None,
    ) -> None:
        from sandbox.asana import AsanaEmulator
        from sandbox.hubspot import HubSpotEmulator
        from sandbox.quickbooks import QuickBooksEmulator
        from sandbox.slack import SlackEmulator

        if accounts is None:
            accounts = generated_book(accounts_count) if accounts_count else DEMO_ACCOUNTS
        self.accounts = tuple(accounts)
        self.today = today or date.today()
        self.host = host
        self.hubspot = HubSpotEmulator(self.accounts, today=self.today)
        self.asana = AsanaEmulator(self.accounts, today=self.today)
        qbo_extra = {} if qbo_fillers is None else {"fillers": qbo_fillers}
        self.quickbooks = QuickBooksEmulator(
            self.accounts, today=self.today, custom_fields=qbo_custom_fields, **qbo_extra
        )
        self.slack = SlackEmulator(self.accounts, today=self.today)
        self.emulators: dict[str, Emulator] = {
            "hubspot": self.hubspot,
            "asana": self.asana,
            "quickbooks": self.quickbooks,
            "slack": self.slack,
        }
        self.netsuite: NetSuiteEmulator | None = None  # optional: only with netsuite=True
        if netsuite:
            from sandbox.netsuite import NetSuiteEmulator

            self.netsuite = NetSuiteEmulator(self.accounts, today=self.today)
            self.emulators["netsuite"] = self.netsuite
        self._ports = ports or {}
        self._runners: list[web.AppRunner] = []
        self._store_dir: Path | None = None
        for emulator in self.emulators.values():
            emulator.faults.latency = latency

    async def start(self) -> Sandbox:
        """Serve every emulator on its own loopback port."""
        for name, emulator in self.emulators.items():
            runner = web.AppRunner(emulator.build_app(), access_log=None, handle_signals=False)
            await runner.setup()
            port = self._ports.get(name, 0) or _free_port(self.host)
            site = web.TCPSite(runner, self.host, port, reuse_address=True)
            await site.start()
            self._runners.append(runner)
            emulator.base_url = f"http://{self.host}:{port}"
        return self

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return bool(self._runners)

    async def stop(self) -> None:
        """Stop serving."""
        for emulator in self.emulators.values():
            emulator.closing = True
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
        if self._store_dir is not None:
            shutil.rmtree(self._store_dir, ignore_errors=True)
            self._store_dir = None

    def store_dir(self) -> Path:
        """A throwaway folder for the bot's store on this sandbox, removed when the sandbox stops."""
        if self._store_dir is None:
            self._store_dir = Path(tempfile.mkdtemp(prefix="accountbot-sandbox-"))
        return self._store_dir

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def set_latency(self, seconds: float) -> None:
        """Inject the same latency on every service."""
        for emulator in self.emulators.values():
            emulator.faults.latency = seconds

    def reset_calls(self) -> None:
        for emulator in self.emulators.values():
            emulator.reset_calls()

    def env(self) -> dict[str, str]:
        """Environment variables pointing accountbot at this sandbox (credentials included)."""
        values: dict[str, str] = {"OAUTHLIB_INSECURE_TRANSPORT": "1"}
        for emulator in self.emulators.values():
            values.update(emulator.env())  # type: ignore[attr-defined]
        return values


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
