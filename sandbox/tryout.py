"""`accountbot try`: the Slack side without a Slack workspace.

Sends what Slack would send to a running `accountbot serve` — a slash command, then
optionally a button click on its answer — signed with SLACK_SIGNING_SECRET, with a
response_url issued by the sandbox's Slack emulator (SLACK_API_URL), and prints what Slack
would show: the message the bot answered with (in the ack itself, or posted back through the
response_url), as text or as its Block Kit JSON.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp

from blocks.messages import ON_ITS_WAY
from sandbox.book import PEOPLE
from sandbox.core import CONTROL_PREFIX
from sandbox.slack.directory import SALES
from sandbox.slack.forge import block_actions_payload, interactive_body, signed_headers, slash_command_fields

WAIT_SECONDS: Final = 20.0


class TryError(Exception):
    """Why the request could not be tried; the message says what to do."""


@dataclass
class Answer:
    """What the bot sent back: the message through response_url, or a modal it opened."""

    message: dict[str, Any] | None = None
    view: dict[str, Any] | None = None
    response_url: str = ""


class SlackTry:
    """One newcomer's Slack: signs requests to `serve_url` and reads the answers off the emulator."""

    def __init__(self, serve_url: str, slack_api_url: str, signing_secret: str, user_id: str = PEOPLE[0].slack_id):
        self.serve_url = serve_url.rstrip("/")
        self.emulator = slack_api_url.rstrip("/").removesuffix("/api")
        self.secret = signing_secret
        self.user_id = user_id
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT_SECONDS))

    async def close(self) -> None:
        await self.http.close()

    async def _control(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.emulator}{CONTROL_PREFIX}/slack/{path}"
        try:
            if body is None:
                async with self.http.get(url) as resp:
                    resp.raise_for_status()
                    return dict(await resp.json())
            async with self.http.post(url, json=body) as resp:
                resp.raise_for_status()
                return dict(await resp.json())
        except (aiohttp.ClientError, ValueError) as exc:
            raise TryError(
                f"the sandbox's Slack emulator does not answer at {self.emulator} ({exc}): start `accountbot sandbox` "
                "and export the variables it prints (SLACK_API_URL, SLACK_SIGNING_SECRET)"
            ) from exc

    async def _post(self, body: str) -> dict[str, Any] | None:
        """Send a signed request; the message its ack (the HTTP 200) carries, as Slack shows it, if any."""
        url = f"{self.serve_url}/slack/events"
        try:
            async with self.http.post(url, data=body.encode(), headers=signed_headers(body, self.secret)) as resp:
                text = await resp.text()
                if resp.status != 200:
                    hint = " (is SLACK_SIGNING_SECRET the one serve uses?)" if resp.status == 401 else ""
                    raise TryError(f"serve answered {resp.status} {text.strip()[:200]}{hint}")
                if not text.strip():
                    return None
                if not resp.content_type.startswith("application/json"):
                    return {"text": text}
                parsed = json.loads(text)
                return parsed if isinstance(parsed, dict) else None
        except aiohttp.ClientError as exc:
            raise TryError(
                f"nothing answers at {self.serve_url} ({exc}): start `accountbot serve` (with the sandbox's "
                "variables exported), or give its address with --url"
            ) from exc

    async def _answer(self, response_url: str, seen_views: int) -> Answer:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            state = await self._control("state")
            posts = [p for p in state["response_posts"] if p["url"] == response_url and p["status"] == 200]
            if posts:
                return Answer(message=posts[-1]["body"], response_url=response_url)
            views = state["views"][seen_views:]
            if views:
                return Answer(view=views[-1]["view"], response_url=response_url)
            await asyncio.sleep(0.1)
        raise TryError(f"serve acknowledged but sent nothing back within {WAIT_SECONDS:g} s (see its log)")

    async def command(self, text: str) -> Answer:
        """A slash command such as `/account Globex`; waits for what the bot sends back."""
        command, _, rest = text.strip().partition(" ")
        if not command.startswith("/"):
            command, rest = "/account", text.strip()
        seen = len((await self._control("state"))["views"])
        response_url = (await self._control("response_url", {"channel_id": SALES, "user_id": self.user_id}))[
            "response_url"
        ]
        trigger = (await self._control("trigger_id", {"user_id": self.user_id}))["trigger_id"]
        fields = slash_command_fields(
            rest.strip(),
            command=command,
            user_id=self.user_id,
            channel_id=SALES,
            response_url=response_url,
            trigger_id=trigger,
        )
        acked = await self._post(urlencode(fields))
        if acked is not None and acked.get("text") != ON_ITS_WAY:  # the answer rode in the ack
            return Answer(message=acked, response_url=response_url)
        return await self._answer(response_url, seen)  # "Looking it up…": the answer replaces it

    async def click(self, answer: Answer, label: str) -> Answer:
        """Press the button labelled `label` (or with that action_id or value) on the bot's message."""
        message = answer.message or {}
        buttons = list(_buttons(message.get("blocks", [])))
        wanted = label.strip().lower()
        button = next(
            (b for b in buttons if _label(b).lower() == wanted or label in (b.get("action_id"), b.get("value"))), None
        )
        if button is None:
            names = ", ".join(repr(_label(b)) for b in buttons if "url" not in b) or "none"
            raise TryError(f"no button {label!r} on the answer; its buttons: {names}")
        if "url" in button:
            raise TryError(f"{_label(button)!r} is a link to {button['url']}: Slack opens it in the browser")
        ts = f"{time.time():.6f}"
        seen = len((await self._control("state"))["views"])
        response_url = (
            await self._control("response_url", {"channel_id": SALES, "user_id": self.user_id, "message_ts": ts})
        )["response_url"]
        trigger = (await self._control("trigger_id", {"user_id": self.user_id}))["trigger_id"]
        action = {k: button[k] for k in ("action_id", "block_id", "value", "text") if k in button}
        payload = block_actions_payload(
            action,
            user_id=self.user_id,
            channel_id=SALES,
            message={**message, "ts": ts},
            response_url=response_url,
            trigger_id=trigger,
        )
        payload["container"]["is_ephemeral"] = True
        await self._post(interactive_body(payload))
        return await self._answer(response_url, seen)


