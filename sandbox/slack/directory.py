"""The emulated workspace: its team, bot, members, guests, a Slack Connect partner, channels,
the app's DM with every person and a group DM.

Users and channels are kept as dicts in the shape the Web API returns them, so control
helpers can change any field and `users.info` / `conversations.info` show the change.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time
from typing import Any, Final
from zoneinfo import ZoneInfo

from sandbox.book import PEOPLE

TEAM_ID: Final = "T0BRIGHT01"
TEAM_NAME: Final = "Brightline"
TEAM_DOMAIN: Final = "brightline"
CLIENT_TEAM_ID: Final = "T0CLIENT1"  # Acme Logistics' own Slack organisation (Slack Connect)
CLIENT_TEAM_NAME: Final = "Acme Logistics"
APP_ID: Final = "A0ACCTBOT1"
BOT_ID: Final = "B0ACCTBOT1"
BOT_USER_ID: Final = "U0ACCTBOT1"
BOT_NAME: Final = "accountbot"

GUEST_ID: Final = "U0GUEST0001"  # multi-channel guest
SINGLE_GUEST_ID: Final = "U0GUEST0002"  # single-channel (ultra-restricted) guest
EXTERNAL_ID: Final = "U0ACMEEXT01"  # a user of the client's organisation
DEACTIVATED_ID: Final = "U0GONE00001"

SALES: Final = "C0SALES0001"  # public, bot member
GENERAL: Final = "C0GENERAL01"  # public, bot not a member
DEAL_DESK: Final = "C0DEALDSK01"  # private, bot not a member
LEADERSHIP: Final = "C0LEADERS01"  # private, bot member
CLIENT_ACME: Final = "C0ACMEINT01"  # #client-acme: internal channel about the client, guests in it
SHARED_ACME: Final = "C0ACMESHR01"  # Slack Connect channel shared with CLIENT_TEAM_ID
OLD_DEALS: Final = "C0OLDDEAL01"  # archived
GROUP_DM: Final = "G0MPDMMS001"  # group DM (mpim) of Maya, Sam and the bot

PROFILE_KEYS: Final = frozenset(
    {
        "email",
        "real_name",
        "display_name",
        "first_name",
        "last_name",
        "title",
        "phone",
        "image_72",
    }
)


def _tz_fields(tz: str, today: date) -> dict[str, Any]:
    """tz, tz_label and tz_offset (seconds) as Slack gives them, for `today`."""
    moment = datetime.combine(today, time(12), tzinfo=UTC).astimezone(ZoneInfo(tz))
    offset = moment.utcoffset()
    return {"tz": tz, "tz_label": moment.tzname() or tz, "tz_offset": int(offset.total_seconds()) if offset else 0}


def make_user(
    user_id: str,
    first: str,
    last: str,
    *,
    email: str | None,
    today: date,
    team_id: str = TEAM_ID,
    tz: str = "America/New_York",
    handle: str | None = None,
    is_restricted: bool = False,
    is_ultra_restricted: bool = False,
    is_bot: bool = False,
    deleted: bool = False,
    title: str = "",
) -> dict[str, Any]:
    """A user object shaped like `users.info` returns it."""
    real = f"{first} {last}".strip()
    profile: dict[str, Any] = {
        "real_name": real,
        "real_name_normalized": real,
        "display_name": first,
        "display_name_normalized": first,
        "first_name": first,
        "last_name": last,
        "title": title,
        "phone": "",
        "team": team_id,
        "image_72": f"https://avatars.example/{user_id}_72.png",
    }
    if email:
        profile["email"] = email
    if is_bot:
        profile.update({"bot_id": BOT_ID, "api_app_id": APP_ID, "always_active": True})
    return {
        "id": user_id,
        "team_id": team_id,
        "name": handle or (first.lower() or user_id.lower()),
        "deleted": deleted,
        "color": "9f69e7",
        "real_name": real,
        **_tz_fields(tz, today),
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": is_restricted,
        "is_ultra_restricted": is_ultra_restricted,
        "is_bot": is_bot,
        "is_app_user": False,
        "is_email_confirmed": not is_bot,
        "updated": 1700000000,
        "who_can_share_contact_card": "EVERYONE",
    }


def seed_users(today: date) -> dict[str, dict[str, Any]]:
    """The bot, every person of the book as a full member, guests, an external and a gone user."""
    users = [make_user(BOT_USER_ID, "accountbot", "", email=None, today=today, handle=BOT_NAME, is_bot=True)]
    for human in PEOPLE:
        users.append(
            make_user(
                human.slack_id, human.first, human.last, email=human.email, today=today, tz=human.tz, handle=human.key
            )
        )
    users += [
        make_user(
            GUEST_ID,
            "Gail",
            "Gaston",
            email="gail@contractor.example",
            today=today,
            is_restricted=True,
            title="Contractor (multi-channel guest)",
        ),
        make_user(
            SINGLE_GUEST_ID,
            "Sol",
            "Singh",
            email="sol@freelance.example",
            today=today,
            is_restricted=True,
            is_ultra_restricted=True,
            title="Single-channel guest",
        ),
        # Slack Connect: another organisation's profile; its email is not shared with us.
        make_user(
            EXTERNAL_ID,
            "Casey",
            "Client",
            email=None,
            today=today,
            team_id=CLIENT_TEAM_ID,
            title="VP Operations, Acme Logistics",
        ),
        make_user(DEACTIVATED_ID, "Former", "Employee", email="former@brightline.example", today=today, deleted=True),
    ]
    return {u["id"]: u for u in users}


def make_channel(
    channel_id: str,
    name: str,
    *,
    is_private: bool = False,
    is_archived: bool = False,
    is_general: bool = False,
    connected_team_ids: tuple[str, ...] = (),
    purpose: str = "",
    created: int = 1650000000,
) -> dict[str, Any]:
    """A channel object shaped like `conversations.info` returns it (without is_member)."""
    shared = bool(connected_team_ids)
    channel: dict[str, Any] = {
        "id": channel_id,
        "name": name,
        "name_normalized": name,
        "is_channel": True,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": is_private,
        "created": created,
        "creator": PEOPLE[0].slack_id,
        "is_archived": is_archived,
        "is_general": is_general,
        "unlinked": 0,
        "is_shared": shared,
        "is_org_shared": False,
        "is_ext_shared": shared,
        "is_pending_ext_shared": False,
        "pending_shared": [],
        "context_team_id": TEAM_ID,
        "updated": created * 1000,
        "parent_conversation": None,
        "shared_team_ids": [TEAM_ID],
        "previous_names": [],
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {
            "value": purpose,
            "creator": PEOPLE[0].slack_id if purpose else "",
            "last_set": created if purpose else 0,
        },
    }
    if shared:
        channel["connected_team_ids"] = [TEAM_ID, *connected_team_ids]
        channel["conversation_host_id"] = TEAM_ID
    return channel


def dm_id(user_id: str) -> str:
    """The ID of the app's DM with a user."""
    return "D" + user_id[1:]


