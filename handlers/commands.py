"""/account: a card for a query, or a subcommand from the table."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable

from slack_bolt.async_app import AsyncApp

from blocks import messages
from blocks.replies import reply

if TYPE_CHECKING:
    from bot.app import AppDeps

Subcommand = Callable[["AppDeps", dict[str, Any], str, Any], Awaitable[None]]
SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(name: str) -> Callable[[Subcommand], Subcommand]:
    """Add a function to the /account dispatch table."""

    def wrap(fn: Subcommand) -> Subcommand:
        SUBCOMMANDS[name] = fn
        return fn

    return wrap


@subcommand("help")
async def _help(deps: "AppDeps", command: dict[str, Any], rest: str, respond: Any) -> None:
    await respond(messages.help_message())


def register(app: AsyncApp, deps: "AppDeps") -> None:
    """/account QUERY | help | subcommands."""

    @app.command("/account")
    async def on_account(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack()
        verdict = await deps.gate.user(command["user_id"])
        if not verdict.allowed:
            await respond(messages.refusal())
            return
        text = (command.get("text") or "").strip()
        verb, _, rest = text.partition(" ")
        handler = SUBCOMMANDS.get(verb.lower())
        if not text:
            linked = await deps.store.channel_link(command["channel_id"])
            if linked is None:
                await respond(messages.help_message())
            else:  # a channel bound to an account: its card
                await respond(reply(await deps.cards.for_query(linked[0]), deps.clock()))
        elif handler is not None:
            await handler(deps, command, rest.strip(), respond)
        else:
            result = await deps.cards.for_query(text)
            await respond(reply(result, deps.clock()))
