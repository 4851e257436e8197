"""Thin Slack listeners: ack, parse, call one service, render with `blocks`, send.

Each module's listeners are module-level functions; `register(app)` wires them all. A
listener takes its services from `context["services"]` (put there by the app's middleware).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from blocks import messages

if TYPE_CHECKING:
    from bot.wiring import Services

log = logging.getLogger(__name__)
Reply = Callable[[dict[str, Any]], Awaitable[None]]


def register(app: AsyncApp) -> None:
    """Wire every listener module."""
    from handlers import actions, commands, home, unfurls, views

    for module in (commands, actions, views, unfurls, home):
        module.register(app)


def services_of(context: Any) -> Services:
    """The process's services, as the app's middleware put them in the listener's context."""
    return context["services"]


async def allowed(services: Services, user_id: str) -> bool:
    """A full member of this workspace (guests and other organisations are refused everywhere)."""
    return (await services.gate.user(user_id)).allowed


async def answer_in_ack(ack: Any, respond: Any, work: Callable[[Reply], Awaitable[None]], wait: float) -> None:
    """Run `work(reply)`; its first reply rides in the ack when it comes within `wait` seconds.

    Slack shows an ack's body as the answer, which saves the response_url round trip. When the
    first reply isn't ready by then, the ack says it is on its way and the reply replaces that
    message through response_url. A failure before any reply is answered in words, never silence.
    """
    first: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    acked = False
    placeholder = False

    async def reply(message: dict[str, Any]) -> None:
        nonlocal placeholder
        if not acked and not first.done():
            first.set_result(message)
            return
        if placeholder:  # the first reply after "on its way" takes that message's place
            placeholder = False
            message = {**message, "replace_original": True}
        await respond(message)

    task: asyncio.Future[Any] = asyncio.ensure_future(work(reply))
    waiting: set[asyncio.Future[Any]] = {first, task}
    await asyncio.wait(waiting, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
    acked = True
    if first.done():
        await ack(first.result())
    elif task.done():  # finished (or failed) without a reply
        exc = task.exception()
        if exc is not None:
            log.error("command failed before it answered: %s", exc, exc_info=exc)
            await ack(messages.error(messages.SOMETHING_WENT_WRONG))
        else:
            await ack()
        return
    else:
        placeholder = True
        await ack(messages.on_its_way())
    await task
