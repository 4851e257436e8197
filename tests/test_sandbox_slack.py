"""The Slack emulator driven by the real slack_sdk clients (async, sync, webhook, Socket Mode)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
import slack_sdk.http_retry.builtin_async_handlers as retry_handlers
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from sandbox.book import DEMO_ACCOUNTS, PEOPLE
from sandbox.slack import (
    BOT_USER_ID,
    CLIENT_ACME,
    CLIENT_TEAM_ID,
    DEAL_DESK,
    EXTERNAL_ID,
    GENERAL,
    GUEST_ID,
    LEADERSHIP,
    OLD_DEALS,
    SALES,
    SHARED_ACME,
    SINGLE_GUEST_ID,
    TEAM_ID,
    FakeClock,
    SlackEmulator,
    event_body,
    interactive_body,
    signed_headers,
    slash_command_body,
)
from sandbox.slack.blocks import block_errors
from tests.conftest import TODAY

MAYA = PEOPLE[0].slack_id
DEAL_URL = "https://app.hubspot.com/contacts/4471203/record/0-3/18340012001"


def section(text: str, **extra: Any) -> dict[str, Any]:
    """A mrkdwn section block."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def modal(title: str = "Log a call", blocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A minimal modal view."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": blocks if blocks is not None else [section("hi")],
    }


@pytest.fixture
def clock() -> FakeClock:
    """The emulator's hand-moved clock."""
    return FakeClock()


@pytest.fixture
async def slack(serve: Callable, clock: FakeClock) -> SlackEmulator:
    """A served Slack emulator on a fake clock."""
    emulator = SlackEmulator(DEMO_ACCOUNTS, today=TODAY, clock=clock)
    await serve(emulator)
    return emulator


@pytest.fixture
def client(slack: SlackEmulator) -> AsyncWebClient:
    """The real AsyncWebClient pointed at the emulator with the bot token."""
    env = slack.env()
    return AsyncWebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_URL"])


async def api_error(call: Any) -> SlackApiError:
    """Await a client call that must fail; the SlackApiError."""
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


# -- envelope and auth --------------------------------------------------------------------


