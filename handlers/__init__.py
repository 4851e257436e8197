"""Thin Slack listeners: ack, parse, call one service, render with `blocks`, send."""
from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

if TYPE_CHECKING:
    from bot.app import AppDeps


def register(app: AsyncApp, deps: "AppDeps") -> None:
    """Wire every listener module."""
    from handlers import actions, commands, events, home, subscriptions, unfurls, views

    for module in (commands, subscriptions, actions, views, unfurls, events, home):
        module.register(app, deps)
