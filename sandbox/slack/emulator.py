"""SlackEmulator: the Slack Web API, response_url endpoints and Socket Mode on one aiohttp app.

Requests are read the way slack_sdk sends them: arguments from the query string, a
form-encoded or multipart body, or a JSON body; the token from `Authorization: Bearer`
or a `token` argument. Answers use Slack's envelope (`{"ok": true, ...}` /
`{"ok": false, "error": ...}`, HTTP 200 except unknown_method 404 and ratelimited 429).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import math
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Final, NamedTuple

from aiohttp import web

from sandbox.book import PEOPLE, Account
from sandbox.core import CONTROL_PREFIX, Emulator, bearer_token
from sandbox.slack import directory as d
from sandbox.slack.api import WebApi
from sandbox.slack.common import SlackError, Window
from sandbox.slack.control import DirectoryControl
from sandbox.slack.conversations import Conversations
from sandbox.slack.forge import link_shared_event, slash_command_fields
from sandbox.slack.history import History
from sandbox.slack.responses import ResponseUrl, ResponseUrls
from sandbox.slack.scopes import BOT_SCOPES, accepted, missing_scope
from sandbox.slack.socket import SocketMode
from sandbox.slack.views import Trigger, ViewsApi


class Spec(NamedTuple):
    """How a Web API method is served: handler name, scopes (any one; comma-separated), rate tier (None: special).

    For a method in `scopes.TYPED_SCOPES` the handler then asks for the conversation kind's own scope.
    """

    handler: str
    scope: str | None
    tier: int | None


METHODS: Final[dict[str, Spec]] = {
    "auth.test": Spec("auth_test", None, 4),
    "team.info": Spec("team_info", "team:read", 3),
    "users.info": Spec("users_info", "users:read", 4),
    "users.lookupByEmail": Spec("users_lookup_by_email", "users:read.email", 3),
    "conversations.info": Spec("conversations_info", accepted("conversations.info"), 3),
    "conversations.members": Spec("conversations_members", accepted("conversations.members"), 4),
    "conversations.join": Spec("conversations_join", "channels:join", 3),
    # as Slack names them when none is held (observed); only mpim:write and im:write open anything
    "conversations.open": Spec("conversations_open", "channels:write,groups:write,mpim:write,im:write", 3),
    "conversations.history": Spec("conversations_history", accepted("conversations.history"), 3),
    "chat.postMessage": Spec("chat_post_message", "chat:write", None),
    "chat.postEphemeral": Spec("chat_post_ephemeral", "chat:write", 4),
    "chat.update": Spec("chat_update", "chat:write", 3),
    "chat.delete": Spec("chat_delete", "chat:write", 3),
    "chat.getPermalink": Spec("chat_get_permalink", None, 4),
    "chat.unfurl": Spec("chat_unfurl", "links:write", 3),
    "views.open": Spec("views_open", None, 4),
    "views.push": Spec("views_push", None, 4),
    "views.update": Spec("views_update", None, 4),
    "views.publish": Spec("views_publish", None, 4),
    "apps.connections.open": Spec("apps_connections_open", "connections:write", 1),
}
APP_TOKEN_METHODS: Final = frozenset({"apps.connections.open"})
# Documented floors of Slack's tiers (requests per minute, per method and workspace).
TIER_LIMITS: Final = {1: 1, 2: 20, 3: 50, 4: 100}


class SlackEmulator(ResponseUrls, History, WebApi, ViewsApi, Conversations, DirectoryControl, SocketMode, Emulator):
    """The Slack Web API as slack_sdk's clients call it, with Slack's errors and limits."""

    name = "slack"

    def __init__(
        self, accounts: Sequence[Account] = (), *, today: date | None = None, clock: Callable[[], float] | None = None
    ) -> None:
        super().__init__(today)
        self.accounts = tuple(accounts)
        self.clock = clock or time.monotonic
        self.bot_token = f"xoxb-1011-2022-{secrets.token_hex(12)}"
        self.app_token = f"xapp-1-{d.APP_ID}-3033-{secrets.token_hex(16)}"
        self.signing_secret = secrets.token_hex(16)
        self.token_error: str | None = None  # e.g. "token_revoked", "account_inactive"
        self.scopes: set[str] = set(BOT_SCOPES)  # exactly manifest.yml's bot scopes; tests may take some away
        self.users = d.seed_users(self.today)
        self.channels, self.members = d.seed_channels()
        self.teams = d.seed_teams()
        # limits and clocks
        self.rate_limits_enabled = True
        self.tier_limits: dict[int, int] = dict(TIER_LIMITS)
        self.post_message_limit: tuple[int, float] = (1, 1.0)  # per channel
        self.trigger_ttl = 3.0
        self.response_url_ttl = 30 * 60.0
        self.strict_unfurls = False
        self.ack_timeout = 3.0
        self.socket_retry_delays: tuple[float, ...] = (0.0, 60.0, 300.0)
        # Slack lets an app hold up to 10 Socket Mode connections, each needing a fresh URL.
        self._overrides: dict[str, tuple[int, float] | None] = {"apps.connections.open": (10, 60.0)}
        self._windows: dict[str, Window] = {}
        # state the tests read
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self.deleted: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.unfurls: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.view_log: list[dict[str, Any]] = []
        self.modal_stacks: dict[str, list[str]] = {}
        self.homes: dict[str, str] = {}
        self.response_posts: list[dict[str, Any]] = []
        self.acks: list[dict[str, Any]] = []  # slash-command acks that carried a message (harness reports them)
        self._triggers: dict[str, Trigger] = {}
        self._response_urls: dict[str, ResponseUrl] = {}
        self._link_shares: dict[str, set[str]] = {}
        self._last_ts = 0.0
        self._seq = itertools.count(1)
        self._lost_posts: list[int | None] = []  # fail_after_post: status per accepted post (None: drop)
        self.init_socket_mode()

    # -- wiring ---------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_API_URL pointing at this emulator."""
        return {
            "SLACK_BOT_TOKEN": self.bot_token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_API_URL": self.base_url + "/api/",
        }

    def add_routes(self, app: web.Application) -> None:
        """Web API under /api/, response URLs, the Socket Mode link and Slack control routes."""
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{rid}", self._response)
        app.router.add_get("/link/", self._link)
        app.router.add_get(CONTROL_PREFIX + "/slack/state", self._control_state)
        app.router.add_post(CONTROL_PREFIX + "/slack/trigger_id", self._control_trigger)
        app.router.add_post(CONTROL_PREFIX + "/slack/response_url", self._control_response_url)
        app.on_shutdown.append(self.close_sockets)

    def error_response(self, status: int, message: str, **extra: Any) -> web.Response:
        """Slack's error envelope."""
        error = message.strip().lower().replace(" ", "_") or "fatal_error"
        return web.json_response({"ok": False, "error": error, **extra}, status=status)

    def rate_limited_response(self, retry_after: float) -> web.Response:
        """429 ratelimited with Retry-After in whole seconds."""
        response = web.json_response({"ok": False, "error": "ratelimited"}, status=429)
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        return response

    # -- Web API dispatch -----------------------------------------------------------------

    @staticmethod
    async def _arguments(request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "GET":
            return args
        ctype = request.content_type
        if ctype == "application/json":
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise SlackError("invalid_json") from None
                if not isinstance(body, dict):
                    raise SlackError("invalid_json")
                args.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
        return args

    def _authorize(self, request: web.Request, args: dict[str, Any], method: str) -> set[str]:
        """The scopes of the request's token, or the Slack auth error."""
        header_token = bearer_token(request)
        body_token = args.pop("token", None)
        token = header_token or (None if method in APP_TOKEN_METHODS else body_token)
        if not token:
            raise SlackError("not_authed")
        if token == self.app_token:
            if method not in APP_TOKEN_METHODS:
                raise SlackError("not_allowed_token_type")
            return {"connections:write"}
        if token != self.bot_token:
            raise SlackError("invalid_auth")
        if self.token_error:
            raise SlackError(self.token_error)
        if method in APP_TOKEN_METHODS:
            raise SlackError("not_allowed_token_type")
        return self.scopes

    def _rate(self, key: str, limit: tuple[int, float] | None) -> None:
        if not self.rate_limits_enabled or limit is None:
            return
        window = self._windows.get(key)
        if window is None or (window.limit, window.window) != limit:
            window = self._windows[key] = Window(limit[0], limit[1], self.clock)
        wait = window.hit(key)
        if wait is not None:
            raise SlackError("ratelimited", 429, headers={"Retry-After": str(max(1, math.ceil(wait)))})

    def check_post_rate(self, channel_id: str) -> None:
        """chat.postMessage: about one message per second per channel."""
        limit = self._overrides.get("chat.postMessage", self.post_message_limit)
        self._rate(f"chat.postMessage:{channel_id}", limit)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        spec = METHODS.get(method)
        if spec is None:
            return web.json_response({"ok": False, "error": "unknown_method", "req_method": method}, status=404)
        headers = {"X-Accepted-OAuth-Scopes": spec.scope or ""}
        try:
            args = await self._arguments(request)
            scopes = self._authorize(request, args, method)
            headers["X-OAuth-Scopes"] = ",".join(sorted(scopes))
            if spec.scope and not scopes & set(spec.scope.split(",")):
                raise missing_scope(spec.scope, scopes)
            if spec.tier is not None:
                limit = self._overrides.get(method, (self.tier_limits[spec.tier], 60.0))
                self._rate(method, limit)
            result = await getattr(self, spec.handler)(args)
        except SlackError as exc:
            return web.json_response(
                {"ok": False, "error": exc.error, **exc.extra}, status=exc.status, headers={**headers, **exc.headers}
            )
        if method == "chat.postMessage" and self._lost_posts:
            return self._lose_answer(request, self._lost_posts.pop(0))
        return web.json_response({"ok": True, **result}, headers=headers)

    def _lose_answer(self, request: web.Request, status: int | None) -> web.Response:
        """The post is stored, but the caller hears a 5xx, or the connection drops."""
        if status is None:
            assert request.transport is not None
            request.transport.abort()
            raise asyncio.CancelledError
        return web.json_response({"ok": False, "error": "fatal_error"}, status=status)

    def next_ts(self) -> str:
        """A fresh, strictly increasing message ts ("1700000000.000100")."""
        self._last_ts = max(round(time.time(), 6), round(self._last_ts + 0.000001, 6))
        return f"{self._last_ts:.6f}"

    # -- control: triggers, messages, links, forging ---------------------------------------

    def new_trigger_id(self, user_id: str | None = None) -> str:
        """Issue a trigger_id (valid `trigger_ttl` seconds, once) for `user_id`'s modals."""
        trigger_id = f"{next(self._seq)}.{1011202233}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = Trigger(trigger_id, user_id, self.clock())
        return trigger_id

    def messages(self, channel_id: str | None = None) -> list[dict[str, Any]]:
        """Messages now in a channel (or in all channels, each with a `channel` key)."""
        if channel_id is not None:
            return list(self._messages.get(channel_id, []))
        return [{"channel": cid, **m} for cid, msgs in self._messages.items() for m in msgs]

    def add_user_message(self, channel_id: str, user_id: str, text: str) -> str:
        """Seed a message from a person (e.g. one that shares a link); its ts."""
        ts = self.next_ts()
        self._messages.setdefault(channel_id, []).append(
            {"type": "message", "user": user_id, "text": text, "ts": ts, "team": d.TEAM_ID}
        )
        return ts

    def add_bot_message(self, channel_id: str, text: str, *, metadata: dict[str, Any] | None = None) -> str:
        """Seed a message as if the app had posted it earlier (e.g. a copy whose answer was lost); its ts."""
        ts = self.next_ts()
        self._messages.setdefault(channel_id, []).append(self.bot_message(ts, {"text": text, "metadata": metadata}))
        return ts

    def link_shared(
        self,
        urls: list[str],
        *,
        channel_id: str = d.SALES,
        user_id: str = PEOPLE[0].slack_id,
        source: str = "conversations_history",
    ) -> dict[str, Any]:
        """Share links as a person would: a `link_shared` event whose unfurl target is known.

        chat.unfurl on that target then accepts only these exact URL strings.
        """
        if source == "conversations_history":
            ts = self.add_user_message(channel_id, user_id, " ".join(f"<{u}>" for u in urls))
        else:
            ts = self.next_ts()
        event = link_shared_event(
            urls,
            channel=channel_id,
            user=user_id,
            message_ts=ts,
            source=source,
            is_bot_user_member=d.BOT_USER_ID in self.members.get(channel_id, ()),
        )
        self._link_shares[f"id:{event['unfurl_id']}"] = set(urls)
        if source == "conversations_history":
            self._link_shares[f"ts:{channel_id}:{ts}"] = set(urls)
        return event

    def slash_command_fields(
        self, text: str = "", *, user_id: str = PEOPLE[0].slack_id, channel_id: str = d.SALES, command: str = "/account"
    ) -> dict[str, str]:
        """Slash command fields with a live response_url and trigger_id from this emulator."""
        channel = self.channels.get(channel_id, {})
        user = self.users.get(user_id, {})
        return slash_command_fields(
            text,
            command=command,
            user_id=user_id,
            user_name=user.get("name"),
            channel_id=channel_id,
            channel_name=channel.get("name", "directmessage"),
            response_url=self.new_response_url(channel_id, user_id),
            trigger_id=self.new_trigger_id(user_id),
        )

    def modal_stack(self, user_id: str) -> list[dict[str, Any]]:
        """The modals open for a user, root first."""
        return [self.views[v] for v in self.modal_stacks.get(user_id, [])]

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab published for a user, if any."""
        vid = self.homes.get(user_id)
        return self.views.get(vid) if vid else None

    def state(self) -> dict[str, Any]:
        """A JSON-able snapshot of what the app did in Slack."""
        return copy.deepcopy(
            {
                "messages": self._messages,
                "deleted": self.deleted,
                "ephemerals": self.ephemerals,
                "unfurls": self.unfurls,
                "views": self.view_log,
                "response_posts": self.response_posts,
                "envelopes": [
                    {
                        "envelope_id": e.envelope_id,
                        "type": e.type,
                        "acked": e.acked,
                        "attempts": len(e.deliveries),
                        "ack": e.ack,
                    }
                    for e in self.envelopes
                ],
            }
        )

    async def _control_state(self, request: web.Request) -> web.Response:
        return web.json_response(self.state())

    async def _control_trigger(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        return web.json_response({"trigger_id": self.new_trigger_id(body.get("user_id"))})

    async def _control_response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(
            {
                "response_url": self.new_response_url(
                    body["channel_id"], body["user_id"], message_ts=body.get("message_ts")
                )
            }
        )