async def test_env_and_auth_test(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """env() names an xoxb token and the /api/ base; auth.test identifies the bot and team."""
    env = slack.env()
    assert env["SLACK_BOT_TOKEN"].startswith("xoxb-") and slack.app_token.startswith("xapp-")
    assert env["SLACK_API_URL"] == slack.base_url + "/api/" and env["SLACK_SIGNING_SECRET"]
    res = await client.auth_test()
    assert res["ok"] and res["team_id"] == TEAM_ID and res["user_id"] == BOT_USER_ID
    assert res["url"].startswith("https://") and res["team"] == "Brightline"


async def test_missing_and_wrong_tokens(slack: SlackEmulator) -> None:
    """No token answers not_authed, an unknown one invalid_auth, both with HTTP 200."""
    base = slack.env()["SLACK_API_URL"]
    err = await api_error(AsyncWebClient(base_url=base).auth_test())
    assert err.response["error"] == "not_authed" and err.response.status_code == 200
    err = await api_error(AsyncWebClient(token="xoxb-nope", base_url=base).auth_test())
    assert err.response["error"] == "invalid_auth"


async def test_token_types(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """An xapp token only opens connections; a bot token cannot open them."""
    app_client = AsyncWebClient(token=slack.app_token, base_url=slack.env()["SLACK_API_URL"])
    err = await api_error(app_client.chat_postMessage(channel=SALES, text="x"))
    assert err.response["error"] == "not_allowed_token_type"
    err = await api_error(client.apps_connections_open(app_token=slack.env()["SLACK_BOT_TOKEN"]))
    assert err.response["error"] == "not_allowed_token_type"
    res = await app_client.apps_connections_open(app_token=slack.app_token)
    assert res["url"].startswith("ws://") and "ticket=" in res["url"]


async def test_unknown_method_is_404(client: AsyncWebClient) -> None:
    """An unknown method answers 404 unknown_method like Slack."""
    err = await api_error(client.api_call("chat.postMassage", json={"channel": SALES}))
    assert err.response.status_code == 404 and err.response["error"] == "unknown_method"


async def test_missing_scope_and_revoked_token(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """A removed scope gives missing_scope with needed/provided; token_error applies to all calls."""
    slack.scopes.discard("users:read.email")
    err = await api_error(client.users_lookupByEmail(email=PEOPLE[0].email))
    assert err.response["error"] == "missing_scope"
    assert err.response["needed"] == "users:read.email" and "chat:write" in err.response["provided"]
    info = await client.users_info(user=MAYA)
    assert "email" not in info["user"]["profile"]  # email needs users:read.email
    slack.token_error = "token_revoked"
    assert (await api_error(client.auth_test())).response["error"] == "token_revoked"


async def test_sync_webclient_form_encoding(slack: SlackEmulator) -> None:
    """The sync WebClient (form-encoded bodies) works too."""
    env = slack.env()
    sync = WebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_URL"])
    res = await asyncio.to_thread(sync.users_info, user=MAYA)
    assert res["user"]["profile"]["email"] == PEOPLE[0].email
    posted = await asyncio.to_thread(
        sync.chat_postMessage, channel=SALES, text="sync", blocks=[section("from the sync client")]
    )
    assert slack.messages(SALES)[0]["blocks"][0]["text"]["text"] == "from the sync client"
    assert posted["ts"] == slack.messages(SALES)[0]["ts"]


# -- chat.postMessage ---------------------------------------------------------------------


async def test_post_message_ok(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """postMessage returns channel, ts and the message, and the emulator records it."""
    res = await client.chat_postMessage(channel=SALES, text="Acme card", blocks=[section("*Acme*")])
    assert res["channel"] == SALES and res["message"]["bot_id"] and res["message"]["ts"] == res["ts"]
    stored = slack.messages(SALES)
    assert len(stored) == 1 and stored[0]["text"] == "Acme card"
    assert slack.messages()[0]["channel"] == SALES


async def test_post_message_by_name_and_to_a_user(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """A channel name resolves to its ID; a user ID posts to the app's DM with them."""
    assert (await client.chat_postMessage(channel="#client-acme", text="hi"))["channel"] == CLIENT_ACME
    dm = await client.chat_postMessage(channel=MAYA, text="alert")
    assert dm["channel"].startswith("D") and slack.messages(dm["channel"])[0]["text"] == "alert"


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        (GENERAL, "not_in_channel"),  # public, bot not a member
        (DEAL_DESK, "channel_not_found"),  # private, bot not a member: invisible to it
        (OLD_DEALS, "is_archived"),
        ("C0NOPE00000", "channel_not_found"),
    ],
)
async def test_post_message_refusals(client: AsyncWebClient, channel: str, error: str) -> None:
    """Slack's refusals for channels the bot cannot post in."""
    assert (await api_error(client.chat_postMessage(channel=channel, text="x"))).response["error"] == error


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_post_message_needs_content(client: AsyncWebClient) -> None:
    """No text, blocks nor attachments is no_text; blocks that are not a list are invalid_blocks_format."""
    assert (await api_error(client.chat_postMessage(channel=SALES))).response["error"] == "no_text"
    err = await api_error(client.api_call("chat.postMessage", data={"channel": SALES, "blocks": "{oops"}))
    assert err.response["error"] == "invalid_blocks_format"


async def test_join_then_post(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """conversations.join lets the bot post in a public channel; private/archived cannot be joined."""
    err = await api_error(client.conversations_join(channel=GENERAL))
    assert (err.response["error"], err.response["needed"]) == ("missing_scope", "channels:join")
    slack.scopes.add("channels:join")  # not in manifest.yml: an app installed with it
    joined = await client.conversations_join(channel=GENERAL)
    assert joined["channel"]["is_member"] is True
    assert (await client.chat_postMessage(channel=GENERAL, text="hello"))["ok"]
    again = await client.conversations_join(channel=GENERAL)
    assert again["warning"] == "already_in_channel"
    err = await api_error(client.conversations_join(channel=LEADERSHIP))
    assert err.response["error"] == "method_not_supported_for_channel_type"
    assert (await api_error(client.conversations_join(channel=OLD_DEALS))).response["error"] == "is_archived"


async def test_update_delete_and_ephemeral(slack: SlackEmulator, client: AsyncWebClient, clock: FakeClock) -> None:
    """chat.update/delete find the bot's message; postEphemeral needs the user in the channel."""
    ts = (await client.chat_postMessage(channel=SALES, text="v1"))["ts"]
    updated = await client.chat_update(channel=SALES, ts=ts, text="v2", blocks=[section("v2")])
    assert updated["message"]["text"] == "v2" and slack.messages(SALES)[0]["text"] == "v2"
    err = await api_error(client.chat_update(channel=SALES, ts="1.000001", text="x"))
    assert err.response["error"] == "message_not_found"
    user_ts = slack.add_user_message(SALES, MAYA, "a person's message")
    err = await api_error(client.chat_update(channel=SALES, ts=user_ts, text="x"))
    assert err.response["error"] == "cant_update_message"
    await client.chat_delete(channel=SALES, ts=ts)
    assert [m["ts"] for m in slack.messages(SALES)] == [user_ts] and slack.deleted[0]["ts"] == ts
    res = await client.chat_postEphemeral(channel=SALES, user=MAYA, text="only you")
    assert res["message_ts"] and slack.ephemerals[0]["user"] == MAYA
    err = await api_error(client.chat_postEphemeral(channel=SALES, user=EXTERNAL_ID, text="x"))
    assert err.response["error"] == "user_not_in_channel"


# -- rate limits --------------------------------------------------------------------------


async def test_second_message_within_a_second_is_ratelimited(
    slack: SlackEmulator, client: AsyncWebClient, clock: FakeClock
) -> None:
    """A second message to one channel within a second: 429 ratelimited with Retry-After."""
    await client.chat_postMessage(channel=SALES, text="one")
    err = await api_error(client.chat_postMessage(channel=SALES, text="two"))
    assert err.response.status_code == 429 and err.response["error"] == "ratelimited"
    assert int(err.response.headers["Retry-After"]) >= 1
    assert (await client.chat_postMessage(channel=CLIENT_ACME, text="other channel"))["ok"]
    clock.advance(1.0)
    assert (await client.chat_postMessage(channel=SALES, text="two"))["ok"]
    assert [m["text"] for m in slack.messages(SALES)] == ["one", "two"]


async def test_rate_limit_retry_handler_succeeds(
    slack: SlackEmulator, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AsyncRateLimitErrorRetryHandler waits Retry-After and the retry is accepted."""
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)
        await real_sleep(0)

    monkeypatch.setattr(retry_handlers, "asyncio", SimpleNamespace(sleep=fake_sleep))
    env = slack.env()
    client = AsyncWebClient(
        token=env["SLACK_BOT_TOKEN"],
        base_url=env["SLACK_API_URL"],
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    await client.chat_postMessage(channel=SALES, text="one")
    res = await client.chat_postMessage(channel=SALES, text="two")
    assert res["ok"] and len(slept) == 1 and slept[0] >= 1
    statuses = [c.status for c in slack.calls if c.path.endswith("chat.postMessage")]
    assert statuses == [200, 429, 200]


async def test_tier_limit_is_configurable(slack: SlackEmulator, client: AsyncWebClient, clock: FakeClock) -> None:
    """Per-method limits (here 2 per minute for users.info) answer 429 with Retry-After."""
    slack.set_rate_limit("users.info", 2, 60.0)
    await client.users_info(user=MAYA)
    await client.users_info(user=MAYA)
    err = await api_error(client.users_info(user=MAYA))
    assert err.response.status_code == 429 and err.response.headers["Retry-After"] == "60"
    clock.advance(60)
    assert (await client.users_info(user=MAYA))["ok"]


# -- Block Kit ----------------------------------------------------------------------------


async def test_51_blocks_are_invalid(client: AsyncWebClient) -> None:
    """50 blocks pass; 51 answer invalid_blocks explaining the limit."""
    assert (await client.chat_postMessage(channel=SALES, text="x", blocks=[{"type": "divider"}] * 50))["ok"]
    err = await api_error(client.chat_postMessage(channel=CLIENT_ACME, text="x", blocks=[{"type": "divider"}] * 51))
    assert err.response["error"] == "invalid_blocks"
    assert err.response["response_metadata"]["messages"] == [
        "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"
    ]


async def test_section_text_over_3000_is_invalid(client: AsyncWebClient) -> None:
    """Section text of 3000 characters passes; 3001 is invalid_blocks at its pointer."""
    assert (await client.chat_postMessage(channel=SALES, text="x", blocks=[section("a" * 3000)]))["ok"]
    err = await api_error(client.chat_postMessage(channel=CLIENT_ACME, text="x", blocks=[section("a" * 3001)]))
    assert err.response["error"] == "invalid_blocks"
    (message,) = err.response["response_metadata"]["messages"]
    assert "3001" in message and "/blocks/0/text/text" in message


def button(text: str = "Open", **extra: Any) -> dict[str, Any]:
    """A button element."""
    return {"type": "button", "text": {"type": "plain_text", "text": text}, **extra}


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "/blocks/0/fields"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], "/blocks/0/fields/0/text"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0/text/text"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "/blocks/0/text/type"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "/blocks/0/elements"),
        ([{"type": "actions", "elements": [button(action_id=f"a{i}") for i in range(26)]}], "/blocks/0/elements"),
        ([{"type": "actions", "elements": [button("b" * 76)]}], "/blocks/0/elements/0/text/text"),
        ([{"type": "actions", "elements": [button(value="v" * 2001)]}], "/blocks/0/elements/0/value"),
        ([{"type": "actions", "elements": [button(action_id="a" * 256)]}], "/blocks/0/elements/0/action_id"),
        ([section("x", block_id="b" * 256)], "/blocks/0/block_id"),
        ([section("x", block_id="card"), section("y", block_id="card")], "/blocks/1/block_id"),
        (
            [{"type": "actions", "elements": [button(action_id="go"), button(action_id="go")]}],
            "/blocks/0/elements/1/action_id",
        ),
        ([{"type": "section"}], "/blocks/0"),
        ([section("")], "/blocks/0/text/text"),
        ([{"type": "carousel"}], "/blocks/0/type"),
    ],
)
def test_block_kit_limits(blocks: list[dict[str, Any]], pointer: str) -> None:
    """Each Block Kit limit is reported at its JSON pointer."""
    errors = block_errors(blocks, "message")
    assert errors and any(e.endswith(f"[json-pointer:{pointer}]") for e in errors), errors


def test_a_full_card_is_valid() -> None:
    """A realistic card at the limits passes."""
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        {
            "type": "section",
            "block_id": "facts",
            "fields": [{"type": "mrkdwn", "text": "f" * 2000}] * 10,
            "accessory": button(action_id="open", url="https://app.hubspot.com/x"),
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "c"}] * 9
            + [{"type": "image", "image_url": "https://x.example/i.png", "alt_text": "i"}],
        },
        {
            "type": "actions",
            "block_id": "acts",
            "elements": [button("b" * 75, action_id=f"a{i}", value="v" * 2000) for i in range(25)],
        },
        {"type": "actions", "elements": [button(action_id="a0")]},  # action_id unique per block
        {"type": "divider"},
    ]
    assert block_errors(blocks, "message") == []


# -- views and trigger ids ----------------------------------------------------------------


async def test_trigger_id_is_single_use(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """A trigger opens one modal; reusing it answers exchanged_trigger_id."""
    trigger = slack.new_trigger_id(MAYA)
    res = await client.views_open(trigger_id=trigger, view=modal())
    assert res["view"]["id"].startswith("V") and res["view"]["hash"]
    assert slack.modal_stack(MAYA)[0]["id"] == res["view"]["id"]
    err = await api_error(client.views_open(trigger_id=trigger, view=modal()))
    assert err.response["error"] == "exchanged_trigger_id"


async def test_trigger_id_expires_after_3_seconds(
    slack: SlackEmulator, client: AsyncWebClient, clock: FakeClock
) -> None:
    """A trigger used after 3 s answers expired_trigger_id; an unknown one invalid_trigger_id."""
    trigger = slack.new_trigger_id(MAYA)
    clock.advance(3.01)
    err = await api_error(client.views_open(trigger_id=trigger, view=modal()))
    assert err.response["error"] == "expired_trigger_id"
    err = await api_error(client.views_open(trigger_id="123.456.abc", view=modal()))
    assert err.response["error"] == "invalid_trigger_id"
    fresh = slack.new_trigger_id(MAYA)
    clock.advance(2.9)
    assert (await client.views_open(trigger_id=fresh, view=modal()))["ok"]


async def test_modal_validation(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """A 25-character title or input blocks without submit answer invalid_arguments; the trigger survives."""
    trigger = slack.new_trigger_id(MAYA)
    err = await api_error(client.views_open(trigger_id=trigger, view=modal("t" * 25)))
    assert err.response["error"] == "invalid_arguments"
    assert "/view/title/text" in err.response["response_metadata"]["messages"][0]
    field = {
        "type": "input",
        "block_id": "note",
        "label": {"type": "plain_text", "text": "Note"},
        "element": {"type": "plain_text_input", "action_id": "body"},
    }
    err = await api_error(client.views_open(trigger_id=trigger, view=modal(blocks=[field])))
    assert "/view/submit" in err.response["response_metadata"]["messages"][0]
    ok = {**modal("t" * 24, [field]), "submit": {"type": "plain_text", "text": "Save"}}
    assert (await client.views_open(trigger_id=trigger, view=ok))["ok"]


async def test_views_push_update_and_hash(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """views.push stacks a modal; views.update honours hash; an unknown view is not_found."""
    root = (await client.views_open(trigger_id=slack.new_trigger_id(MAYA), view=modal()))["view"]
    pushed = (await client.views_push(trigger_id=slack.new_trigger_id(MAYA), view=modal("Step 2")))["view"]
    assert pushed["root_view_id"] == root["id"] and pushed["previous_view_id"] == root["id"]
    updated = (await client.views_update(view_id=root["id"], hash=root["hash"], view=modal("Saved")))["view"]
    assert updated["id"] == root["id"] and updated["title"]["text"] == "Saved"
    err = await api_error(client.views_update(view_id=root["id"], hash=root["hash"] + "x", view=modal()))
    assert err.response["error"] == "hash_conflict"
    err = await api_error(client.views_update(view_id="V000", view=modal()))
    assert err.response["error"] == "not_found"


async def test_home_tab_allows_100_blocks(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """views.publish takes 100 blocks on Home, refuses 101 and a modal."""
    dividers: list[dict[str, Any]] = [{"type": "divider"}] * 100
    home = {"type": "home", "blocks": dividers}
    assert (await client.views_publish(user_id=MAYA, view=home))["ok"]
    published = slack.home_view(MAYA)
    assert published is not None and len(published["blocks"]) == 100
    too_many = {**home, "blocks": dividers + [{"type": "divider"}]}
    err = await api_error(client.views_publish(user_id=MAYA, view=too_many))
    assert err.response["error"] == "invalid_arguments"
    err = await api_error(client.views_publish(user_id=MAYA, view=modal()))
    assert err.response["error"] == "invalid_arguments"


# -- response_url -------------------------------------------------------------------------


async def test_response_url_accepts_five_posts(slack: SlackEmulator) -> None:
    """A response_url takes 5 posts; the 6th answers 404 used_url and is not delivered."""
    url = slack.new_response_url(SALES, MAYA)
    hook = AsyncWebhookClient(url)
    for n in range(5):
        res = await hook.send(text=f"reply {n}")
        assert res.status_code == 200 and res.body == "ok"
    res = await hook.send(text="one too many")
    assert res.status_code == 404 and res.body == "used_url"
    assert [b["text"] for b in slack.delivered(url)] == [f"reply {n}" for n in range(5)]
    assert len(slack.response_posts) == 6 and slack.response_posts[-1]["error"] == "used_url"


async def test_response_url_expires_after_30_minutes(slack: SlackEmulator, clock: FakeClock) -> None:
    """Posts after 30 minutes answer 404 expired_url."""
    url = slack.new_response_url(SALES, MAYA)
    clock.advance(30 * 60 + 1)
    res = await AsyncWebhookClient(url).send(text="late")
    assert res.status_code == 404 and res.body == "expired_url" and slack.delivered() == []


async def test_response_url_types_replace_and_delete(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """Ephemeral by default, in_channel posts to the channel, replace/delete act on the original."""
    url = slack.new_response_url(CLIENT_ACME, MAYA)
    hook = AsyncWebhookClient(url)
    await hook.send(text="just you")
    assert slack.ephemerals[-1]["message"]["text"] == "just you" and slack.messages(CLIENT_ACME) == []
    await hook.send(text="edited", replace_original=True)
    assert slack.ephemerals[-1]["message"]["text"] == "edited" and len(slack.ephemerals) == 1
    await hook.send(text="everyone", response_type="in_channel")
    assert slack.messages(CLIENT_ACME)[0]["text"] == "everyone"
    card_ts = (await client.chat_postMessage(channel=SALES, text="card"))["ts"]
    action_url = slack.new_response_url(SALES, MAYA, message_ts=card_ts)
    await AsyncWebhookClient(action_url).send(text="card v2", blocks=[section("v2")], replace_original=True)
    assert slack.messages(SALES)[0]["text"] == "card v2" and slack.messages(SALES)[0]["ts"] == card_ts
    await AsyncWebhookClient(action_url).send_dict({"delete_original": True})
    assert slack.messages(SALES) == []
    res = await AsyncWebhookClient(url).send(blocks=[section("a" * 3001)])
    assert res.status_code == 400 and res.body == "invalid_blocks"


# -- users and conversations --------------------------------------------------------------


async def test_users_info_members_guests_and_external(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """Members carry email/tz; guests are restricted; a Slack Connect user has another team_id."""
    maya = (await client.users_info(user=MAYA))["user"]
    assert maya["team_id"] == TEAM_ID and maya["profile"]["email"] == PEOPLE[0].email
    assert maya["tz"] == PEOPLE[0].tz and maya["real_name"] == PEOPLE[0].name
    assert not maya["is_restricted"] and not maya["is_ultra_restricted"]
    guest = (await client.users_info(user=GUEST_ID))["user"]
    assert guest["is_restricted"] and not guest["is_ultra_restricted"]
    single = (await client.users_info(user=SINGLE_GUEST_ID))["user"]
    assert single["is_restricted"] and single["is_ultra_restricted"]
    external = (await client.users_info(user=EXTERNAL_ID))["user"]
    assert external["team_id"] == CLIENT_TEAM_ID and "email" not in external["profile"]
    err = await api_error(client.users_info(user="U0NOBODY001"))
    assert err.response["error"] == "user_not_found"
    slack.set_user(MAYA, team_id=CLIENT_TEAM_ID, is_restricted=True)
    changed = (await client.users_info(user=MAYA))["user"]
    assert changed["team_id"] == CLIENT_TEAM_ID and changed["is_restricted"]


async def test_users_lookup_by_email(client: AsyncWebClient) -> None:
    """lookupByEmail finds workspace members (case-insensitively), else users_not_found."""
    found = await client.users_lookupByEmail(email=PEOPLE[1].email.upper())
    assert found["user"]["id"] == PEOPLE[1].slack_id
    err = await api_error(client.users_lookupByEmail(email="nobody@brightline.example"))
    assert err.response["error"] == "users_not_found"


async def test_conversations_info_slack_connect(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """The shared channel says is_ext_shared/is_shared with both teams; others do not."""
    shared = (await client.conversations_info(channel=SHARED_ACME))["channel"]
    assert shared["is_ext_shared"] and shared["is_shared"] and shared["is_member"]
    assert set(shared["connected_team_ids"]) == {TEAM_ID, CLIENT_TEAM_ID}
    sales = (await client.conversations_info(channel=SALES, include_num_members=True))["channel"]
    assert not sales["is_ext_shared"] and not sales["is_shared"] and "connected_team_ids" not in sales
    assert sales["num_members"] == len(PEOPLE)
    general = (await client.conversations_info(channel=GENERAL))["channel"]
    assert general["is_member"] is False
    assert (await client.conversations_info(channel=LEADERSHIP))["channel"]["is_private"]
    archived = (await client.conversations_info(channel=OLD_DEALS))["channel"]
    assert archived["is_archived"]
    err = await api_error(client.conversations_info(channel=DEAL_DESK))
    assert err.response["error"] == "channel_not_found"
    slack.set_channel(CLIENT_ACME, connected_team_ids=[CLIENT_TEAM_ID])
    assert (await client.conversations_info(channel=CLIENT_ACME))["channel"]["is_ext_shared"]


# -- unfurls ------------------------------------------------------------------------------


async def test_chat_unfurl_with_unfurl_id_and_source(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """chat.unfurl by unfurl_id+source is recorded keyed by URL; other URL strings are refused."""
    event = slack.link_shared([DEAL_URL], channel_id=SALES, source="composer")
    unfurl = {DEAL_URL: {"blocks": [section("*Acme Logistics* · Closed won")]}}
    res = await client.chat_unfurl(unfurl_id=event["unfurl_id"], source=event["source"], unfurls=unfurl)
    assert res["ok"]
    (recorded,) = slack.unfurls
    assert recorded["unfurl_id"] == event["unfurl_id"] and recorded["unfurls"] == unfurl and recorded["known"]
    err = await api_error(
        client.chat_unfurl(unfurl_id=event["unfurl_id"], source="composer", unfurls={DEAL_URL + "/": unfurl[DEAL_URL]})
    )
    assert err.response["error"] == "cannot_unfurl_url"
    err = await api_error(client.chat_unfurl(unfurl_id=event["unfurl_id"], unfurls=unfurl))
    assert err.response["error"] == "missing_source"
    err = await api_error(client.chat_unfurl(unfurl_id="x", source="elsewhere", unfurls=unfurl))
    assert err.response["error"] == "invalid_source"


async def test_chat_unfurl_with_channel_and_ts(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """chat.unfurl by channel+ts works for a shared message; invalid unfurl blocks are refused."""
    event = slack.link_shared([DEAL_URL], channel_id=SHARED_ACME)
    assert event["message_ts"] == slack.messages(SHARED_ACME)[0]["ts"]
    unfurl = {DEAL_URL: {"blocks": [section("Acme Logistics")]}}
    await client.chat_unfurl(channel=SHARED_ACME, ts=event["message_ts"], unfurls=unfurl)
    assert slack.unfurls[0]["channel"] == SHARED_ACME and slack.unfurls[0]["ts"] == event["message_ts"]
    err = await api_error(
        client.chat_unfurl(
            channel=SHARED_ACME, ts=event["message_ts"], unfurls={DEAL_URL: {"blocks": [section("a" * 3001)]}}
        )
    )
    assert err.response["error"] == "invalid_blocks"


# -- Socket Mode --------------------------------------------------------------------------


@pytest.fixture
async def socket_client(slack: SlackEmulator) -> AsyncIterator[SocketModeClient]:
    """A real SocketModeClient using the emulator's app token (not yet connected)."""
    web = AsyncWebClient(base_url=slack.env()["SLACK_API_URL"])
    client = SocketModeClient(app_token=slack.app_token, web_client=web, auto_reconnect_enabled=False)
    yield client
    await client.close()


async def test_socket_mode_envelope_and_ack(slack: SlackEmulator, socket_client: SocketModeClient) -> None:
    """The SDK client connects with the app token, gets hello, receives an envelope and acks it."""
    seen: list[dict[str, Any]] = []
    requests: list[SocketModeRequest] = []

    async def on_message(client: AsyncBaseSocketModeClient, message: dict[str, Any], raw: str | None) -> None:
        seen.append(message)

    async def on_request(client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        requests.append(req)
        await client.send_socket_mode_response(
            SocketModeResponse(envelope_id=req.envelope_id, payload={"text": "Looking up Acme..."})
        )

    socket_client.message_listeners.append(on_message)
    socket_client.socket_mode_request_listeners.append(on_request)
    await socket_client.connect()
    await slack.wait_connected()
    fields = slack.slash_command_fields("acme", user_id=MAYA)
    ack = await slack.send_envelope("slash_commands", fields)
    assert ack == {"text": "Looking up Acme..."}
    assert requests[0].type == "slash_commands" and requests[0].payload["text"] == "acme"
    assert requests[0].accepts_response_payload is True
    assert seen[0]["type"] == "hello"
    (envelope,) = slack.envelopes
    assert envelope.acked and envelope.envelope_id == requests[0].envelope_id


async def test_socket_mode_retries_unacked_events(slack: SlackEmulator, socket_client: SocketModeClient) -> None:
    """An events_api envelope left unacked is sent again with retry_attempt 1."""
    slack.ack_timeout = 0.2
    slack.socket_retry_delays = (0.0,)
    attempts: list[int | None] = []

    async def on_request(client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        attempts.append(req.retry_attempt)
        if req.retry_attempt:  # ignore the first delivery
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    socket_client.socket_mode_request_listeners.append(on_request)
    await socket_client.connect()
    await slack.wait_connected()
    payload = json.loads(event_body({"type": "app_home_opened", "user": MAYA}, event_id="Ev1"))
    assert await slack.send_envelope("events_api", payload) is None
    await slack.drain()
    (envelope,) = slack.envelopes
    assert attempts == [0, 1] and envelope.acked and len(envelope.deliveries) == 2
    assert envelope.ack == {}


async def test_socket_ticket_is_single_use(slack: SlackEmulator) -> None:
    """A wss URL from apps.connections.open opens one connection only."""
    import aiohttp

    app_client = AsyncWebClient(token=slack.app_token, base_url=slack.env()["SLACK_API_URL"])
    url = (await app_client.apps_connections_open(app_token=slack.app_token))["url"]
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            hello = await ws.receive_json()
            assert hello["type"] == "hello" and hello["num_connections"] == 1
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url)


# -- forging ------------------------------------------------------------------------------


def test_signed_slash_command_verifies() -> None:
    """signed_headers produce a signature Bolt's verifier accepts; the body has Slack's fields."""
    body = slash_command_body("acme", user_id=MAYA, channel_id=SALES, trigger_id="t1")
    headers = signed_headers(body, "s3cret", timestamp=1_700_000_000)

    class TenSecondsLater(Clock):
        def now(self) -> float:
            return 1_700_000_010

    verifier = SignatureVerifier("s3cret", clock=TenSecondsLater())
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not verifier.is_valid(body + "x", headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    for key in (
        "team_id",
        "channel_id",
        "channel_name",
        "user_id",
        "command",
        "text",
        "response_url",
        "trigger_id",
        "api_app_id",
        "enterprise_id",
        "is_enterprise_install",
    ):
        assert key in fields, key
    assert fields["command"] == "/account" and fields["text"] == "acme" and fields["trigger_id"] == "t1"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_event_and_interactive_bodies() -> None:
    """event_body wraps an event_callback; interactive_body carries payload=JSON."""
    envelope = json.loads(event_body({"type": "link_shared"}, event_id="Ev42"))
    assert envelope["type"] == "event_callback" and envelope["event_id"] == "Ev42"
    assert envelope["team_id"] == TEAM_ID and envelope["authorizations"][0]["user_id"] == BOT_USER_ID
    assert isinstance(envelope["event_time"], int) and envelope["api_app_id"]
    form = parse_qs(interactive_body({"type": "block_actions", "actions": []}))
    assert json.loads(form["payload"][0])["type"] == "block_actions"
    assert signed_headers(event_body({}), "s")["Content-Type"] == "application/json"


async def test_emulator_slash_command_uses_live_urls(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """slash_command_fields issues a working response_url and trigger_id."""
    fields = slack.slash_command_fields("acme", channel_id=SHARED_ACME, user_id=MAYA)
    assert fields["channel_name"] == "ext-acme-logistics"
    assert (await client.views_open(trigger_id=fields["trigger_id"], view=modal()))["ok"]
    assert (await AsyncWebhookClient(fields["response_url"]).send(text="ok")).status_code == 200


# -- control endpoints and Bolt end to end ------------------------------------------------


async def test_http_control_endpoints(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """Another process (the benchmark) can get triggers, response URLs and the state over HTTP."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.post(f"{slack.base_url}/_sandbox/slack/trigger_id", json={"user_id": MAYA}) as r:
            trigger = (await r.json())["trigger_id"]
        async with session.post(
            f"{slack.base_url}/_sandbox/slack/response_url", json={"channel_id": SALES, "user_id": MAYA}
        ) as r:
            url = (await r.json())["response_url"]
        await client.views_open(trigger_id=trigger, view=modal())
        await client.chat_postMessage(channel=SALES, text="card")
        async with session.post(url, json={"text": "reply"}) as r:
            assert r.status == 200
        async with session.get(f"{slack.base_url}/_sandbox/slack/state") as r:
            state = await r.json()
    assert state["messages"][SALES][0]["text"] == "card"
    assert state["views"][0]["user"] == MAYA and state["response_posts"][0]["body"] == {"text": "reply"}


async def test_bolt_app_end_to_end(slack: SlackEmulator) -> None:
    """A Bolt AsyncApp verifies a forged, signed slash command and answers through the emulator."""
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.request.async_request import AsyncBoltRequest

    env = slack.env()
    app = AsyncApp(
        signing_secret=env["SLACK_SIGNING_SECRET"],
        process_before_response=True,
        client=AsyncWebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_URL"]),
    )

    @app.command("/account")
    async def account(ack: Any, respond: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await respond(text=f"Card for {command['text']}", response_type="in_channel")
        await client.views_open(trigger_id=command["trigger_id"], view=modal())

    fields = slack.slash_command_fields("acme", user_id=MAYA, channel_id=CLIENT_ACME)
    body = urlencode(fields)
    response = await app.async_dispatch(
        AsyncBoltRequest(body=body, headers=signed_headers(body, env["SLACK_SIGNING_SECRET"]))
    )
    assert response.status == 200
    assert slack.messages(CLIENT_ACME)[0]["text"] == "Card for acme"
    assert slack.modal_stack(MAYA)[0]["title"]["text"] == "Log a call"
    forged = await app.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, "wrong")))
    assert forged.status == 401
