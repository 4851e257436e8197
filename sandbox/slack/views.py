"""The views methods (views.open, views.push, views.update, views.publish) and the trigger_ids they take.

A mixin of `SlackEmulator`, beside `WebApi`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.slack.blocks import view_errors
from sandbox.slack.common import SlackError, invalid
from sandbox.slack.directory import APP_ID, BOT_ID, TEAM_ID

Args = dict[str, Any]


@dataclass
class Trigger:
    """A trigger_id the emulator issued: valid for `trigger_ttl` seconds, once."""

    id: str
    user_id: str | None
    issued_at: float
    used: bool = False


class ViewsApi:
    """Slack's modal and Home tab methods (mixed into SlackEmulator)."""

    users: dict[str, dict[str, Any]]
    clock: Callable[[], float]
    trigger_ttl: float
    _triggers: dict[str, Trigger]
    views: dict[str, dict[str, Any]]
    view_log: list[dict[str, Any]]
    modal_stacks: dict[str, list[str]]
    homes: dict[str, str]

    if TYPE_CHECKING:  # provided by WebApi

        @staticmethod
        def json_arg(a: Args, key: str) -> Any: ...

    def take_trigger(self, trigger_id: Any) -> Trigger:
        """Check a trigger_id: issued here, unused, younger than `trigger_ttl`."""
        trigger = self._triggers.get(trigger_id or "")
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self.clock() - trigger.issued_at > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        return trigger

    def checked_view(self, a: Args, expect: str) -> dict[str, Any]:
        """The `view` argument, validated (invalid_arguments with messages otherwise)."""
        view = self.json_arg(a, "view")
        if view is None:
            raise invalid("invalid_arguments", ["[ERROR] missing required field: view"])
        errors = view_errors(view, expect=expect)
        if errors:
            raise invalid("invalid_arguments", errors)
        external_id = view.get("external_id")
        if external_id and any(
            v.get("external_id") == external_id and v["id"] != a.get("view_id") for v in self.views.values()
        ):
            raise SlackError("duplicate_external_id")
        return view

    def store_view(
        self,
        view: dict[str, Any],
        user_id: str | None,
        *,
        view_id: str | None = None,
        root: str | None = None,
        previous: str | None = None,
    ) -> dict[str, Any]:
        """Render and keep a view as Slack returns it."""
        vid = view_id or "V" + secrets.token_hex(5).upper()
        stored = {
            "id": vid,
            "team_id": TEAM_ID,
            "type": view["type"],
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(self.clock())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close")),
            "notify_on_close": bool(view.get("notify_on_close")),
            "root_view_id": root or vid,
            "previous_view_id": previous,
            "app_id": APP_ID,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
            "user_id": user_id,
        }
        self.views[vid] = stored
        return stored

    async def views_open(self, a: Args) -> Args:
        """views.open: a modal from a fresh trigger_id."""
        trigger = self.take_trigger(a.get("trigger_id"))
        view = self.checked_view(a, "modal")
        trigger.used = True
        user = trigger.user_id or "unknown"
        stored = self.store_view(view, user)
        self.modal_stacks[user] = [stored["id"]]
        self.view_log.append({"method": "views.open", "user": user, "view": stored})
        return {"view": stored}

    async def views_push(self, a: Args) -> Args:
        """views.push: stack a modal (at most 3)."""
        trigger = self.take_trigger(a.get("trigger_id"))
        view = self.checked_view(a, "modal")
        user = trigger.user_id or "unknown"
        stack = self.modal_stacks.setdefault(user, [])
        if len(stack) >= 3:
            raise SlackError("push_limit_reached")
        trigger.used = True
        stored = self.store_view(view, user, root=stack[0] if stack else None, previous=stack[-1] if stack else None)
        stack.append(stored["id"])
        self.view_log.append({"method": "views.push", "user": user, "view": stored})
        return {"view": stored}

    async def views_update(self, a: Args) -> Args:
        """views.update: replace a view by view_id or external_id, honouring hash."""
        current = self.views.get(a.get("view_id") or "")
        if current is None and a.get("external_id"):
            current = next((v for v in self.views.values() if v["external_id"] == a["external_id"]), None)
        if current is None:
            raise SlackError("not_found")
        if a.get("hash") and a["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        a["view_id"] = current["id"]
        view = self.checked_view(a, current["type"])
        stored = self.store_view(
            view,
            current["user_id"],
            view_id=current["id"],
            root=current["root_view_id"],
            previous=current["previous_view_id"],
        )
        self.view_log.append({"method": "views.update", "user": current["user_id"], "view": stored})
        return {"view": stored}

    async def views_publish(self, a: Args) -> Args:
        """views.publish: a user's Home tab."""
        user_id = a.get("user_id") or ""
        user = self.users.get(user_id)
        if user is None or user["team_id"] != TEAM_ID:
            raise SlackError("user_not_found")
        view = self.checked_view(a, "home")
        current = self.views.get(self.homes.get(user_id, ""))
        if current and a.get("hash") and a["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        stored = self.store_view(view, user_id, view_id=current["id"] if current else None)
        self.homes[user_id] = stored["id"]
        self.view_log.append({"method": "views.publish", "user": user_id, "view": stored})
        return {"view": stored}
