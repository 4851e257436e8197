"""The Slack app's scopes: the emulator holds exactly manifest.yml's bot scopes, every Web API
method the code calls is covered by one, and conversation methods ask for the scope of the
conversation's kind (public channel, private channel, DM, group DM) as Slack does."""

from __future__ import annotations

import ast
import inspect
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import slack_sdk.web.async_client as async_client_module
import yaml
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.book import DEMO_ACCOUNTS, PEOPLE, PORTAL_ID
from sandbox.harness import Bot
from sandbox.slack import BOT_USER_ID, GROUP_DM, LEADERSHIP, MAYA_DM, SALES, SlackEmulator
from sandbox.slack.emulator import METHODS
from sandbox.slack.scopes import KINDS, MANIFEST_BOT_SCOPES, TYPED_SCOPES, Kind
from tests.conftest import TODAY

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRS = ("bot", "handlers", "blocks")
MAYA, SAM = PEOPLE[0].slack_id, PEOPLE[3].slack_id
GLOBEX_URL = f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-3/18340012002"
# The kinds of conversation the code uses a per-kind method on, where not every kind: the
# bot opens DMs with one person only (bot/alerts/sender.py); a group DM would need mpim:write.
KINDS_USED: dict[str, tuple[Kind, ...]] = {"conversations.open": ("im",)}
# one conversation of each kind in the seeded workspace, all with the bot in them
CONVERSATIONS: dict[Kind, str] = {"public": SALES, "private": LEADERSHIP, "im": MAYA_DM, "mpim": GROUP_DM}


# -- reading the manifest and the code ------------------------------------------------------


def manifest_bot_scopes() -> list[str]:
    """manifest.yml's oauth_config.scopes.bot, in order."""
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    return list(manifest["oauth_config"]["scopes"]["bot"])


def client_methods() -> dict[str, str]:
    """AsyncWebClient's Python methods by name, each to the Web API method it calls (from slack_sdk's source)."""
    tree = ast.parse(inspect.getsource(async_client_module))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "AsyncWebClient")
    methods: dict[str, str] = {}
    for fn in cls.body:
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names = {name for node in ast.walk(fn) if (name := _api_call_name(node))}
            if len(names) == 1:
                methods[fn.name] = names.pop()
    return methods


def _api_call_name(node: ast.AST) -> str | None:
    """The method of an `x.api_call("chat.postMessage", ...)` call, if `node` is one."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "api_call"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value
    return None


def called_methods(source: str) -> set[str]:
    """Web API methods a module calls: `x.chat_postMessage(...)` or `x.api_call("chat.postMessage")`."""
    by_attr = client_methods()
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr in by_attr:
            found.add(by_attr[node.func.attr])
        elif name := _api_call_name(node):
            found.add(name)
    return found


def code_calls() -> set[str]:
    """Every Web API method called in bot/, handlers/ and blocks/."""
    found: set[str] = set()
    for folder in CODE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            found |= called_methods(path.read_text(encoding="utf-8"))
    return found


def problems(methods: Iterable[str], granted: set[str]) -> list[str]:
    """Why each method cannot be called with `granted` (empty when all can)."""
    out: list[str] = []
    for method in sorted(methods):
        spec = METHODS.get(method)
        if spec is None:
            out.append(f"{method}: unknown to the Slack emulator (sandbox/slack/emulator.py METHODS)")
        elif method in TYPED_SCOPES:
            by_kind = TYPED_SCOPES[method]
            lacking = [by_kind[k] for k in KINDS_USED.get(method, tuple(by_kind)) if by_kind[k] not in granted]
            out += [f"{method}: manifest.yml lacks {scope}" for scope in lacking]
        elif spec.scope and not granted & set(spec.scope.split(",")):
            out.append(f"{method}: manifest.yml lacks {spec.scope}")
    return out


# -- the manifest and the code --------------------------------------------------------------


def test_the_emulator_holds_exactly_the_manifest_scopes() -> None:
    """The constant the emulator grants is manifest.yml's bot list (the wheel carries no manifest.yml)."""
    scopes = manifest_bot_scopes()
    assert scopes == list(MANIFEST_BOT_SCOPES)
    assert SlackEmulator().scopes == set(scopes)
    assert {"im:read", "mpim:read", "mpim:history"} <= set(scopes)


async def test_the_token_reports_the_manifest_scopes(client: AsyncWebClient) -> None:
    """Over HTTP, X-OAuth-Scopes lists exactly the manifest's bot scopes."""
    response = await client.auth_test()
    headers = {k.lower(): v for k, v in response.headers.items()}
    assert headers["x-oauth-scopes"].split(",") == sorted(manifest_bot_scopes())


