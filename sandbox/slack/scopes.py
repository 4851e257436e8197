"""The scopes the emulated install holds, and the one scope each kind of conversation needs.

Slack checks conversation methods in two steps. A token holding none of the method's
scopes is refused with all of them in `needed` (seen for conversations.open:
"channels:write,groups:write,mpim:write,im:write"; for the other methods *unconfirmed*, a
client should read either answer). Otherwise the conversation's kind decides, and `needed`
names the one scope that kind asks for (`conversations.info` on a DM without `im:read`
answers `missing_scope`, `needed: "im:read"`, seen with channels:read held).
"""

from __future__ import annotations

from typing import Any, Final, Literal

from sandbox.slack.common import SlackError

# manifest.yml's oauth_config.scopes.bot, in its order: the emulated install holds exactly
# these. A constant rather than a read of the file, because manifest.yml sits at the
# repository root and is not in an installed wheel (the Docker image, `accountbot demo`);
# tests/test_slack_scopes.py proves the two lists equal.
MANIFEST_BOT_SCOPES: Final = (
    "commands",
    "chat:write",
    "links:read",
    "links:write",
    "users:read",
    "channels:read",
    "groups:read",
    "im:read",
    "mpim:read",
    "users:read.email",
    "im:write",
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
)
BOT_SCOPES: Final = frozenset(MANIFEST_BOT_SCOPES)

Kind = Literal["public", "private", "im", "mpim"]
KINDS: Final[tuple[Kind, ...]] = ("public", "private", "im", "mpim")


def _family(verb: str) -> dict[Kind, str]:
    """channels:VERB, groups:VERB, mpim:VERB and im:VERB (Slack's order in `needed`) by kind."""
    return {"public": f"channels:{verb}", "private": f"groups:{verb}", "mpim": f"mpim:{verb}", "im": f"im:{verb}"}


# Methods whose scope follows the conversation's kind: the handler resolves the conversation
# (or, for conversations.open, counts the users) and calls `require_kind_scope`.
TYPED_SCOPES: Final[dict[str, dict[Kind, str]]] = {
    "conversations.info": _family("read"),
    "conversations.members": _family("read"),
    "conversations.history": _family("history"),
    # one user opens a DM, several a group DM; channels are not opened with this method
    "conversations.open": {"mpim": "mpim:write", "im": "im:write"},
}


def accepted(method: str) -> str:
    """The scopes of a typed method, any one of which gets the call past the first check."""
    return ",".join(TYPED_SCOPES[method].values())


def conversation_kind(channel: dict[str, Any]) -> Kind:
    """public, private, im or mpim, from a conversation object's flags."""
    if channel.get("is_im"):
        return "im"
    if channel.get("is_mpim"):
        return "mpim"
    return "private" if channel.get("is_private") else "public"


def missing_scope(needed: str, held: set[str]) -> SlackError:
    """Slack's refusal: `missing_scope` with the scope(s) needed and those the token has."""
    return SlackError("missing_scope", needed=needed, provided=",".join(sorted(held)))


def require_kind_scope(method: str, kind: Kind, held: set[str]) -> None:
    """Refuse as Slack does unless the token holds the scope `method` needs for `kind`."""
    needed = TYPED_SCOPES[method].get(kind)
    if needed is None:
        raise SlackError("method_not_supported_for_channel_type")
    if needed not in held:
        raise missing_scope(needed, held)
