"""Who may see an account: full members of the installing workspace (or its Enterprise org).

Guests (is_restricted / is_ultra_restricted) and people of another organisation (Slack
Connect) are refused on every surface. Channels shared with another organisation get
name-and-stage-only unfurls. Lookups are cached.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Final

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
USER_TTL: Final = 600.0
CHANNEL_TTL: Final = 300.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str  # "member", "guest", "external", "unknown"


class Gatekeeper:
    """Decides from users.info and conversations.info, with TTL caches."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.team_id: str | None = None
        self.enterprise_id: str | None = None
        self._users: TTLCache[str, Verdict] = TTLCache(10_000, USER_TTL)
        self._channels: TTLCache[str, bool] = TTLCache(10_000, CHANNEL_TTL)
        self._names: TTLCache[str, str] = TTLCache(10_000, USER_TTL)
        self._emails: TTLCache[str, str | None] = TTLCache(10_000, USER_TTL)
        self._tz: TTLCache[str, str | None] = TTLCache(10_000, USER_TTL)
        self._asking: dict[str, asyncio.Task[Verdict]] = {}  # users.info under way: one call per user
        self._auth: asyncio.Task[None] | None = None

    async def installing_team(self) -> str | None:
        """The team this bot token belongs to (auth.test, once)."""
        if self.team_id is None:
            if self._auth is None or self._auth.done():
                self._auth = asyncio.ensure_future(self._auth_test())
            await asyncio.shield(self._auth)
        return self.team_id

    async def _auth_test(self) -> None:
        auth = await self.client.auth_test()
        self.team_id = auth.get("team_id")
        self.enterprise_id = auth.get("enterprise_id")

    async def user(self, user_id: str) -> Verdict:
        """Member of this organisation and not a guest → allowed."""
        cached = self._users.get(user_id)
        if cached is not None:
            return cached
        asking = self._asking.get(user_id)
        if asking is None:  # concurrent commands of one person share one users.info
            asking = self._asking[user_id] = asyncio.ensure_future(self._look_up(user_id))
            asking.add_done_callback(lambda t: self._asking.pop(user_id) if self._asking.get(user_id) is t else None)
        return await asyncio.shield(asking)

    async def _look_up(self, user_id: str) -> Verdict:
        team = await self.installing_team()
        try:
            info = (await self.client.users_info(user=user_id))["user"]
        except SlackApiError as exc:
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error"))
            return Verdict(False, "unknown")  # not cached: may be transient
        profile = info.get("profile") or {}
        self._emails[user_id] = profile.get("email")
        self._tz[user_id] = info.get("tz")
        self._names[user_id] = profile.get("real_name") or info.get("real_name") or info.get("name") or user_id
        if info.get("is_restricted") or info.get("is_ultra_restricted"):
            verdict = Verdict(False, "guest")
        elif info.get("team_id") == team or (
            self.enterprise_id and (info.get("enterprise_user") or {}).get("enterprise_id") == self.enterprise_id
        ):
            verdict = Verdict(True, "member")
        else:
            verdict = Verdict(False, "external")
        self._users[user_id] = verdict
        return verdict

    async def display_name(self, user_id: str) -> str | None:
        """The person's name as Slack shows it (after `user` looked them up)."""
        if user_id not in self._names:
            await self.user(user_id)
        return self._names.get(user_id)

    async def email(self, user_id: str) -> str | None:
        """The person's email (needs users:read.email), after `user` looked them up."""
        if user_id not in self._emails:
            await self.user(user_id)
        return self._emails.get(user_id)

    async def timezone(self, user_id: str) -> str | None:
        """The person's Slack time zone (e.g. "Europe/Berlin")."""
        if user_id not in self._tz:
            await self.user(user_id)
        return self._tz.get(user_id)

    async def channel_is_external(self, channel_id: str) -> bool:
        """True when the channel is shared with another organisation (or we cannot tell)."""
        cached = self._channels.get(channel_id)
        if cached is not None:
            return cached
        try:
            channel = (await self.client.conversations_info(channel=channel_id))["channel"]
        except SlackApiError as exc:
            log.warning("conversations.info %s failed: %s", channel_id, exc.response.get("error"))
            return True  # fail closed: never leak to an audience we could not check
        team = await self.installing_team()
        connected = set(channel.get("connected_team_ids") or [])
        external = bool(channel.get("is_ext_shared")) or bool(connected - {team})
        self._channels[channel_id] = external
        return external
