"""Slack emulator package: `from sandbox.slack import SlackEmulator`, plus request forging.

- `emulator`: the Web API, response URLs, Socket Mode and the control API for tests.
- `forge`: requests Slack sends TO the app (signed headers, slash commands, events, actions).
- `blocks`: Block Kit validation with Slack's limits.
- `directory`: the seeded workspace (team, members, guests, Slack Connect partner, channels,
  the app's DMs and a group DM).
- `scopes`: the install's scopes (manifest.yml's) and the scope each conversation kind needs.
"""

from sandbox.slack.common import FakeClock
from sandbox.slack.directory import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    CLIENT_ACME,
    CLIENT_TEAM_ID,
    DEACTIVATED_ID,
    DEAL_DESK,
    EXTERNAL_ID,
    GENERAL,
    GROUP_DM,
    GUEST_ID,
    LEADERSHIP,
    MAYA_DM,
    OLD_DEALS,
    SALES,
    SHARED_ACME,
    SINGLE_GUEST_ID,
    TEAM_ID,
)
from sandbox.slack.emulator import SlackEmulator
from sandbox.slack.forge import (
    block_actions_payload,
    event_body,
    event_envelope,
    interactive_body,
    link_shared_event,
    signed_headers,
    slash_command_body,
    slash_command_fields,
    url_verification_body,
    view_submission_payload,
)

__all__ = [
    "SlackEmulator",
    "FakeClock",
    "signed_headers",
    "slash_command_body",
    "slash_command_fields",
    "event_body",
    "event_envelope",
    "interactive_body",
    "url_verification_body",
    "link_shared_event",
    "block_actions_payload",
    "view_submission_payload",
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "TEAM_ID",
    "CLIENT_TEAM_ID",
    "SALES",
    "GENERAL",
    "DEAL_DESK",
    "LEADERSHIP",
    "CLIENT_ACME",
    "SHARED_ACME",
    "OLD_DEALS",
    "GUEST_ID",
    "SINGLE_GUEST_ID",
    "EXTERNAL_ID",
    "DEACTIVATED_ID",
    "MAYA_DM",
    "GROUP_DM",
]
