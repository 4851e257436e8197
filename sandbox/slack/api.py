"""The Web API methods: each takes the merged arguments and returns the fields after `ok`.

A mixin of `SlackEmulator`; the state it reads (users, channels, members, messages...) is
created in the emulator's `__init__`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.slack.blocks import block_errors
from sandbox.slack.common import SlackError, invalid
from sandbox.slack.directory import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

Args = dict[str, Any]


JSON_ARGS = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "view": "invalid_arguments",
    "unfurls": "invalid_unfurls_format",
    "metadata": "invalid_metadata_format",
}
UNFURL_SOURCES = ("composer", "conversations_history")


class WebApi:
    """Slack Web API method implementations (mixed into SlackEmulator)."""

    users: dict[str, dict[str, Any]]
    members: dict[str, set[str]]
    teams: dict[str, dict[str, Any]]
    scopes: set[str]
    clock: Callable[[], float]
    strict_unfurls: bool
    base_url: str
    _messages: dict[str, list[dict[str, Any]]]
    _link_shares: dict[str, set[str]]
    deleted: list[dict[str, Any]]
    ephemerals: list[dict[str, Any]]
    unfurls: list[dict[str, Any]]

    if TYPE_CHECKING:  # provided by the emulator

        def next_ts(self) -> str: ...

        def check_post_rate(self, channel_id: str) -> None: ...

        def find_channel(self, ref: Any, *, by_name: bool = False) -> dict[str, Any]: ...

    # -- helpers --------------------------------------------------------------------------

    @staticmethod
    def json_arg(a: Args, key: str) -> Any:
        """An argument that may arrive as a JSON string (form bodies) or as JSON already."""
        value = a.get(key)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise SlackError(JSON_ARGS.get(key, "invalid_arguments")) from None
            a[key] = value
        return value

    def user_view(self, user: dict[str, Any]) -> dict[str, Any]:
        """A user as this token may see it (email only with users:read.email)."""
        out = copy.deepcopy(user)
        if "users:read.email" not in self.scopes:
            out["profile"].pop("email", None)
        return out

    def writable(self, channel: dict[str, Any]) -> None:
        """Raise as Slack does when the bot may not post in `channel`."""
        if channel.get("is_archived"):
            raise SlackError("is_archived")
        if BOT_USER_ID not in self.members.get(channel["id"], ()) and "chat:write.public" not in self.scopes:
            raise SlackError("not_in_channel")

    def content(self, a: Args, *, surface: str = "message", require: bool = True) -> Args:
        """Validated text / blocks / attachments of a message."""
        out: Args = {}
        blocks = self.json_arg(a, "blocks")
        attachments = self.json_arg(a, "attachments")
        text = a.get("text")
        if blocks is not None:
            if not isinstance(blocks, list):
                raise SlackError("invalid_blocks_format")
            errors = block_errors(blocks, surface)
            if errors:
                raise invalid("invalid_blocks", errors)
            out["blocks"] = blocks
        if attachments is not None:
            if not isinstance(attachments, list):
                raise SlackError("invalid_attachments")
            for i, att in enumerate(attachments):
                if isinstance(att, dict) and "blocks" in att:
                    errors = block_errors(att["blocks"], surface, f"/attachments/{i}/blocks")
                    if errors:
                        raise invalid("invalid_blocks", errors)
            out["attachments"] = attachments
        if text is not None:
            if len(str(text)) > 40000:
                raise SlackError("msg_too_long")
            out["text"] = str(text)
        if require and not (out.get("text") or out.get("blocks") or out.get("attachments")):
            raise SlackError("no_text")
        return out

    def bot_message(self, ts: str, body: Args) -> dict[str, Any]:
        """A message object as posted by the app's bot user."""
        msg: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": body.get("text", ""),
            "ts": ts,
            "team": TEAM_ID,
            "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "name": "accountbot", "team_id": TEAM_ID, "deleted": False},
        }
        for key in ("blocks", "attachments", "metadata"):
            if body.get(key) is not None:
                msg[key] = body[key]
        return msg

    def checked_metadata(self, a: Args) -> dict[str, Any] | None:
        """Message metadata: {"event_type": str, "event_payload": object}, as JSON or a JSON string."""
        metadata = self.json_arg(a, "metadata")
        if metadata is None:
            return None
        if not isinstance(metadata, dict):
            raise SlackError("invalid_metadata_format")
        event_type, payload = metadata.get("event_type"), metadata.get("event_payload")
        if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
            raise SlackError("invalid_metadata_schema")
        if len(json.dumps(metadata)) > 8000:  # Slack refuses large metadata; this size is our guess
            raise SlackError("metadata_too_large")
        return {"event_type": event_type, "event_payload": payload}

    def find_message(self, channel_id: str, ts: Any) -> dict[str, Any]:
        """A stored message or message_not_found."""
        for msg in self._messages.get(channel_id, []):
            if msg["ts"] == ts:
                return msg
        raise SlackError("message_not_found")

    # -- auth, team, users ----------------------------------------------------------------

    async def auth_test(self, a: Args) -> Args:
        """auth.test: who the token is (team, bot user, URL)."""
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": self.teams[TEAM_ID]["name"],
            "user": "accountbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    async def team_info(self, a: Args) -> Args:
        """team.info: our team, or a connected team by `team`."""
        team = self.teams.get(a.get("team") or TEAM_ID)
        if team is None:
            raise SlackError("team_not_found")
        return {"team": copy.deepcopy(team)}

    async def users_info(self, a: Args) -> Args:
        """users.info: a user, or user_not_found."""
        user = self.users.get(a.get("user") or "")
        if user is None:
            raise SlackError("user_not_found")
        return {"user": self.user_view(user)}

    async def users_lookup_by_email(self, a: Args) -> Args:
        """users.lookupByEmail: a member of our team by email, or users_not_found."""
        email = (a.get("email") or "").strip().lower()
        for user in self.users.values():
            if (
                user["team_id"] == TEAM_ID
                and not user.get("is_bot")
                and user["profile"].get("email", "").lower() == email
                and email
            ):
                return {"user": self.user_view(user)}
        raise SlackError("users_not_found")

    # -- chat -----------------------------------------------------------------------------

    async def chat_post_message(self, a: Args) -> Args:
        """chat.postMessage: post as the bot (channel ID, name or user ID)."""
        channel = self.find_channel(a.get("channel"), by_name=True)
        self.writable(channel)
        body = self.content(a)
        metadata = self.checked_metadata(a)
        self.check_post_rate(channel["id"])  # counts messages, not refused requests
        ts = self.next_ts()
        msg = self.bot_message(ts, {**body, "metadata": metadata})
        if a.get("thread_ts"):
            msg["thread_ts"] = str(a["thread_ts"])
        self._messages.setdefault(channel["id"], []).append(msg)
        return {"channel": channel["id"], "ts": ts, "message": msg}

    async def chat_post_ephemeral(self, a: Args) -> Args:
        """chat.postEphemeral: a message only `user` sees."""
        channel = self.find_channel(a.get("channel"), by_name=True)
        user_id = a.get("user") or ""
        if user_id not in self.users:
            raise SlackError("user_not_found")
        self.writable(channel)
        if user_id not in self.members.get(channel["id"], ()):
            raise SlackError("user_not_in_channel")
        body = self.content(a)
        ts = self.next_ts()
        self.ephemerals.append(
            {
                "channel": channel["id"],
                "user": user_id,
                "ts": ts,
                "via": "chat.postEphemeral",
                "message": self.bot_message(ts, body),
            }
        )
        return {"message_ts": ts}

    async def chat_update(self, a: Args) -> Args:
        """chat.update: edit one of the bot's messages."""
        channel = self.find_channel(a.get("channel"))
        msg = self.find_message(channel["id"], a.get("ts"))
        if msg.get("user") != BOT_USER_ID:
            raise SlackError("cant_update_message")
        if channel.get("is_archived"):
            raise SlackError("is_archived")
        body = self.content(a)
        msg.update(body)
        msg["edited"] = {"user": BOT_USER_ID, "ts": self.next_ts()}
        return {"channel": channel["id"], "ts": msg["ts"], "text": msg.get("text", ""), "message": msg}

    async def chat_delete(self, a: Args) -> Args:
        """chat.delete: delete one of the bot's messages."""
        channel = self.find_channel(a.get("channel"))
        msg = self.find_message(channel["id"], a.get("ts"))
        if msg.get("user") != BOT_USER_ID:
            raise SlackError("cant_delete_message")
        self._messages[channel["id"]].remove(msg)
        self.deleted.append({"channel": channel["id"], **msg})
        return {"channel": channel["id"], "ts": msg["ts"]}

    async def chat_get_permalink(self, a: Args) -> Args:
        """chat.getPermalink: a message's permalink."""
        channel = self.find_channel(a.get("channel"))
        msg = self.find_message(channel["id"], a.get("message_ts"))
        return {
            "channel": channel["id"],
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/archives/{channel['id']}/p{msg['ts'].replace('.', '')}",
        }

    async def chat_unfurl(self, a: Args) -> Args:
        """chat.unfurl: by channel+ts or unfurl_id+source, `unfurls` keyed by URL."""
        unfurls = self.json_arg(a, "unfurls")
        unfurl_id, source = a.get("unfurl_id"), a.get("source")
        if unfurl_id or source:
            if not unfurl_id:
                raise SlackError("missing_unfurl_id")
            if not source:
                raise SlackError("missing_source")
            if source not in UNFURL_SOURCES:
                raise SlackError("invalid_source")
            key, channel_id, ts = f"id:{unfurl_id}", a.get("channel"), a.get("ts")
        else:
            if not a.get("channel"):
                raise SlackError("missing_channel")
            if not a.get("ts"):
                raise SlackError("missing_ts")
            channel_id = self.find_channel(a.get("channel"))["id"]
            ts = str(a["ts"])
            key = f"ts:{channel_id}:{ts}"
        if unfurls is None:
            raise SlackError("missing_unfurls")
        if not isinstance(unfurls, dict) or not all(isinstance(v, dict) for v in unfurls.values()):
            raise SlackError("invalid_unfurls_format")
        errors: list[str] = []
        for url, unfurl in unfurls.items():
            if "blocks" in unfurl:
                errors += block_errors(unfurl["blocks"], "unfurl", f"/unfurls/{url}/blocks")
        if errors:
            raise invalid("invalid_blocks", errors)
        shared = self._link_shares.get(key)
        if shared is None and self.strict_unfurls:
            raise SlackError("invalid_unfurl_id" if unfurl_id else "cannot_unfurl_message")
        if shared is not None and not set(unfurls) <= shared:
            raise SlackError("cannot_unfurl_url")
        self.unfurls.append(
            {
                "channel": channel_id,
                "ts": ts,
                "unfurl_id": unfurl_id,
                "source": source,
                "unfurls": unfurls,
                "known": shared is not None,
            }
        )
        return {}
