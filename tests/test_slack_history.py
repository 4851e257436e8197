"""Slack emulator: message metadata, conversations.history and answers lost after a post."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.book import DEMO_ACCOUNTS, PEOPLE
from sandbox.slack import DEAL_DESK, GENERAL, LEADERSHIP, SALES, FakeClock, SlackEmulator
from tests.conftest import TODAY

MAYA = PEOPLE[0].slack_id
META = {"event_type": "accountbot_alert", "event_payload": {"alert_id": "a-42", "deal_id": "18340012001"}}


@pytest.fixture
def clock() -> FakeClock:
    """The emulator's hand-moved clock."""
    return FakeClock()


@pytest.fixture
async def slack(serve: Callable, clock: FakeClock) -> SlackEmulator:
    """A served Slack emulator; chat.postMessage's per-channel limit is lifted for these tests."""
    emulator = SlackEmulator(DEMO_ACCOUNTS, today=TODAY, clock=clock)
    emulator.set_rate_limit("chat.postMessage", None)
    return await serve(emulator)


def web_client(slack: SlackEmulator, **kwargs: Any) -> AsyncWebClient:
    """The real AsyncWebClient pointed at the emulator with the bot token."""
    env = slack.env()
    return AsyncWebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_URL"], **kwargs)


@pytest.fixture
def client(slack: SlackEmulator) -> AsyncWebClient:
    """A default AsyncWebClient (slack_sdk's own retry handlers)."""
    return web_client(slack)


async def api_error(call: Any) -> SlackApiError:
    """Await a client call that must fail; the SlackApiError."""
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


async def post_many(client: AsyncWebClient, channel: str, count: int) -> list[str]:
    """Post `count` messages; their ts, oldest first."""
    return [(await client.chat_postMessage(channel=channel, text=f"m{n}"))["ts"] for n in range(count)]


# -- metadata -------------------------------------------------------------------------------