def test_every_method_the_code_calls_is_granted_by_the_manifest() -> None:
    """Each Web API method in bot/, handlers/, blocks/ is known to the emulator and covered by a scope."""
    calls = code_calls()
    assert {
        "chat.postMessage",
        "chat.unfurl",
        "conversations.info",
        "conversations.history",
        "conversations.open",
        "users.lookupByEmail",
        "views.open",
        "views.publish",
    } <= calls
    assert problems(calls, set(manifest_bot_scopes())) == []


def test_the_check_names_ungranted_and_unknown_methods() -> None:
    """A call the manifest can't make, or one the emulator doesn't know, is reported."""
    source = """
async def more(client, other):
    await client.chat_postMessage(channel="C1", text="fine")
    await other.conversations_join(channel="C1")
    await client.api_call("team.info")
    await client.admin_users_list(team_id="T1")
"""
    calls = called_methods(source)
    assert calls == {"chat.postMessage", "conversations.join", "team.info", "admin.users.list"}
    assert problems(calls, set(manifest_bot_scopes())) == [
        "admin.users.list: unknown to the Slack emulator (sandbox/slack/emulator.py METHODS)",
        "conversations.join: manifest.yml lacks channels:join",
        "team.info: manifest.yml lacks team:read",
    ]
    assert problems({"conversations.info"}, set(manifest_bot_scopes()) - {"mpim:read"}) == [
        "conversations.info: manifest.yml lacks mpim:read"
    ]


# -- the emulator over HTTP -----------------------------------------------------------------


@pytest.fixture
async def slack(serve: Callable) -> SlackEmulator:
    """A served Slack emulator with the demo book."""
    return await serve(SlackEmulator(DEMO_ACCOUNTS, today=TODAY))


@pytest.fixture
def client(slack: SlackEmulator) -> AsyncWebClient:
    """The real AsyncWebClient with the bot token."""
    env = slack.env()
    return AsyncWebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_URL"])


async def refusal(call: Any) -> dict[str, Any]:
    """Await a call that must fail; Slack's answer."""
    with pytest.raises(SlackApiError) as info:
        await call
    return dict(info.value.response.data)


def call(client: AsyncWebClient, method: str, channel: str) -> Any:
    """One conversation method on `channel`."""
    return client.api_call(method, params={"channel": channel})


@pytest.mark.parametrize("method", ["conversations.info", "conversations.members", "conversations.history"])
@pytest.mark.parametrize("kind", KINDS)
async def test_each_kind_needs_its_own_scope(
    slack: SlackEmulator, client: AsyncWebClient, method: str, kind: Kind
) -> None:
    """Without the kind's scope: missing_scope naming that one scope; the other kinds still answer."""
    needed = TYPED_SCOPES[method][kind]
    assert (await call(client, method, CONVERSATIONS[kind]))["ok"]
    slack.scopes.discard(needed)
    answer = await refusal(call(client, method, CONVERSATIONS[kind]))
    assert (answer["error"], answer["needed"]) == ("missing_scope", needed)
    assert needed not in answer["provided"].split(",")
    for other in KINDS:
        if other != kind:
            assert (await call(client, method, CONVERSATIONS[other]))["ok"], other


