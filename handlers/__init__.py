"""Thin Slack listeners: ack, parse, call one service, render with `blocks`, send.

Each module's listeners are module-level functions; `register(app)` wires them all, each through
`acked_first` (Slack gets its answer the moment the listener acks). A listener takes its services
from `context["services"]` (put there by the app's middleware).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from blocks import messages

if TYPE_CHECKING:
    from bot.models.views import QueryResult
    from bot.wiring import Services

log = logging.getLogger(__name__)
Reply = Callable[[dict[str, Any]], Awaitable[None]]


def register(app: AsyncApp) -> None:
    """Wire every listener module."""
    from handlers import actions, commands, home, unfurls, views

    for module in (commands, actions, views, unfurls, home):
        module.register(app)


def slash_commands() -> dict[str, Callable[..., Awaitable[None]]]:
    """The slash command listeners by command name, for the adapter's own command lane (bot.slash)."""
    from handlers.commands import COMMANDS

    return dict(COMMANDS)


def acked_first(listener: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Bolt answers Slack when this returns (process_before_response): as soon as the listener acks.

    What the listener does after its ack goes on in the background; a failure there is handed to
    `context["on_background_error"]` (the app logs it and gives an event's claim back). Without
    this, Bolt would poll every 10 ms for the ack, which costs a core under a burst of commands.
    """

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> None:
        if "ack" not in kwargs:  # an event listener: Bolt acks it when this returns
            task = asyncio.ensure_future(listener(**kwargs))
        else:
            real_ack = kwargs["ack"]
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()  # the ack, or the end
            done = _resolver(turn)
            acked = False

            async def ack(*args: Any, **kw: Any) -> Any:
                nonlocal acked
                try:
                    return await real_ack(*args, **kw)
                finally:
                    acked = True
                    done()

            task = asyncio.ensure_future(listener(**{**kwargs, "ack": ack}))
            task.add_done_callback(done)
            await turn
            if not acked:  # finished, or failed, before its ack: Bolt's error handler answers a failure
                task.result()
                return
        _BACKGROUND.add(task)
        task.add_done_callback(functools.partial(_finished, kwargs.get("context")))

    return run


_BACKGROUND: set[asyncio.Future[None]] = set()  # listeners still working after their ack


def _resolver(turn: asyncio.Future[None]) -> Callable[..., None]:
    """A callback (for a timer, a task's end or a call) that resolves `turn` the first time it runs."""

    def resolve(*_: Any) -> None:
        if not turn.done():
            turn.set_result(None)

    return resolve


async def drain(timeout: float) -> int:
    """At shutdown, before the store closes: let the listeners still working after their ack finish
    (a card on its way, a logged call being written) for up to `timeout` seconds; how many were cut off."""
    pending = {t for t in _BACKGROUND if not t.done()}
    if not pending:
        return 0
    _, cut = await asyncio.wait(pending, timeout=timeout)
    for task in cut:
        task.cancel()
    if cut:
        log.warning("%d listener(s) still working after %.0f s at shutdown were stopped", len(cut), timeout)
    return len(cut)


def _finished(context: Any, task: asyncio.Future[None]) -> None:
    _BACKGROUND.discard(task)
    if task.cancelled() or task.exception() is None:
        return
    error = task.exception()
    hook = context.get("on_background_error") if context is not None else None
    if hook is None:
        log.error("listener failed after its ack: %s", error, exc_info=error)
        return
    follow_up = asyncio.ensure_future(hook(error, context))
    _BACKGROUND.add(follow_up)
    follow_up.add_done_callback(_BACKGROUND.discard)


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
    loop = asyncio.get_running_loop()
    turn: asyncio.Future[None] = loop.create_future()  # the first reply, the end of the work, or `wait`
    decide = _resolver(turn)
    first: list[dict[str, Any]] = []
    acked = False
    placeholder = False

    async def reply(message: dict[str, Any]) -> None:
        nonlocal placeholder
        if not acked and not first:
            first.append(message)
            decide()
            return
        if placeholder:  # the first reply after "on its way" takes that message's place
            placeholder = False
            message = {**message, "replace_original": True}
        await respond(message)

    task: asyncio.Future[Any] = asyncio.ensure_future(work(reply))
    task.add_done_callback(decide)
    timer = loop.call_later(wait, decide)
    await turn
    timer.cancel()
    acked = True
    if first:
        await ack(first[0])
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
    try:
        await task  # the rest runs after the ack has gone (see acked_first)
    except Exception:
        if placeholder:  # never leave "on its way" standing
            await reply(messages.error(messages.SOMETHING_WENT_WRONG))
        raise


async def complete_later(
    services: Services, result: QueryResult, respond: Any, render: Callable[[QueryResult], dict[str, Any]]
) -> None:
    """A card that said a section was on its way: the same message, completed when the section lands."""
    later = await services.cards.completed(result)
    if later is not None:
        await respond(render(later))