async def test_metadata_round_trip(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """Metadata posted with a message comes back in the answer and in history with include_all_metadata."""
    posted = await client.chat_postMessage(channel=SALES, text="Payment received", metadata=META)
    assert posted["message"]["metadata"] == META
    history = await client.conversations_history(channel=SALES, include_all_metadata=True)
    assert [(m["ts"], m.get("metadata")) for m in history["messages"]] == [(posted["ts"], META)]
    assert slack.messages(SALES)[0]["metadata"] == META


async def test_metadata_as_json_string_in_a_form_post(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """A form-encoded post carries metadata as a JSON string; a wrong shape is refused as Slack does."""
    form = {"token": slack.bot_token, "channel": SALES, "text": "hi", "metadata": json.dumps(META)}
    async with aiohttp.ClientSession() as session:
        async with session.post(slack.base_url + "/api/chat.postMessage", data=form) as response:
            body = await response.json()
        assert body["ok"] and body["message"]["metadata"] == META
        for bad, error in (
            ("{not json", "invalid_metadata_format"),
            ('["x"]', "invalid_metadata_format"),
            ('{"event_type": "x"}', "invalid_metadata_schema"),
            ('{"event_type": 3, "event_payload": {}}', "invalid_metadata_schema"),
        ):
            async with session.post(
                slack.base_url + "/api/chat.postMessage", data={**form, "metadata": bad}
            ) as response:
                assert (await response.json())["error"] == error, bad
    assert len(slack.messages(SALES)) == 1


async def test_history_without_include_all_metadata_has_none(client: AsyncWebClient) -> None:
    """Without include_all_metadata (or with it false) history leaves metadata out."""
    await client.chat_postMessage(channel=SALES, text="x", metadata=META)
    for kwargs in ({}, {"include_all_metadata": False}):
        messages = (await client.conversations_history(channel=SALES, **kwargs))["messages"]
        assert len(messages) == 1 and "metadata" not in messages[0]


# -- history --------------------------------------------------------------------------------


async def test_history_pages_newest_first(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """limit=2 over five messages: pages of 2, 2, 1, newest first, linked by next_cursor."""
    ts = await post_many(client, SALES, 3)
    ts += [slack.add_user_message(SALES, MAYA, "from a person"), *await post_many(client, SALES, 1)]
    seen: list[str] = []
    cursor = None
    pages = []
    while True:
        page = await client.conversations_history(channel=SALES, limit=2, cursor=cursor)
        pages.append(len(page["messages"]))
        seen += [m["ts"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] == bool(cursor)
        if not cursor:
            break
    assert pages == [2, 2, 1] and seen == ts[::-1]
    assert (await api_error(client.conversations_history(channel=SALES, cursor="bogus"))).response[
        "error"
    ] == "invalid_cursor"


async def test_history_oldest_latest_inclusive(client: AsyncWebClient) -> None:
    """oldest/latest bound the window exclusively unless inclusive; thread replies stay out."""
    ts = await post_many(client, SALES, 4)
    await client.chat_postMessage(channel=SALES, text="reply", thread_ts=ts[0])

    async def window(**kwargs: Any) -> list[str]:
        return [m["ts"] for m in (await client.conversations_history(channel=SALES, **kwargs))["messages"]]

    assert await window() == ts[::-1]
    assert await window(oldest=ts[1]) == [ts[3], ts[2]]
    assert await window(oldest=ts[1], inclusive=True) == [ts[3], ts[2], ts[1]]
    assert await window(oldest=ts[0], latest=ts[3]) == [ts[2], ts[1]]
    assert await window(oldest=ts[0], latest=ts[3], inclusive=True) == [ts[3], ts[2], ts[1], ts[0]]
    assert await window(oldest=ts[3]) == []


async def test_history_refusals(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """not_in_channel, channel_not_found and missing_scope, as Slack answers them."""

    async def error(channel: str) -> str:
        return (await api_error(client.conversations_history(channel=channel))).response["error"]

    assert await error(GENERAL) == "not_in_channel"  # public, bot not a member
    assert await error(DEAL_DESK) == "channel_not_found"  # private, bot not a member
    assert await error("C0NOPE00001") == "channel_not_found"
    slack.scopes.discard("groups:history")
    assert await error(LEADERSHIP) == "missing_scope"
    assert (await client.conversations_history(channel=SALES))["ok"]
    slack.scopes -= {"channels:history", "im:history"}
    assert await error(SALES) == "missing_scope"


async def test_dm_by_user_id_lands_in_the_opened_channel(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """chat.postMessage to a user id posts in the DM that conversations.open returns; history reads it."""
    posted = await client.chat_postMessage(channel=MAYA, text="Your deal was paid", metadata=META)
    opened = await client.conversations_open(users=MAYA)
    assert opened["channel"]["id"] == posted["channel"] and posted["channel"].startswith("D")
    history = await client.conversations_history(channel=opened["channel"]["id"], include_all_metadata=True)
    assert [(m["text"], m["metadata"]) for m in history["messages"]] == [("Your deal was paid", META)]
    slack.scopes.discard("im:history")
    error = await api_error(client.conversations_history(channel=opened["channel"]["id"]))
    assert error.response["error"] == "missing_scope" and error.response["needed"] == "im:history"


# -- answers lost after the post ------------------------------------------------------------


async def test_fail_after_post_stores_then_answers_500(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """The message is stored but the caller hears a 500; the next post is answered normally."""
    slack.fail_after_post()
    error = await api_error(client.chat_postMessage(channel=SALES, text="alert", metadata=META))
    assert error.response.status_code == 500
    assert [m["text"] for m in slack.messages(SALES)] == ["alert"]
    history = await client.conversations_history(channel=SALES, include_all_metadata=True)
    assert history["messages"][0]["metadata"] == META  # how a sender finds out it was posted
    assert (await client.chat_postMessage(channel=SALES, text="next"))["ok"]
    assert len(slack.messages(SALES)) == 2


async def test_fail_after_post_counts_accepted_posts_only(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """A refused post does not use up the fault; `count` accepted posts each get the 500."""
    slack.fail_after_post(count=2)
    assert (await api_error(client.chat_postMessage(channel=GENERAL, text="x"))).response["error"] == "not_in_channel"
    for text in ("one", "two"):
        assert (await api_error(client.chat_postMessage(channel=SALES, text=text))).response.status_code == 500
    assert (await client.chat_postMessage(channel=SALES, text="three"))["ok"]
    assert [m["text"] for m in slack.messages(SALES)] == ["one", "two", "three"]


async def test_fail_after_post_dropped_connection(slack: SlackEmulator) -> None:
    """status=None drops the connection after storing; slack_sdk's default retry then posts twice."""
    slack.fail_after_post(status=None)
    bare = web_client(slack, retry_handlers=[])
    with pytest.raises(aiohttp.ClientError):
        await bare.chat_postMessage(channel=SALES, text="once")
    assert [m["text"] for m in slack.messages(SALES)] == ["once"]
    slack.fail_after_post(status=None)
    assert (await web_client(slack).chat_postMessage(channel=SALES, text="twice"))["ok"]
    assert [m["text"] for m in slack.messages(SALES)] == ["once", "twice", "twice"]
    with pytest.raises(ValueError):
        slack.fail_after_post(status=404)
