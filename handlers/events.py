"""Other events; app_home_opened and friends arrive with later issues."""
from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

if TYPE_CHECKING:
    from bot.app import AppDeps


def register(app: AsyncApp, deps: "AppDeps") -> None:
    """No other events yet."""
