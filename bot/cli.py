"""The `accountbot` command: serve, worker, card, sandbox, demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shlex
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot import cli_tools as tools
from bot.logs import configure as configure_logging
from bot.settings import ACCOUNTING_SYSTEMS, Settings, SettingsError, read_dotenv
from bot.store import StoreUnavailable

log = logging.getLogger("accountbot")

DEMO_QUERY = "Globex"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    # the long-running processes log their events at INFO; a command run in a terminal only its problems
    default_level = "INFO" if args.command in ("serve", "worker") else "WARNING"
    configure_logging({**read_dotenv(Path(".env")), **os.environ}, default_level)
    try:
        return asyncio.run(args.func(args))
    except (SettingsError, StoreUnavailable) as exc:
        print(f"accountbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accountbot", description="The account card for deals after close: HubSpot + Asana + QuickBooks, in Slack."
    )
    parser.add_argument("--version", action="version", version=f"accountbot {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    card = sub.add_parser("card", help="print one account card (terminal, or Block Kit JSON)")
    card.add_argument("query", help="a deal name, company name, deal ID or HubSpot deal URL")
    card.add_argument("--json", action="store_true", help="print the Block Kit JSON Slack receives")
    card.add_argument("--sandbox", action="store_true", help="use the built-in sandbox for systems without credentials")
    card.add_argument("--no-color", action="store_true", help="plain text, no terminal colours")
    card.set_defaults(func=_cmd_card)

    sandbox = sub.add_parser("sandbox", help="run the HubSpot/Asana/QuickBooks/Slack emulators on loopback")
    sandbox.add_argument("--accounts", type=int, default=None, help="seed a large synthetic book of N accounts")
    sandbox.add_argument("--latency", type=float, default=0.0, help="milliseconds added to every request")
    sandbox.add_argument("--port", type=int, default=4100, help="first port (services take PORT..PORT+4); 0 for any")
    sandbox.add_argument(
        "--accounting", choices=ACCOUNTING_SYSTEMS, default=None, help="the money in QuickBooks or NetSuite"
    )
    sandbox.add_argument(
        "--qbo-custom-fields",
        choices=("legacy", "enhanced"),
        default="legacy",
        help="how the QuickBooks company holds 'Deal ID': a legacy string field, or QuickBooks' newer custom fields",
    )
    sandbox.set_defaults(func=_cmd_sandbox)

    demo = sub.add_parser("demo", help="the sandbox plus a card: try accountbot with no credentials")
    demo.add_argument("query", nargs="?", default=DEMO_QUERY, help=f"account to show (default {DEMO_QUERY!r})")
    demo.add_argument("--no-color", action="store_true")
    demo.add_argument(
        "--accounting",
        choices=ACCOUNTING_SYSTEMS,
        default=None,
        help="the demo book's money in QuickBooks (default) or NetSuite (ACCOUNTING)",
    )
    demo.set_defaults(func=_cmd_demo)

    serve = sub.add_parser("serve", help="the Slack app (HTTP on PORT, or Socket Mode when SLACK_APP_TOKEN is set)")
    serve.add_argument(
        "--sandbox", action="store_true", help="use the built-in sandbox for systems without credentials"
    )
    serve.set_defaults(func=_cmd_serve)

    setup = sub.add_parser("setup", help="one-time set-up in a connected system (safe to run again)")
    setup.add_argument(
        "system",
        choices=("hubspot", "asana"),
        help="hubspot: create the deal properties the bot writes; asana: register the delivery projects' webhooks",
    )
    setup.set_defaults(func=tools.cmd_setup)

    tryout = sub.add_parser(
        "try", help="send a signed slash command (and a button click) to a running serve; print what Slack shows"
    )
    tryout.add_argument("text", help='what a user types, e.g. "/account Globex"')
    tryout.add_argument("--click", metavar="BUTTON", help="then press this button of the answer, e.g. Refresh")
    tryout.add_argument("--json", action="store_true", help="print the Block Kit JSON instead of text")
    tryout.add_argument("--url", help="where serve listens (default http://127.0.0.1:PORT)")
    tryout.set_defaults(func=tools.cmd_try)

    migrate = sub.add_parser("migrate", help="create or upgrade the database schema (serve and worker do it at start)")
    migrate.set_defaults(func=tools.cmd_migrate)

    worker = sub.add_parser("worker", help="pollers and the alert outbox sender (one leader at a time)")
    worker.add_argument(
        "--sandbox", action="store_true", help="use the built-in sandbox for systems without credentials"
    )
    worker.set_defaults(func=_cmd_worker)
    return parser


def _sandbox_requested(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "sandbox", False)) or os.environ.get("ACCOUNTBOT_SANDBOX", "").lower() in (
        "1",
        "true",
        "yes",
        "on",
    )


@contextlib.asynccontextmanager
async def _configured(args: argparse.Namespace, systems: tuple[str, ...] | None = None) -> AsyncIterator[Settings]:
    """The settings of a command: real where configured (environment and .env), the sandbox for the rest.

    Without --sandbox (or ACCOUNTBOT_SANDBOX=1) every system in `systems` (default: Slack, HubSpot,
    Asana and the ACCOUNTING system) must be configured.
    The sandbox always brings its own throwaway store, removed when it stops.
    """
    settings = Settings.from_env()
    if not _sandbox_requested(args):
        settings.require(systems if systems is not None else settings.systems)
        yield settings
        return
    from bot.wiring import settings_on_sandbox
    from sandbox.server import Sandbox

    async with Sandbox(netsuite=settings.accounting == "netsuite") as sandbox:
        yield settings_on_sandbox(settings, sandbox.env(), database_dir=sandbox.store_dir())


async def _cmd_card(args: argparse.Namespace) -> int:
    async with _configured(args, ("hubspot", "asana", Settings.from_env().accounting)) as settings:
        return await _print_card(
            settings, args.query, as_json=args.json, color=_color(args), sandbox=_sandbox_requested(args)
        )


async def _print_card(settings: Settings, query: str, *, as_json: bool, color: bool, sandbox: bool = False) -> int:
    """One card on stdout (text, or the Block Kit JSON Slack receives); pickers and typos on stderr."""
    from blocks import format as fmt
    from blocks.replies import reply
    from blocks.text import status_text
    from bot.wiring import open_services

    flags = " --sandbox" * sandbox + " --json" * as_json
    services = await open_services(settings)
    try:
        result = await services.cards.for_query(query)
        now = datetime.now(UTC)
        if as_json and result.outcome in ("card", "picker"):
            print(json.dumps(reply(result, now), indent=2, ensure_ascii=False))  # the card, or Slack's picker
        elif result.outcome == "card" and result.status is not None:
            print(status_text(result.status, now, color=color))
        if result.outcome == "card":
            return 0
        if result.outcome == "picker":
            shown = " (above: the picker Slack shows); for one card" if as_json else ";"
            print(
                f"{len(result.matches)} deals match {query!r}{shown} run `accountbot card ID{flags}` with one of:",
                file=sys.stderr,
            )
        elif result.outcome == "no_match":
            print(result.message or f"No deal matches {query!r}.", file=sys.stderr)
            if result.matches:
                print(f"Did you mean (`accountbot card ID{flags}`):", file=sys.stderr)
        else:
            print(result.message, file=sys.stderr)
        for match in result.matches:
            amount = f"  {fmt.money(match.amount, match.currency)}" if match.amount is not None else ""
            print(f"  {match.deal_id}  {match.name}  ({match.stage_label}{amount})", file=sys.stderr)
        return 0 if as_json and result.outcome == "picker" else 1
    finally:
        await services.close()


async def _cmd_sandbox(args: argparse.Namespace) -> int:
    from sandbox.server import Sandbox

    accounting = args.accounting or Settings.from_env().accounting
    ports = None
    if args.port:
        names = ("hubspot", "asana", "quickbooks", "slack", "netsuite")
        ports = {name: args.port + i for i, name in enumerate(names)}
    sandbox = Sandbox(
        accounts_count=args.accounts,
        latency=args.latency / 1000.0,
        ports=ports,
        netsuite=accounting == "netsuite",
        qbo_custom_fields=args.qbo_custom_fields,
    )
    try:
        await sandbox.start()
    except OSError as exc:
        await sandbox.stop()
        first = args.port or 4100
        print(
            f"accountbot: cannot listen on ports {first}-{first + 4} ({exc.strerror or exc}): another "
            f"`accountbot sandbox` may be running; stop it, or choose other ports with --port {first + 100} "
            "(or --port 0 for any free ones)",
            file=sys.stderr,
        )
        return 2
    # the sandbox's own throwaway store (its tokens die with it), removed when it stops
    env = dict(sandbox.env(), DATABASE_URL=f"sqlite:///{sandbox.store_dir() / 'sandbox.db'}", ACCOUNTING=accounting)
    money = "NetSuite" if accounting == "netsuite" else "QuickBooks"
    print(f"# accountbot sandbox: {len(sandbox.accounts)} accounts; HubSpot, Asana, {money} and Slack on loopback.")
    print("# Paste these into another shell (or a .env file), then try: accountbot card Globex")
    print('# or the Slack side: accountbot serve &  then  accountbot try "/account Globex"')
    for key, value in env.items():
        print(f"export {key}={value}")
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # stopped either way, its temp folder goes with it
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    print("# Ctrl-C to stop.", flush=True)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()
    return 0


async def _cmd_demo(args: argparse.Namespace) -> int:
    from bot.wiring import settings_on_sandbox
    from sandbox.book import DEMO_ACCOUNTS
    from sandbox.server import Sandbox

    base = Settings.from_env()
    if args.accounting:
        base = replace(base, accounting=args.accounting)
    netsuite = base.accounting == "netsuite"
    print(
        f"Starting the sandbox: emulated HubSpot, Asana, {'NetSuite' if netsuite else 'QuickBooks'} and Slack on "
        f"loopback, seeded with {len(DEMO_ACCOUNTS)} demo accounts. No credentials needed.\n"
    )
    async with Sandbox(netsuite=netsuite) as sandbox:
        settings = settings_on_sandbox(base, sandbox.env(), database_dir=sandbox.store_dir())
        prefix = "ACCOUNTING=netsuite " if netsuite else ""
        print(f"$ {prefix}accountbot card {shlex.quote(args.query)} --sandbox\n")
        code = await _print_card(settings, args.query, as_json=False, color=_color(args), sandbox=True)
    print("\nThe demo book (each shows a different state a rep meets):")
    for account in DEMO_ACCOUNTS:
        print(f"  {account.deal_id}  {account.deal_name:<48} {account.state}")
    print("\nGo further:")
    print('  accountbot card "Umbrella Health" --sandbox     another account (name, deal ID or HubSpot deal URL)')
    print("  accountbot card Acme --sandbox --json           the Block Kit JSON Slack receives")
    print("  accountbot sandbox                               keep the emulators running and print their variables")
    print("  accountbot serve --sandbox                       the Slack app on the sandbox; it prints how to")
    print('                                                   send it /account with accountbot try "/account Globex"')
    print("  Slack set-up: see README.md, 'Install in Slack' (manifest.yml creates the app in one step).")
    return code


async def _cmd_serve(args: argparse.Namespace) -> int:
    from bot.app import run_server
    from bot.wiring import open_services

    async with _configured(args) as settings:
        settings.require_shared_store("serve")
        if settings.sandbox:
            print(
                "Serving on the sandbox. Slack requests must be signed with its signing secret; to send one:\n"
                f"  export SLACK_SIGNING_SECRET={settings.slack_signing_secret} "
                f"SLACK_API_URL={settings.slack_api_url} PORT={settings.port}\n"
                '  accountbot try "/account Globex"',
                flush=True,
            )
        services = await open_services(settings)
        try:
            await run_server(services)
        finally:
            await services.close()
    return 0


async def _cmd_worker(args: argparse.Namespace) -> int:
    from bot import heap
    from bot.wiring import open_services

    async with _configured(args) as settings:
        settings.require_shared_store("worker")
        services = await open_services(settings)
        heap.settle("started")
        heap.after_index_builds(services.indexes.start())  # the join indexes, in the background
        worker = services.worker
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        log.info(
            "worker %s: polling every %g s; standing by if another process holds the lease",
            worker.holder,
            settings.poll_interval_seconds,
        )
        try:
            await worker.run(stop)
        finally:
            await services.close()
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("accountbot")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree that was never installed
        return "unknown"


def _color(args: argparse.Namespace) -> bool:
    return not getattr(args, "no_color", False) and sys.stdout.isatty() and "NO_COLOR" not in os.environ


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
