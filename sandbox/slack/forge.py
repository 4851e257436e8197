"""Requests Slack itself sends TO the app, forged for tests and the benchmark.

Bodies come back as the exact strings to POST (signing covers the raw body); the `*_fields`
/ `*_envelope` variants give the same content as dicts, which is what Socket Mode carries.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from sandbox.book import PEOPLE
from sandbox.slack.directory import APP_ID, BOT_USER_ID, SALES, TEAM_DOMAIN, TEAM_ID

_seq = itertools.count(1)


def signed_headers(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """X-Slack-Signature / X-Slack-Request-Timestamp (and Content-Type) for a raw body."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body) or ""
    content_type = "application/json" if body.lstrip().startswith("{") else "application/x-www-form-urlencoded"
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": signature, "Content-Type": content_type}


def fake_trigger_id() -> str:
    """A trigger id in Slack's shape that no emulator issued."""
    return f"{int(time.time() * 1000)}.{next(_seq)}.{secrets.token_hex(16)}"


def slash_command_fields(
    text: str = "",
    *,
    command: str = "/account",
    user_id: str = PEOPLE[0].slack_id,
    user_name: str | None = None,
    channel_id: str = SALES,
    channel_name: str = "sales",
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    response_url: str | None = None,
    trigger_id: str | None = None,
    api_app_id: str = APP_ID,
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
) -> dict[str, str]:
    """The fields of a slash command invocation, as strings."""
    return {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "true" if is_enterprise_install else "false",
        "enterprise_id": enterprise_id or "",
        "enterprise_name": "",
        "response_url": response_url
        or f"https://hooks.slack.com/commands/{team_id}/{next(_seq)}/{secrets.token_hex(12)}",
        "trigger_id": trigger_id or fake_trigger_id(),
    }


def slash_command_body(text: str = "", **fields: Any) -> str:
    """A slash command request body, form-encoded (see `slash_command_fields` for keywords)."""
    return urlencode(slash_command_fields(text, **fields))


def event_envelope(
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    event_time: int | None = None,
    is_ext_shared_channel: bool = False,
    authed_user_id: str = BOT_USER_ID,
) -> dict[str, Any]:
    """An Events API `event_callback` envelope around `event`."""
    return {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": authed_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": is_ext_shared_channel,
        "event_context": f"4-{secrets.token_hex(20)}",
    }


def event_body(event: dict[str, Any], event_id: str | None = None, **fields: Any) -> str:
    """An Events API request body (JSON) around `event` (see `event_envelope`)."""
    return json.dumps(event_envelope(event, event_id=event_id, **fields))


def url_verification_body(challenge: str = "challenge-token") -> str:
    """The `url_verification` handshake Slack sends when the Request URL is saved."""
    return json.dumps({"token": "deprecated-verification-token", "challenge": challenge, "type": "url_verification"})


def interactive_body(payload: dict[str, Any]) -> str:
    """An interactivity request body: form field `payload` holding the JSON."""
    return urlencode({"payload": json.dumps(payload)})


def link_shared_event(
    urls: list[str],
    *,
    channel: str = SALES,
    user: str = PEOPLE[0].slack_id,
    message_ts: str | None = None,
    unfurl_id: str | None = None,
    source: str = "conversations_history",
    is_bot_user_member: bool = True,
) -> dict[str, Any]:
    """A `link_shared` event for `urls` (composer source: message_ts is a placeholder)."""
    from urllib.parse import urlparse

    ts = message_ts or f"{time.time():.6f}"
    return {
        "type": "link_shared",
        "channel": channel,
        "user": user,
        "message_ts": ts,
        "unfurl_id": unfurl_id or f"C{secrets.token_hex(6).upper()}.{ts}.{secrets.token_hex(8)}",
        "source": source,
        "is_bot_user_member": is_bot_user_member,
        "event_ts": f"{time.time():.6f}",
        "links": [{"domain": urlparse(u).hostname or "", "url": u} for u in urls],
    }


def block_actions_payload(
    action: dict[str, Any],
    *,
    user_id: str = PEOPLE[0].slack_id,
    channel_id: str = SALES,
    message: dict[str, Any] | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
    team_id: str = TEAM_ID,
    view: dict[str, Any] | None = None,
    state_values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload for one action (from a message, or from `view` if given)."""
    act = {"type": "button", "action_ts": f"{time.time():.6f}", **action}
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id},
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": trigger_id or fake_trigger_id(),
        "actions": [act],
        "state": {"values": state_values or {}},
        "is_enterprise_install": False,
        "enterprise": None,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        payload["view"] = view
    else:
        ts = (message or {}).get("ts", f"{time.time():.6f}")
        payload["container"] = {"type": "message", "message_ts": ts, "channel_id": channel_id, "is_ephemeral": False}
        payload["channel"] = {"id": channel_id, "name": channel_id.lower()}
        payload["message"] = message or {"type": "message", "ts": ts, "text": ""}
        payload["response_url"] = response_url or (
            f"https://hooks.slack.com/actions/{team_id}/{next(_seq)}/{secrets.token_hex(12)}"
        )
    return payload


def view_submission_payload(
    view: dict[str, Any], values: dict[str, Any], *, user_id: str = PEOPLE[0].slack_id, team_id: str = TEAM_ID
) -> dict[str, Any]:
    """A `view_submission` payload: `values` is state.values[block_id][action_id]."""
    submitted = {**view, "state": {"values": values}}
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id},
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": fake_trigger_id(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
