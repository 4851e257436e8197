"""Slack channels for the alert pipeline: can the bot post there?"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelState:
    exists: bool
    is_member: bool
    is_archived: bool
    name: str | None = None


class SlackDirectory:
    """The channel check /account subscribe needs."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

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
