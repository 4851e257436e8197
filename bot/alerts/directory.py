"""Slack people and channels for the alert pipeline: email → user, channel membership."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
TTL: Final = 3600.0


@dataclass(frozen=True)
class ChannelState:
    exists: bool
    is_member: bool
    is_archived: bool
    name: str | None = None


class SlackDirectory:
    """Cached lookups the alert engine and /account subscribe need."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._emails: TTLCache[str, str | None] = TTLCache(10_000, TTL)

    async def user_for_email(self, email: str) -> str | None:
        """The Slack user with this email (the HubSpot owner's), or None."""
        key = email.lower()
        if key in self._emails:
            return self._emails[key]
        try:
            user = (await self.client.users_lookupByEmail(email=email))["user"]
            found: str | None = user["id"] if not user.get("deleted") else None
        except SlackApiError as exc:
            if exc.response.get("error") != "users_not_found":
                log.warning("users.lookupByEmail failed: %s", exc.response.get("error"))
                return None
            found = None
        self._emails[key] = found
        return found

    async def channel(self, channel_id: str) -> ChannelState:
        """Whether the bot can post in a channel."""
        try:
            channel = (await self.client.conversations_info(channel=channel_id))["channel"]
        except SlackApiError as exc:
            if exc.response.get("error") == "channel_not_found":
                return ChannelState(False, False, False)
            raise
        if channel.get("is_im"):
            return ChannelState(True, True, False, "direct message")
        return ChannelState(True, bool(channel.get("is_member")), bool(channel.get("is_archived")), channel.get("name"))
