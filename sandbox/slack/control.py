"""What tests (and the demo) change in the workspace: users, channels, memberships, lost answers, limits.

A mixin of `SlackEmulator`, whose `__init__` creates the state changed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sandbox.slack import directory as d


class DirectoryControl:
    """Control methods on the directory and the limits (mixed into SlackEmulator)."""

    today: date
    users: dict[str, dict[str, Any]]
    channels: dict[str, dict[str, Any]]
    members: dict[str, set[str]]
    _overrides: dict[str, tuple[int, float] | None]
    _lost_posts: list[int | None]

    def add_user(
        self,
        user_id: str,
        first: str,
        last: str = "",
        *,
        email: str | None = None,
        team_id: str = d.TEAM_ID,
        tz: str = "America/New_York",
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        channels: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Add a user (and put them in `channels`)."""
        user = d.make_user(
            user_id,
            first,
            last,
            email=email,
            today=self.today,
            team_id=team_id,
            tz=tz,
            is_restricted=is_restricted,
            is_ultra_restricted=is_ultra_restricted,
        )
        self.users[user_id] = user
        for channel_id in channels:
            self.members.setdefault(channel_id, set()).add(user_id)
        return user

    def set_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        """Change a user: top-level fields (team_id, is_restricted, deleted...) or profile ones."""
        user = self.users[user_id]
        for key, value in fields.items():
            if key in d.PROFILE_KEYS:
                if value is None:
                    user["profile"].pop(key, None)
                else:
                    user["profile"][key] = value
            else:
                user[key] = value
                if key == "team_id":
                    user["profile"]["team"] = value
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_private: bool = False,
        is_archived: bool = False,
        bot_member: bool = True,
        connected_team_ids: tuple[str, ...] = (),
        members: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Add a channel; `connected_team_ids` makes it a Slack Connect channel."""
        channel = d.make_channel(
            channel_id, name, is_private=is_private, is_archived=is_archived, connected_team_ids=connected_team_ids
        )
        self.channels[channel_id] = channel
        self.members[channel_id] = set(members) | ({d.BOT_USER_ID} if bot_member else set())
        return channel

    def set_channel(self, channel_id: str, **fields: Any) -> dict[str, Any]:
        """Change a channel; `is_member` sets the bot's membership, `connected_team_ids` sharing."""
        channel = self.channels[channel_id]
        for key, value in fields.items():
            if key == "is_member":
                self.set_member(channel_id, d.BOT_USER_ID, bool(value))
            elif key == "connected_team_ids":
                others = [t for t in value if t != d.TEAM_ID]
                channel.update(is_shared=bool(others), is_ext_shared=bool(others))
                if others:
                    channel["connected_team_ids"] = [d.TEAM_ID, *others]
                else:
                    channel.pop("connected_team_ids", None)
            else:
                channel[key] = value
        return channel

    def set_member(self, channel_id: str, user_id: str, member: bool = True) -> None:
        """Put a user (or the bot, BOT_USER_ID) in a channel or take them out."""
        members = self.members.setdefault(channel_id, set())
        if member:
            members.add(user_id)
        else:
            members.discard(user_id)

    def fail_after_post(self, count: int = 1, status: int | None = 500) -> None:
        """The next `count` accepted chat.postMessage calls store the message, then answer
        `status` (a 5xx) or, with status None, drop the connection: the answer never arrives."""
        if status is not None and status < 500:
            raise ValueError("fail_after_post answers a server error (5xx) or None (dropped connection)")
        self._lost_posts.extend([status] * count)

    def set_rate_limit(self, method: str, limit: int | None, window: float = 60.0) -> None:
        """Override a method's limit (chat.postMessage: per channel); None lifts it."""
        self._overrides[method] = None if limit is None else (limit, window)
