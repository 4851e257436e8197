"""The `accountbot` command: serve, worker, card, sandbox, demo."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import Settings, SettingsError

DEMO_QUERY = "Globex"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING").upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return asyncio.run(args.func(args))
    except SettingsError as exc:
        print(f"accountbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accountbot", description="The account card for deals after close: HubSpot + Asana + QuickBooks, in Slack."
    )
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
    sandbox.add_argument("--port", type=int, default=4100, help="first port (services take PORT..PORT+3); 0 for any")
    sandbox.set_defaults(func=_cmd_sandbox)

    demo = sub.add_parser("demo", help="the sandbox plus a card: try accountbot with no credentials")
    demo.add_argument("query", nargs="?", default=DEMO_QUERY, help=f"account to show (default {DEMO_QUERY!r})")
    demo.add_argument("--no-color", action="store_true")
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
    setup.set_defaults(func=_cmd_setup)

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


async def _cmd_card(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not _sandbox_requested(args):
        settings.require(("hubspot", "asana", "quickbooks"))
        return await _print_card(settings, args.query, as_json=args.json, color=_color(args))
    from bot.wiring import settings_on_sandbox
    from sandbox.server import Sandbox

    async with Sandbox() as sandbox:
        on_sandbox = settings_on_sandbox(settings, sandbox.env())
        return await _print_card(on_sandbox, args.query, as_json=args.json, color=_color(args))


async def _print_card(settings: Settings, query: str, *, as_json: bool, color: bool) -> int:
    from blocks import format as fmt
    from blocks.card import status_card
    from blocks.text import status_text
    from bot.wiring import open_services

    services = await open_services(settings)
    try:
        result = await services.cards.for_query(query)
        now = datetime.now(UTC)
        if result.outcome == "card" and result.status is not None:
            if as_json:
                print(json.dumps(status_card(result.status, now), indent=2, ensure_ascii=False))
            else:
                print(status_text(result.status, now, color=color))
            return 0
        if result.outcome == "picker":
            print(
                f"{len(result.matches)} deals match {query!r}; run `accountbot card ID` with one of:", file=sys.stderr
            )
        elif result.outcome == "no_match":
            print(result.message or f"No deal matches {query!r}.", file=sys.stderr)
            if result.matches:
                print("Did you mean:", file=sys.stderr)
        else:
            print(result.message, file=sys.stderr)
        for match in result.matches:
            amount = f"  {fmt.money(match.amount, match.currency)}" if match.amount is not None else ""
            print(f"  {match.deal_id}  {match.name}  ({match.stage_label}{amount})", file=sys.stderr)
        return 1
    finally:
        await services.close()


async def _cmd_sandbox(args: argparse.Namespace) -> int:
    from sandbox.server import Sandbox

    ports = None
    if args.port:
        ports = {name: args.port + i for i, name in enumerate(("hubspot", "asana", "quickbooks", "slack"))}
    sandbox = Sandbox(accounts_count=args.accounts, latency=args.latency / 1000.0, ports=ports)
    await sandbox.start()
    db = Path.cwd() / "accountbot-sandbox.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)  # the sandbox's tokens die with it
    env = dict(sandbox.env(), DATABASE_URL=f"sqlite:///{db}")
    print(f"# accountbot sandbox: {len(sandbox.accounts)} accounts; HubSpot, Asana, QuickBooks and Slack on loopback.")
    print("# Paste these into another shell (or a .env file), then try: accountbot card Acme")
    for key, value in env.items():
        print(f"export {key}={value}")
    print("# Ctrl-C to stop.", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()
    return 0


async def _cmd_demo(args: argparse.Namespace) -> int:
    from bot.wiring import settings_on_sandbox
    from sandbox.book import DEMO_ACCOUNTS
    from sandbox.server import Sandbox

    print(
        "Starting the sandbox: emulated HubSpot, Asana, QuickBooks and Slack on loopback, "
        f"seeded with {len(DEMO_ACCOUNTS)} demo accounts. No credentials needed.\n"
    )
    async with Sandbox() as sandbox:
        settings = settings_on_sandbox(Settings.from_env(), sandbox.env())
        print(f"$ accountbot card {args.query!r} --sandbox\n")
        code = await _print_card(settings, args.query, as_json=False, color=_color(args))
    print("\nThe demo book (each shows a different state a rep meets):")
    for account in DEMO_ACCOUNTS:
        print(f"  {account.deal_id}  {account.deal_name:<48} {account.state}")
    print("\nGo further:")
    print('  accountbot card "Umbrella Health" --sandbox     another account (name, deal ID or HubSpot deal URL)')
    print("  accountbot card Acme --sandbox --json           the Block Kit JSON Slack receives")
    print("  accountbot sandbox                               keep the emulators running and print their variables")
    print("  Slack set-up: see README.md, 'Install in Slack' (manifest.yml creates the app in one step).")
    return code


async def _cmd_serve(args: argparse.Namespace) -> int:
    from bot.app import run_server
    from bot.wiring import open_services, settings_on_sandbox

    settings = Settings.from_env()
    sandbox = None
    if _sandbox_requested(args):
        from sandbox.server import Sandbox

        sandbox = await Sandbox().start()
        settings = settings_on_sandbox(settings, sandbox.env())
        print("Serving on the sandbox: Slack requests must be signed with the sandbox's signing secret.")
    settings.require()
    services = await open_services(settings)
    try:
        await run_server(services)
    finally:
        await services.close()
        if sandbox is not None:
            await sandbox.stop()
    return 0


async def _cmd_worker(args: argparse.Namespace) -> int:
    import signal

    from bot.wiring import open_services

    settings = Settings.from_env()
    settings.require()
    services = await open_services(settings)
    services.indexes.start()  # the join indexes, in the background
    worker = services.worker
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logging.getLogger("bot.alerts.worker").setLevel(logging.INFO)
    print(
        f"accountbot worker {worker.holder}: polling every {settings.poll_interval_seconds:g} s; "
        "standing by if another process holds the lease.",
        flush=True,
    )
    try:
        await worker.run(stop)
    finally:
        await services.close()
    return 0


async def _cmd_setup(args: argparse.Namespace) -> int:
    if args.system == "hubspot":
        return await _setup_hubspot()
    return await _setup_asana()


async def _setup_hubspot() -> int:
    from bot.wiring import open_hubspot_admin
    from bot.writeback import GROUP_LABEL, setup
    from connectors.errors import ConnectorError, MissingScopes

    admin = await open_hubspot_admin(Settings.from_env())
    try:
        created, existing = await setup(admin.hubspot, admin.store)
    except MissingScopes as exc:
        print(
            f"accountbot: {exc.message}. `setup hubspot` needs {', '.join(exc.scopes)}; the bot needs "
            "crm.objects.deals.write to write onto deals (README: 'Install in Slack', step 4).",
            file=sys.stderr,
        )
        return 2
    except ConnectorError as exc:
        print(f"accountbot: HubSpot refused the setup: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await admin.close()
    print(f"HubSpot deal properties for the write-back, in the group “{GROUP_LABEL}”:")
    print(f"  created: {', '.join(created) if created else 'nothing (all there already)'}")
    if existing:
        print(f"  already there: {', '.join(existing)}")
    print("Running bots start writing at their next update; nothing to restart.")
    return 0


async def _setup_asana() -> int:
    from bot.wiring import open_services

    settings = Settings.from_env()
    if not settings.public_url:
        raise SettingsError(
            "PUBLIC_URL is not set: Asana must reach `accountbot serve` at a public https URL "
            "(e.g. PUBLIC_URL=https://accountbot.example.com)"
        )
    services = await open_services(settings, systems=("asana",))
    try:
        await services.asana.refresh_index()
        projects = [
            p.project_gid
            for p in await services.store.asana_index(settings.asana_workspace_gid or "")
            if not p.archived
        ]
        print(
            f"Registering Asana webhooks for {len(projects)} delivery projects; `accountbot serve` must be "
            f"running at {settings.public_url} to answer Asana's handshake."
        )
        done = await services.hooks.register(services.asana, settings.public_url, projects)
    finally:
        await services.close()
    print(f"  {len(done.registered)} registered, {len(done.existing)} already had one.")
    for gid, reason in done.failed.items():
        print(f"  project {gid}: not registered: {reason}", file=sys.stderr)
    if done.failed:
        print(
            "Check that `accountbot serve` is running and reachable at PUBLIC_URL, then run this again.",
            file=sys.stderr,
        )
    return 1 if done.failed else 0


def _color(args: argparse.Namespace) -> bool:
    return not getattr(args, "no_color", False) and sys.stdout.isatty() and "NO_COLOR" not in os.environ


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
