"""The bot as Slack sees it: the real app served on loopback against the emulators (tests, bench)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from blocks.messages import ON_ITS_WAY
from bot.app import create_web_app
from bot.settings import Settings
from bot.status import Timing
from bot.wiring import Services, open_services, settings_on_sandbox
from handlers import drain
from sandbox.server import Sandbox, _free_port
from sandbox.slack import block_actions_payload, event_body, interactive_body, signed_headers, view_submission_payload


@dataclass
class Bot:
    """A running accountbot and the sandbox it talks to."""

    sandbox: Sandbox
    services: Services
    url: str
    http: aiohttp.ClientSession
    runner: web.AppRunner
    owns_sandbox: bool = True  # False when several bots (replicas) share one sandbox

    @property
    def deps(self) -> Services:
        """The services the handlers and the worker use (the same object as `services`)."""
        return self.services

    @property
    def slack(self):  # the Slack emulator
        return self.sandbox.slack

    @property
    def secret(self) -> str:
        return self.sandbox.slack.signing_secret

    async def post(
        self,
        body: str,
        *,
        headers: dict[str, str] | None = None,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> tuple[int, str]:
        """POST /slack/events, signed unless `headers` are given."""
        status, text, _ = await self._post(body, headers=headers, content_type=content_type)
        return status, text

    async def _post(self, body: str, *, headers: dict[str, str] | None, content_type: str) -> tuple[int, str, str]:
        sent = headers if headers is not None else signed_headers(body, self.secret)
        sent = {**sent, "Content-Type": content_type}
        async with self.http.post(f"{self.url}/slack/events", data=body.encode(), headers=sent) as resp:
            return resp.status, await resp.text(), resp.content_type

    async def command(self, text: str, **fields: Any) -> tuple[int, str, str]:
        """/account TEXT from a user; returns (status, body, response_url).

        As Slack does, a 200 whose body is a message shows it as the command's answer
        (`delivered` lists it first, before the response_url posts).
        """
        form = self.slack.slash_command_fields(text, **fields)
        status, body, content_type = await self._post(
            urlencode(form), headers=None, content_type="application/x-www-form-urlencoded"
        )
        if status == 200:
            self.slack.acknowledged(form["response_url"], body, content_type)
        return status, body, form["response_url"]

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> tuple[int, str]:
        """An Events API callback (optionally marked as Slack's retry)."""
        body = event_body(event, event_id=event_id)
        headers = signed_headers(body, self.secret)
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        return await self.post(body, headers=headers, content_type="application/json")

    async def click(
        self,
        action: dict[str, Any],
        *,
        message: dict[str, Any],
        response_url: str,
        user_id: str | None = None,
        ephemeral: bool = True,
    ) -> tuple[int, str]:
        """A button press on a message the bot posted."""
        kwargs: dict[str, Any] = {
            "message": {**message, "ts": message.get("ts", f"{time.time():.6f}")},
            "response_url": response_url,
            "trigger_id": self.slack.new_trigger_id(user_id),
        }
        if user_id:
            kwargs["user_id"] = user_id
        payload = block_actions_payload(action, **kwargs)
        payload["container"]["is_ephemeral"] = ephemeral
        return await self.post(interactive_body(payload))

    async def submit(self, view: dict[str, Any], values: dict[str, Any], **kw: Any) -> tuple[int, str]:
        """A view_submission of a modal the bot opened."""
        return await self.post(interactive_body(view_submission_payload(view, values, **kw)))

    async def delivered(self, response_url: str, count: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Wait for `count` answers on a response_url (a command's ack message, then accepted posts); all of them.

        An "on its way" ack is not an answer: the post that replaces it is.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            posts = self.slack.answered(response_url)
            if posts and posts[0].get("text") == ON_ITS_WAY:
                posts = posts[1:]
            if len(posts) >= count:
                return posts
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} posts to the response_url, got {len(posts)}: {posts}")
            await asyncio.sleep(0.02)

    async def until(self, predicate, timeout: float = 20.0, what: str = "condition") -> Any:
        """Wait until predicate() is truthy (the bot works after acking)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)


async def start_bot(
    tmp_path: Path,
    *,
    timing: Timing = Timing(),
    sandbox: Sandbox | None = None,
    database_url: str | None = None,
    settings_overrides: dict[str, Any] | None = None,
    redis_prefix: str | None = None,
    accounting: str = "quickbooks",
    **sandbox_kwargs: Any,
) -> Bot:
    """Sandbox + services + the Slack app on a loopback port (`settings_overrides`: Settings fields to change;
    `accounting="netsuite"`: money from NetSuite).

    A `sandbox` that is already running is shared (replicas of one deployment) and left running by `stop_bot`.
    """
    if accounting == "netsuite":
        sandbox_kwargs["netsuite"] = True
    owns = sandbox is None or not sandbox.running
    sandbox = sandbox or Sandbox(**sandbox_kwargs)
    if not sandbox.running:
        await sandbox.start()
    base = Settings.from_env({"ACCOUNTING": accounting}, dotenv=None)
    settings = settings_on_sandbox(base, sandbox.env(), database_dir=tmp_path)
    settings = replace(
        settings,
        database_url=database_url or f"sqlite:///{tmp_path}/bot.db",
        accounting=accounting,
        **(settings_overrides or {}),
    )
    services = await open_services(settings, timing=timing, redis_prefix=redis_prefix)
    services.worker.daily_snapshots = False  # tests step the worker; the daily round has its own tests
    runner = web.AppRunner(create_web_app(services), access_log=None)
    await runner.setup()
    port = _free_port("127.0.0.1")
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return Bot(sandbox, services, f"http://127.0.0.1:{port}", aiohttp.ClientSession(), runner, owns)


async def stop_bot(bot: Bot) -> None:
    await bot.http.close()
    await bot.runner.cleanup()
    await drain(10.0)  # what the listeners do after their acks finishes first, as at a real shutdown
    await bot.services.close()
    if bot.owns_sandbox:
        await bot.sandbox.stop()


def block_texts(message: dict[str, Any]) -> str:
    """All the text of a message's blocks, for 'the card says X' assertions."""
    return json.dumps(message.get("blocks", []), ensure_ascii=False)
