"""/account subscribe, unsubscribe, subscriptions, doctor."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from blocks import messages
from blocks.admin import doctor_message, subscriptions_list
from bot.doctor import report
from bot.subscriptions import SubscriptionService
from handlers.commands import subcommand

if TYPE_CHECKING:
    from bot.app import AppDeps


def _service(deps: "AppDeps") -> SubscriptionService:
    return SubscriptionService(deps.store, deps.cards, deps.directory)


@subcommand("subscribe")
async def _subscribe(deps: "AppDeps", command: dict[str, Any], rest: str, respond: Any) -> None:
    outcome = await _service(deps).subscribe(command["channel_id"], command["user_id"], rest)
    await respond(messages.message(outcome.text))


@subcommand("link")
async def _link(deps: "AppDeps", command: dict[str, Any], rest: str, respond: Any) -> None:
    outcome = await _service(deps).link(command["channel_id"], command["user_id"], rest)
    await respond(messages.message(outcome.text))


@subcommand("unlink")
async def _unlink(deps: "AppDeps", command: dict[str, Any], rest: str, respond: Any) -> None:
    outcome = await _service(deps).unlink(command["channel_id"])
    await respond(messages.message(outcome.text))


@subcommand("unsubscribe")
async def _unsubscribe(deps: "AppDeps", command: dict[str, Any], rest: str, respond: Any) -> None:
    outcome = await _service(deps).unsubscribe(command["channel_id"], rest)
    await respond(messages.message(outcome.text))


@subcommand("subscriptions")
async def _subscriptions(deps: "AppDeps", command: dict[str, Any], rest: str, respond: Any) -> None:
    outcome = await _service(deps).list(command["channel_id"])
    await respond(subscriptions_list(outcome.text, outcome.subscriptions, deps.clock()))


@subcommand("doctor")
async def _doctor(deps: "AppDeps", command: dict[str, Any], rest: str, respond: Any) -> None:
    await respond(doctor_message(await report(deps), deps.clock()))


def register(app: AsyncApp, deps: "AppDeps") -> None:
    """The subcommands register themselves in the /account table on import."""