MAYA_DM: Final = dm_id(PEOPLE[0].slack_id)  # the app's DM with Maya (every person has one)


def make_dm(user_id: str) -> dict[str, Any]:
    """The app's DM with a user, shaped like `conversations.info` returns an IM."""
    return {
        "id": dm_id(user_id),
        "created": 1700000000,
        "is_im": True,
        "is_org_shared": False,
        "context_team_id": TEAM_ID,
        "user": user_id,
        "is_user_deleted": False,
        "priority": 0,
        "is_archived": False,
        "is_private": True,
    }


def make_group_dm(channel_id: str, handles: list[str], *, creator: str, created: int = 1700000000) -> dict[str, Any]:
    """A group DM (mpim) between people with these handles, shaped like `conversations.info` returns it."""
    name = "mpdm-" + "--".join(handles) + "-1"
    return {
        "id": channel_id,
        "name": name,
        "name_normalized": name,
        "is_channel": False,
        "is_group": False,
        "is_im": False,
        "is_mpim": True,
        "is_private": True,
        "created": created,
        "creator": creator,
        "is_archived": False,
        "is_general": False,
        "unlinked": 0,
        "is_shared": False,
        "is_org_shared": False,
        "is_ext_shared": False,
        "is_pending_ext_shared": False,
        "pending_shared": [],
        "context_team_id": TEAM_ID,
        "updated": created * 1000,
        "parent_conversation": None,
        "shared_team_ids": [TEAM_ID],
        "previous_names": [],
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {
            "value": "Group messaging with: " + " ".join(f"@{h}" for h in handles),
            "creator": creator,
            "last_set": created,
        },
    }


def seed_channels() -> tuple[dict[str, dict[str, Any]], dict[str, set[str]]]:
    """Channels, the app's DM with every person, a group DM, and their members.

    The bot's membership is `BOT_USER_ID` in a conversation's member set.
    """
    staff = {h.slack_id for h in PEOPLE}
    keys = {h.key: h.slack_id for h in PEOPLE}
    channels = [
        (make_channel(SALES, "sales", purpose="Deals and accounts"), staff | {BOT_USER_ID}),
        (make_channel(GENERAL, "general", is_general=True), staff | {GUEST_ID, DEACTIVATED_ID}),
        (make_channel(DEAL_DESK, "deal-desk", is_private=True), {keys["maya"], keys["priya"]}),
        (make_channel(LEADERSHIP, "leadership", is_private=True), {keys["maya"], keys["jordan"], BOT_USER_ID}),
        (
            make_channel(CLIENT_ACME, "client-acme", purpose="Acme Logistics delivery"),
            {keys["maya"], keys["sam"], keys["raj"], GUEST_ID, SINGLE_GUEST_ID, BOT_USER_ID},
        ),
        (
            make_channel(
                SHARED_ACME,
                "ext-acme-logistics",
                connected_team_ids=(CLIENT_TEAM_ID,),
                purpose="Shared with Acme Logistics",
            ),
            {keys["maya"], keys["sam"], EXTERNAL_ID, BOT_USER_ID},
        ),
        (make_channel(OLD_DEALS, "old-deals", is_archived=True), staff | {BOT_USER_ID}),
        (
            make_group_dm(GROUP_DM, ["maya", "sam", BOT_NAME], creator=keys["maya"]),
            {keys["maya"], keys["sam"], BOT_USER_ID},
        ),
    ]
    channels += [(make_dm(h.slack_id), {h.slack_id, BOT_USER_ID}) for h in PEOPLE]
    return ({c["id"]: c for c, _ in channels}, {c["id"]: set(m) for c, m in channels})


TEAMS: Final = {
    TEAM_ID: {
        "id": TEAM_ID,
        "name": TEAM_NAME,
        "domain": TEAM_DOMAIN,
        "email_domain": "brightline.example",
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "icon": {"image_default": True},
        "is_verified": False,
    },
    CLIENT_TEAM_ID: {
        "id": CLIENT_TEAM_ID,
        "name": CLIENT_TEAM_NAME,
        "domain": "acme-logistics",
        "email_domain": "acme-logistics.example",
        "url": "https://acme-logistics.slack.com/",
        "icon": {"image_default": True},
        "is_verified": True,
    },
}


def seed_teams() -> dict[str, dict[str, Any]]:
    """A fresh copy of the known teams (ours and the Slack Connect partner's)."""
    return copy.deepcopy(dict(TEAMS))
