"""Thin Slack listeners: ack, parse, call one service, render with `blocks`, send.

Each module's listeners are module-level functions; `register(app)` wires them all. A
listener takes its services from `context["services"]` (put there by the app's middleware).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

if TYPE_CHECKING:
    from bot.models.views import QueryResult
    from bot.wiring import Services


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


async def complete_later(
    services: Services, result: QueryResult, respond: Any, render: Callable[[QueryResult], dict[str, Any]]
) -> None:
    """A card that said a section was on its way: the same message, completed when the section lands."""
    later = await services.cards.completed(result)
    if later is not None:
        await respond(render(later))
