"""Conversations: lookup as the bot sees them, DMs and group DMs, and the conversations.* methods.

A mixin of `SlackEmulator`; the scope a method needs follows the conversation's kind
(`sandbox.slack.scopes`).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from sandbox.slack.common import SlackError, truthy
from sandbox.slack.directory import BOT_NAME, BOT_USER_ID, dm_id, make_dm, make_group_dm
from sandbox.slack.scopes import conversation_kind, require_kind_scope

Args = dict[str, Any]
MAX_GROUP_DM_USERS = 8  # conversations.open: "Needs at most 8 users to open"


class Conversations:
    """Conversation lookup and the conversations.* methods (mixed into SlackEmulator)."""

    users: dict[str, dict[str, Any]]
    channels: dict[str, dict[str, Any]]
    members: dict[str, set[str]]
    scopes: set[str]

    def channel_view(self, channel: dict[str, Any], *, num_members: bool = False) -> dict[str, Any]:
        """A channel as conversations.info shows it to the bot."""
        out = copy.deepcopy(channel)
        members = self.members.get(channel["id"], set())
        if not channel.get("is_im"):
            out["is_member"] = BOT_USER_ID in members
        if num_members:
            out["num_members"] = len(members - {BOT_USER_ID})
        return out

    def find_channel(self, ref: Any, *, by_name: bool = False) -> dict[str, Any]:
        """The channel for an ID (or a name / user ID when `by_name`), as the bot can see it."""
        if not ref or not isinstance(ref, str):
            raise SlackError("channel_not_found")
        channel = self.channels.get(ref)
        if channel is None and by_name:
            name = ref.lstrip("#")
            channel = next((c for c in self.channels.values() if c.get("name") == name), None)
            if channel is None and ref in self.users:
                channel = self.open_dm(ref)
        if channel is None:
            raise SlackError("channel_not_found")
        if channel.get("is_private") and BOT_USER_ID not in self.members.get(channel["id"], ()):
            raise SlackError("channel_not_found")  # a private channel the bot is not in is invisible
        return channel

    def dm_user(self, user_id: str) -> dict[str, Any]:
        """A person the app may open a DM with, or Slack's error."""
        user = self.users.get(user_id)
        if user is None or user.get("is_bot"):
            raise SlackError("user_not_found")
        if user.get("deleted"):
            raise SlackError("user_disabled")
        return user

    def open_dm(self, user_id: str) -> dict[str, Any]:
        """The app's DM channel with a user, created on first use."""
        self.dm_user(user_id)
        channel_id = dm_id(user_id)
        if channel_id not in self.channels:
            self.channels[channel_id] = make_dm(user_id)
            self.members[channel_id] = {user_id, BOT_USER_ID}
        return self.channels[channel_id]

    def open_group_dm(self, user_ids: list[str]) -> dict[str, Any]:
        """The group DM of exactly these people and the bot, created on first use."""
        handles = [self.dm_user(u)["name"] for u in user_ids]
        wanted = {*user_ids, BOT_USER_ID}
        for channel in self.channels.values():
            if channel.get("is_mpim") and self.members.get(channel["id"]) == wanted:
                return channel
        channel_id = "G" + hashlib.sha1(",".join(sorted(wanted)).encode()).hexdigest()[:10].upper()
        self.channels[channel_id] = make_group_dm(channel_id, [*handles, BOT_NAME], creator=BOT_USER_ID)
        self.members[channel_id] = wanted
        return self.channels[channel_id]

    # -- conversations --------------------------------------------------------------------

    async def conversations_info(self, a: Args) -> Args:
        """conversations.info: a channel the bot can see, or channel_not_found."""
        channel = self.find_channel(a.get("channel"))
        require_kind_scope("conversations.info", conversation_kind(channel), self.scopes)
        return {"channel": self.channel_view(channel, num_members=truthy(a.get("include_num_members")))}

    async def conversations_members(self, a: Args) -> Args:
        """conversations.members: member IDs, paged with cursor/limit."""
        channel = self.find_channel(a.get("channel"))
        require_kind_scope("conversations.members", conversation_kind(channel), self.scopes)
        members = sorted(self.members.get(channel["id"], set()))
        start = int(a.get("cursor") or 0)
        limit = max(1, min(int(a.get("limit") or 100), 1000))
        page = members[start : start + limit]
        nxt = str(start + limit) if start + limit < len(members) else ""
        return {"members": page, "response_metadata": {"next_cursor": nxt}}

    async def conversations_join(self, a: Args) -> Args:
        """conversations.join: put the bot in a public, unarchived channel."""
        channel = self.channels.get(a.get("channel") or "")
        if channel is None:
            raise SlackError("channel_not_found")
        if channel.get("is_private") or channel.get("is_im"):
            if BOT_USER_ID not in self.members.get(channel["id"], ()):
                raise SlackError("channel_not_found")
            raise SlackError("method_not_supported_for_channel_type")
        if channel.get("is_archived"):
            raise SlackError("is_archived")
        members = self.members.setdefault(channel["id"], set())
        already = BOT_USER_ID in members
        members.add(BOT_USER_ID)
        out: Args = {"channel": self.channel_view(channel)}
        if already:
            out["warning"] = "already_in_channel"
            out["response_metadata"] = {"warnings": ["already_in_channel"]}
        return out

    async def conversations_open(self, a: Args) -> Args:
        """conversations.open: the DM with one user, the group DM with several, or `channel` resumed.

        One user needs im:write, several (at most 8) mpim:write; a `channel` must be a DM or
        a group DM, and needs the scope of its kind.
        """
        users = [u.strip() for u in str(a.get("users") or "").split(",") if u.strip()]
        if not users and a.get("channel"):
            channel = self.find_channel(a.get("channel"))
            require_kind_scope("conversations.open", conversation_kind(channel), self.scopes)
            return {"channel": {"id": channel["id"]}}
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > MAX_GROUP_DM_USERS:
            raise SlackError("too_many_users")
        require_kind_scope("conversations.open", "im" if len(users) == 1 else "mpim", self.scopes)
        channel = self.open_dm(users[0]) if len(users) == 1 else self.open_group_dm(users)
        return {"channel": {"id": channel["id"]}}
