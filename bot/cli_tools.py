"""The `accountbot` commands an admin runs now and then: setup, migrate, try."""

from __future__ import annotations

import argparse
import sys

from bot.settings import Settings, SettingsError


async def cmd_try(args: argparse.Namespace) -> int:
    from sandbox.tryout import SlackTry, TryError, as_json, as_text

    settings = Settings.from_env()
    if not settings.slack_signing_secret:
        raise SettingsError(
            "SLACK_SIGNING_SECRET is not set: export the variables `accountbot sandbox` prints "
            "(serve must run with the same ones)"
        )
    client = SlackTry(
        args.url or f"http://127.0.0.1:{settings.port}", settings.slack_api_url, settings.slack_signing_secret
    )
    show = as_json if args.json else as_text
    try:
        print(f"$ {args.text}", flush=True)
        answer = await client.command(args.text)
        print(show(answer), flush=True)
        if args.click:
            print(f"\n$ (click) {args.click}", flush=True)
            print(show(await client.click(answer, args.click)))
    except TryError as exc:
        print(f"accountbot try: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.close()
    return 0


async def cmd_migrate(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from bot.store import Store

    settings = Settings.from_env()
    store = await Store.open(settings.database_url)  # under the schema lock: safe beside running processes
    await store.close()
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"accountbot migrate: {where}: {store.migrated}")
    return 0


async def cmd_setup(args: argparse.Namespace) -> int:
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