def _buttons(blocks: list[dict[str, Any]]) -> Any:
    for block in blocks:
        if block.get("type") == "actions":
            yield from (e for e in block.get("elements", []) if e.get("type") == "button")
        accessory = block.get("accessory") or {}
        if accessory.get("type") == "button":
            yield {**accessory, "block_id": block.get("block_id")}


def _label(button: dict[str, Any]) -> str:
    return str((button.get("text") or {}).get("text", ""))


def as_text(answer: Answer) -> str:
    """What Slack would show, as plain text: blocks top to bottom, buttons as [Label]."""
    if answer.view is not None:
        title = (answer.view.get("title") or {}).get("text", "")
        return f"(a modal opens: {title})\n" + _blocks_text(answer.view.get("blocks", []))
    message = answer.message or {}
    visibility = "only you" if message.get("response_type", "ephemeral") == "ephemeral" else "the channel"
    body = _blocks_text(message.get("blocks", [])) or str(message.get("text", ""))
    return f"(visible to {visibility})\n{body}"


def as_json(answer: Answer) -> str:
    """The Block Kit JSON the bot sent."""
    return json.dumps(answer.view if answer.view is not None else answer.message, indent=2, ensure_ascii=False)


def _text(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def _blocks_text(blocks: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(_text(block.get("text")).upper())
        elif kind == "section":
            if block.get("text"):
                lines.append(_text(block["text"]))
            lines.extend(_text(f) for f in block.get("fields", []))
            accessory = block.get("accessory") or {}
            if accessory.get("type") == "button":
                lines.append(f"[{_label(accessory)}]")
        elif kind == "context":
            lines.append("  ".join(_text(e) for e in block.get("elements", []) if e.get("type") != "image"))
        elif kind == "actions":
            lines.append("  ".join(f"[{_label(e)}]" for e in block.get("elements", []) if _label(e)))
        elif kind == "divider":
            lines.append("─" * 40)
        elif kind == "input":
            lines.append(f"{_text(block.get('label'))}: ____")
    return "\n".join(line for line in lines if line)