async def test_no_scope_of_the_family_names_them_all(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """A token with none of a method's scopes is refused before the conversation is looked at."""
    slack.scopes -= set(TYPED_SCOPES["conversations.info"].values())
    answer = await refusal(client.conversations_info(channel=MAYA_DM))
    assert (answer["error"], answer["needed"]) == ("missing_scope", "channels:read,groups:read,mpim:read,im:read")
    answer = await refusal(client.conversations_info(channel="C0NOPE00001"))
    assert answer["error"] == "missing_scope"


async def test_the_seeded_dm_and_group_dm(client: AsyncWebClient) -> None:
    """The app's DM with Maya and the group DM of Maya, Sam and the bot are there from the start."""
    dm = (await client.conversations_info(channel=MAYA_DM))["channel"]
    assert (dm["is_im"], dm["user"]) == (True, MAYA)
    group = (await client.conversations_info(channel=GROUP_DM))["channel"]
    assert group["is_mpim"] and not group["is_im"] and not group["is_channel"] and group["is_private"]
    assert group["name"] == "mpdm-maya--sam--accountbot-1" and group["is_member"] is True
    members = (await client.conversations_members(channel=GROUP_DM))["members"]
    assert set(members) == {MAYA, SAM, BOT_USER_ID}


async def test_a_group_dm_post_is_read_back_with_mpim_history(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """chat.postMessage into a group DM, then conversations.history there (mpim:history)."""
    ts = (await client.chat_postMessage(channel=GROUP_DM, text="Acme paid"))["ts"]
    history = await client.conversations_history(channel=GROUP_DM)
    assert [m["ts"] for m in history["messages"]] == [ts]
    slack.scopes.discard("mpim:history")
    answer = await refusal(client.conversations_history(channel=GROUP_DM))
    assert (answer["error"], answer["needed"]) == ("missing_scope", "mpim:history")


async def test_open_a_dm_needs_im_write(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """One user: the app's DM with them (im:write); a DM resumes by `channel`."""
    assert (await client.conversations_open(users=MAYA))["channel"]["id"] == MAYA_DM
    assert (await client.conversations_open(channel=MAYA_DM))["channel"]["id"] == MAYA_DM
    slack.scopes.discard("im:write")  # now none of the method's scopes: Slack names them all
    answer = await refusal(client.conversations_open(users=MAYA))
    assert (answer["error"], answer["needed"]) == ("missing_scope", "channels:write,groups:write,mpim:write,im:write")
    slack.scopes.add("mpim:write")  # one of them: the DM's own scope is named
    answer = await refusal(client.conversations_open(users=MAYA))
    assert (answer["error"], answer["needed"]) == ("missing_scope", "im:write")


async def test_open_a_group_dm_needs_mpim_write(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """Several users: a group DM, which needs mpim:write, a scope the manifest does not ask for."""
    answer = await refusal(client.conversations_open(users=f"{MAYA},{SAM}"))
    assert (answer["error"], answer["needed"]) == ("missing_scope", "mpim:write")
    answer = await refusal(client.conversations_open(channel=GROUP_DM))
    assert (answer["error"], answer["needed"]) == ("missing_scope", "mpim:write")
    slack.scopes.add("mpim:write")
    assert (await client.conversations_open(users=f"{MAYA},{SAM}"))["channel"]["id"] == GROUP_DM
    trio = [MAYA, SAM, PEOPLE[1].slack_id]
    opened = (await client.conversations_open(users=",".join(trio)))["channel"]["id"]
    assert opened.startswith("G") and opened != GROUP_DM
    assert set((await client.conversations_members(channel=opened))["members"]) == {*trio, BOT_USER_ID}
    assert (await client.conversations_open(users=",".join(reversed(trio))))["channel"]["id"] == opened


async def test_open_refusals(slack: SlackEmulator, client: AsyncWebClient) -> None:
    """No users, more than 8, a channel that is not a DM, a deactivated user."""
    slack.scopes.add("mpim:write")
    assert (await refusal(client.api_call("conversations.open")))["error"] == "users_list_not_supplied"
    nine = ",".join(p.slack_id for p in PEOPLE) + ",U0GUEST0001"
    assert (await refusal(client.conversations_open(users=nine)))["error"] == "too_many_users"
    answer = await refusal(client.conversations_open(channel=SALES))
    assert answer["error"] == "method_not_supported_for_channel_type"
    assert (await refusal(client.conversations_open(users="U0GONE00001")))["error"] == "user_disabled"


# -- end to end: the bot unfurls in DMs and group DMs -----------------------------------------


async def _unfurl(bot: Bot, channel_id: str) -> str:
    """Share the Globex deal link in a conversation as Maya; the unfurl's JSON."""
    await bot.event(bot.slack.link_shared([GLOBEX_URL], channel_id=channel_id, user_id=MAYA))
    [unfurl] = await bot.until(lambda: bot.slack.unfurls, what="chat.unfurl")
    return json.dumps(unfurl["unfurls"][GLOBEX_URL], ensure_ascii=False)


@pytest.mark.parametrize("channel_id", [MAYA_DM, GROUP_DM], ids=["dm", "group-dm"])
async def test_a_deal_link_unfurls_in_a_dm_and_a_group_dm(bot: Bot, channel_id: str) -> None:
    """conversations.info on the DM (im:read) / group DM (mpim:read) tells an internal audience: the full unfurl."""
    text = await _unfurl(bot, channel_id)
    assert "Globex – Customer Data Platform" in text and "$22,500.00" in text


@pytest.mark.parametrize("channel_id, scope", [(MAYA_DM, "im:read"), (GROUP_DM, "mpim:read")], ids=["dm", "group-dm"])
async def test_without_the_read_scope_the_unfurl_shows_name_and_stage_only(
    bot: Bot, channel_id: str, scope: str
) -> None:
    """An install without the kind's read scope can't check the audience: the bot fails closed."""
    bot.slack.scopes.discard(scope)
    text = await _unfurl(bot, channel_id)
    assert "Globex – Customer Data Platform" in text and "$" not in text
