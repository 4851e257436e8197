"""/account: a card for a query, or a subcommand from the table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from slack_bolt.async_app import AsyncApp

from blocks import messages
from blocks.admin import doctor_message, subscriptions_list
from blocks.replies import card_response, reply
from blocks.unlinked import unlinked_message
from handlers import Reply, acked_first, allowed, answer_in_ack, complete_later, services_of

if TYPE_CHECKING:
    from bot.wiring import Services

Subcommand = Callable[["Services", dict[str, Any], str, Any], Awaitable[None]]


async def show_help(services: Services, command: dict[str, Any], rest: str, respond: Any) -> None:
    """/account help (naming the accounting system in use)."""
    await respond(messages.help_message(accounting=services.accounting.system))


async def subscribe(services: Services, command: dict[str, Any], rest: str, respond: Any) -> None:
    """/account subscribe ACCOUNT|all [kinds] [min=AMOUNT]."""
    outcome = await services.subscriptions.subscribe(command["channel_id"], command["user_id"], rest)
    await respond(messages.message(outcome.text))


async def unsubscribe(services: Services, command: dict[str, Any], rest: str, respond: Any) -> None:
    """/account unsubscribe ACCOUNT|all [kinds]."""
    outcome = await services.subscriptions.unsubscribe(command["channel_id"], rest)
    await respond(messages.message(outcome.text))


async def list_subscriptions(services: Services, command: dict[str, Any], rest: str, respond: Any) -> None:
    """/account subscriptions."""
    outcome = await services.subscriptions.list(command["channel_id"])
    await respond(subscriptions_list(outcome.text, outcome.subscriptions, services.clock()))


async def link(services: Services, command: dict[str, Any], rest: str, respond: Any) -> None:
    """/account link ACCOUNT: bind this channel to an account."""
    outcome = await services.subscriptions.link(command["channel_id"], command["user_id"], rest)
    await respond(messages.message(outcome.text))


async def unlink(services: Services, command: dict[str, Any], rest: str, respond: Any) -> None:
    """/account unlink."""
    outcome = await services.subscriptions.unlink(command["channel_id"])
    await respond(messages.message(outcome.text))


async def doctor(services: Services, command: dict[str, Any], rest: str, respond: Any) -> None:
    """/account doctor: every connection and the alert pipeline, in words that say what to do."""
    await respond(doctor_message(await services.doctor.report(), services.clock()))


async def unlinked(services: Services, command: dict[str, Any], rest: str, respond: Any) -> None:
    """/account unlinked: what is not joined yet, worst first, with suggested links (after the ack)."""
    await respond(unlinked_message(await services.unlinked.report(fresh=True), services.clock()))


SUBCOMMANDS: Final[dict[str, Subcommand]] = {
    "help": show_help,
    "subscribe": subscribe,
    "unsubscribe": unsubscribe,
    "subscriptions": list_subscriptions,
    "link": link,
    "unlink": unlink,
    "doctor": doctor,
    "unlinked": unlinked,
}


async def on_account(ack: Any, command: dict[str, Any], respond: Any, context: Any) -> None:
    """/account QUERY | subcommand; the answer rides in the ack when ready within CARD_WAIT_SECONDS."""
    services = services_of(context)
    await answer_in_ack(
        ack, respond, lambda answer: account(services, command, answer), services.settings.card_wait_seconds
    )


async def account(services: Services, command: dict[str, Any], respond: Reply) -> None:
    """The answer to /account: a card, a subcommand's reply, help, or a refusal."""
    if not await allowed(services, command["user_id"]):
        await respond(messages.refusal())
        return
    text = (command.get("text") or "").strip()
    verb, _, rest = text.partition(" ")
    subcommand = SUBCOMMANDS.get(verb.lower())
    if not text:
        linked = await services.cards.for_channel(command["channel_id"])
        await respond(
            messages.help_message(accounting=services.accounting.system)
            if linked is None
            else reply(linked, services.clock())
        )
    elif subcommand is not None:
        await subcommand(services, command, rest.strip(), respond)
        return
    else:
        linked = await services.cards.for_query(text)
        await respond(reply(linked, services.clock()))
    if linked is not None:
        await complete_later(services, linked, respond, lambda later: card_response(later, services.clock()))


COMMANDS: Final[dict[str, Callable[..., Awaitable[None]]]] = {"/account": acked_first(on_account)}


def register(app: AsyncApp) -> None:
    """The slash commands, for Bolt (Socket Mode, and HTTP until Bolt has authorized; bot.slash after)."""
    for name, listener in COMMANDS.items():
        app.command(name)(listener)
