"""Slash commands answered by the adapter itself (bot.slash) once Bolt has authorized: the same answers as
Bolt's, the same refusals, and everything that is not a registered command still goes through Bolt."""

from __future__ import annotations

import gc
import json
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from blocks.messages import ON_ITS_WAY
from bot import heap
from bot.app import BOLT
from bot.slash import SlashCommands
from sandbox.harness import Bot, block_texts, start_bot, stop_bot
from sandbox.slack import signed_headers


def _count_bolt(bot: Bot) -> list[str]:
    """Each request Bolt dispatches from now on, by what it was (the command, or the kind of body)."""
    app = bot.runner.app[BOLT]
    dispatch = app.async_dispatch
    seen: list[str] = []

    async def counted(req: Any) -> Any:
        body = req.body if isinstance(req.body, dict) else {}
        seen.append(body.get("command") or body.get("type") or ("ssl_check" if "ssl_check" in body else "?"))
        return await dispatch(req)

    app.async_dispatch = counted  # type: ignore[method-assign]
    return seen


async def test_after_bolt_has_authorized_commands_are_answered_without_it_and_say_the_same(bot: Bot) -> None:
    """The first command goes through Bolt (auth.test); the next ones don't, and their answers are Bolt's."""
    bolt = _count_bolt(bot)
    first_status, first_body, _ = await bot.command("help")
    assert bolt == ["/account"]
    statuses = [await bot.command(text) for text in ("help", "Globex", "Glbex")]
    assert bolt == ["/account"]  # none of these went through Bolt
    assert first_status == 200 and statuses[0][:2] == (200, first_body)
    status, body, url = statuses[1]
    assert status == 200 and "Globex – Customer Data Platform" in block_texts(json.loads(body))
    assert bot.slack.delivered(url) == []  # the card rode in the ack, as through Bolt
    assert "Globex" in block_texts(json.loads(statuses[2][1]))  # a typo still gets its suggestion


@pytest.mark.parametrize("mangle", ["forged", "stale", "tampered"])
async def test_a_bad_signature_is_refused_with_401_after_authorization_too(bot: Bot, mangle: str) -> None:
    """The lane checks Slack's signature itself: forged, stale or altered bodies get 401 and do nothing."""
    await bot.command("help")  # Bolt has authorized: commands now take the lane
    before = bot.slack.count("users.info")
    form = bot.slack.slash_command_fields("Globex")
    body = urlencode(form)
    headers = signed_headers(body, bot.secret)
    if mangle == "forged":
        headers = signed_headers(body, "not-the-secret")
    elif mangle == "stale":
        headers = signed_headers(body, bot.secret, timestamp=int(time.time()) - 600)
    else:
        body = body.replace("Globex", "Initech")  # signed for Globex, sent for Initech
    status, answer = await bot.post(body, headers=headers)
    assert status == 401 and "Initech" not in answer and "Globex" not in answer
    assert bot.slack.count("users.info") == before
    assert bot.slack.delivered(form["response_url"]) == []


async def test_what_is_not_a_registered_command_still_goes_through_bolt(bot: Bot) -> None:
    """ssl_check, a command the app doesn't have, and a button click: Bolt answers them as before."""
    await bot.command("help")
    bolt = _count_bolt(bot)
    ssl = urlencode({"ssl_check": "1", "token": "x"})
    assert (await bot.post(ssl))[0] == 200
    other = urlencode(bot.slack.slash_command_fields("x", command="/other"))
    status, _ = await bot.post(other)
    assert status == 404  # Bolt's answer to a request no listener takes
    assert bolt == ["ssl_check", "/other"]


def _lane(listener: Callable[..., Awaitable[None]]) -> SlashCommands:
    return SlashCommands({"/x": listener}, signing_secret="s", context=dict, ready=lambda: True)


async def test_a_listener_that_fails_before_its_ack_gets_a_500_as_bolt_gives() -> None:
    async def failing(ack: Any) -> None:
        raise RuntimeError("boom")

    async def silent(command: dict[str, str]) -> None:
        return None

    for listener in (failing, silent):
        lane = _lane(listener)
        body = urlencode({"command": "/x", "text": ""})
        headers = signed_headers(body, "s")
        fields = lane.command("application/x-www-form-urlencoded", body.encode())
        assert fields == {"command": "/x"}  # blank fields dropped, as Bolt parses
        response = await lane.answer(
            fields, body.encode(), headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
        )
        assert response.status == 500


def test_a_listener_that_wants_more_than_a_command_gets_fails_at_start() -> None:
    async def wants_client(ack: Any, client: Any) -> None:
        return None

    with pytest.raises(TypeError, match="client"):
        _lane(wants_client)


def test_the_lane_takes_only_signed_form_commands_it_has_once_ready() -> None:
    async def listener(ack: Any) -> None:
        await ack()

    ready = False
    lane = SlashCommands({"/x": listener}, signing_secret="s", context=dict, ready=lambda: ready)
    form = urlencode({"command": "/x"}).encode()
    assert lane.command("application/x-www-form-urlencoded", form) is None  # Bolt hasn't authorized yet
    ready = True
    assert lane.command("application/x-www-form-urlencoded; charset=utf-8", form) == {"command": "/x"}
    assert lane.command("application/json", form) is None
    assert lane.command("application/x-www-form-urlencoded", b"payload=%7B%7D&command=%2Fx") is None
    assert lane.command("application/x-www-form-urlencoded", b"command=%2Fy") is None
    assert (
        SlashCommands({"/x": listener}, signing_secret=None, context=dict, ready=lambda: True).command(
            "application/x-www-form-urlencoded", form
        )
        is None
    )  # no signing secret (Socket Mode): nothing to verify with, Bolt's to answer


def test_settling_the_heap_collects_cycles_first_then_freezes_what_lives() -> None:
    """What is garbage is collected, not frozen; what lives leaves the collector's walks."""

    class Node:
        pass

    live, dead = Node(), Node()
    live.me, dead.me = live, dead  # type: ignore[attr-defined]
    gone = weakref.ref(dead)
    del dead
    try:
        heap.settle("test")
        assert gone() is None  # the cycle was collected before the freeze
        assert id(live) not in {id(o) for o in gc.get_objects()}  # frozen: out of every generation
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


async def test_a_card_on_its_way_at_shutdown_is_finished_before_the_store_closes(tmp_path) -> None:
    """Stopping the app right after an "on its way" ack: the card still reaches the response_url."""
    slow = await start_bot(tmp_path, latency=0.3, settings_overrides={"card_wait_seconds": 0.2})
    stopped = False
    try:
        status, body, url = await slow.command("Globex")
        assert status == 200 and json.loads(body)["text"] == ON_ITS_WAY
        await stop_bot(slow)  # what serve does on SIGTERM: no new requests, the acked ones finish
        stopped = True
        [card] = slow.slack.delivered(url)
        assert "Globex – Customer Data Platform" in block_texts(card)
    finally:
        if not stopped:
            await stop_bot(slow)
