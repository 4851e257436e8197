"""Asana webhook secrets can't be taken over: one per webhook, kept only from the bot's own registrations."""

from __future__ import annotations

import asyncio
import os
import sys

from bot.asana_hooks import AsanaHookSecrets
from sandbox.harness import Bot

ATTACKER = "f" * 64


async def post(bot: Bot, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict]:
    async with bot.http.post(f"{bot.url}{path}", data=body, headers=headers or {}) as resp:
        return resp.status, dict(resp.headers)


def events(bot: Bot) -> list[dict]:
    asana = bot.sandbox.asana
    project = asana.project_gid("18340012001")
    return [asana.webhook_event("changed", "project", project)]


async def register(bot: Bot, *deal_ids: str):
    asana = bot.sandbox.asana
    gids = [asana.project_gid(d) for d in deal_ids]
    secrets = AsanaHookSecrets(bot.services.store)
    return await secrets.register(bot.services.asana, bot.url, gids), gids


async def test_setup_registers_webhooks_whose_deliveries_are_accepted(bot: Bot) -> None:
    """Each project gets its own webhook and secret; its deliveries reach the inbox; a rerun adds nothing."""
    done, gids = await register(bot, "18340012001", "18340012003")
    assert sorted(done.registered) == sorted(gids) and not done.failed
    hooks = [h for g in gids for h in bot.sandbox.asana.hooks_on(g)]
    assert len(hooks) == 2 and hooks[0].secret != hooks[1].secret
    assert await bot.sandbox.asana.deliver(hooks[0].gid, events(bot)) == 200
    assert await bot.services.store.inbox_backlog() == 1
    again, _ = await register(bot, "18340012001", "18340012003")
    assert again.registered == [] and sorted(again.existing) == sorted(gids)


async def test_a_stray_handshake_cannot_replace_a_secret(bot: Bot) -> None:
    """After registration, a forged handshake is refused and its signed deliveries get 401; Asana's still pass."""
    done, [gid] = await register(bot, "18340012001")
    [hook] = bot.sandbox.asana.hooks_on(gid)
    hook_path = hook.target[len(bot.url) :]
    for path in ("/webhooks/asana", hook_path):
        status, headers = await post(bot, path, headers={"X-Hook-Secret": ATTACKER})
        assert status == 401 and "X-Hook-Secret" not in headers
    assert await bot.sandbox.asana.deliver(hook.gid, events(bot), secret=ATTACKER) == 401
    assert await bot.sandbox.asana.deliver(hook.gid, events(bot)) == 200


async def test_without_any_secret_only_the_first_handshake_is_kept(bot: Bot) -> None:
    """A webhook registered by hand: the first handshake is kept, a second one is refused."""
    status, headers = await post(bot, "/webhooks/asana", headers={"X-Hook-Secret": "a" * 64})
    assert status == 200 and headers["X-Hook-Secret"] == "a" * 64
    status, _ = await post(bot, "/webhooks/asana", headers={"X-Hook-Secret": ATTACKER})
    assert status == 401
    assert await AsanaHookSecrets(bot.services.store).secret_for(None) == "a" * 64


async def test_a_handshake_after_its_window_is_refused(bot: Bot) -> None:
    """A registration nonce is good for one handshake, while the registration is running."""
    done, [gid] = await register(bot, "18340012001")
    [hook] = bot.sandbox.asana.hooks_on(gid)
    status, _ = await post(bot, hook.target[len(bot.url) :], headers={"X-Hook-Secret": ATTACKER})
    assert status == 401  # its secret is held already: the same nonce again is refused


async def test_the_setup_command_registers_through_a_running_serve(bot: Bot) -> None:
    """`accountbot setup asana` in its own process, sharing serve's database: webhooks made, exit 0, then 0 again."""
    env = {**os.environ, **bot.sandbox.env(), "PUBLIC_URL": bot.url, "DATABASE_URL": bot.services.settings.database_url}
    for _ in range(2):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "setup",
            "asana",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
    assert "0 registered" in out.decode() and "already had one" in out.decode()
    assert len(bot.sandbox.asana.hooks) >= 10  # every delivery project of the demo book
