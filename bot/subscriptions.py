"""/account subscribe | unsubscribe | subscriptions: parsing, checks and storage."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from bot.cards import CardService
from bot.models.alerts import AlertKind
from bot.models.views import Subscription
from bot.store import Store
from bot.store.alerts import ALL

KIND_WORDS: Final = {
    "escalation": AlertKind.ESCALATIONS,
    "escalations": AlertKind.ESCALATIONS,
    "payment": AlertKind.PAYMENTS,
    "payments": AlertKind.PAYMENTS,
    "project": AlertKind.PROJECTS,
    "projects": AlertKind.PROJECTS,
}
# What a subscription that names no kind gets: delivery projects only when asked for (`projects`).
DEFAULT_KINDS: Final = frozenset({AlertKind.ESCALATIONS, AlertKind.PAYMENTS})
NO_ACCOUNT: Final = "Which account? `/account subscribe Acme` or `/account subscribe all`."
MAX_MINIMUM: Final = Decimal("1000000000000")  # a trillion: stored in 32 characters, larger than any invoice
MIN_RE: Final = re.compile(r"^min=([$€£]?)([\d,]+(?:\.\d{1,2})?)$", re.IGNORECASE)


@dataclass(frozen=True)
class Request:
    target: str  # an account query, or "*" for all
    kinds: frozenset[str]
    min_amount: Decimal | None = None
    error: str | None = None
    named: bool = False  # the kinds were named (else the defaults)


@dataclass(frozen=True)
class Outcome:
    """What to tell the user (and whether it worked)."""

    ok: bool
    text: str
    subscriptions: tuple[Subscription, ...] = field(default=())


def parse(text: str) -> Request:
    """`ACCOUNT|all [escalations] [payments] [projects] [min=AMOUNT]` (kinds default to escalations and payments)."""
    kinds: set[str] = set()
    minimum: Decimal | None = None
    words: list[str] = []
    for token in text.split():
        low = token.lower()
        if low in KIND_WORDS:
            kinds.add(KIND_WORDS[low])
        elif low.startswith("min="):
            match = MIN_RE.match(token)
            if not match:
                return Request(
                    "", frozenset(), error=f"“{token}” is not an amount: write it like min=5000 or min=2500.50"
                )
            try:
                minimum = Decimal(match.group(2).replace(",", ""))
            except InvalidOperation:
                return Request("", frozenset(), error=f"“{token}” is not an amount")
            if minimum > MAX_MINIMUM:
                return Request(
                    "",
                    frozenset(),
                    error=f"“{token}” is more than any payment: the largest minimum is min={MAX_MINIMUM:,}",
                )
        else:
            words.append(token)
    target = " ".join(words).strip()
    chosen = frozenset(kinds or DEFAULT_KINDS)
    if not target:
        return Request("", chosen, minimum, error=NO_ACCOUNT, named=bool(kinds))
    return Request(ALL if target.lower() == "all" else target, chosen, minimum, named=bool(kinds))


class SubscriptionService:
    """Channel subscriptions: they belong to the channel, not to whoever made them."""

    def __init__(self, store: Store, cards: CardService, directory: Any) -> None:
        self.store = store
        self.cards = cards
        self.directory = directory

    async def subscribe(self, channel_id: str, user_id: str, text: str) -> Outcome:
        """Check the channel, resolve the account, store the subscription."""
        request = await self._with_link(channel_id, parse(text))
        if request.error:
            return Outcome(False, request.error)
        channel = await self.directory.channel(channel_id)
        if not channel.exists or not channel.is_member:
            return Outcome(
                False,
                "I'm not in this channel, so I couldn't post alerts here. "
                "Invite me first (`/invite @accountbot`), then subscribe again.",
            )
        if channel.is_archived:
            return Outcome(False, "This channel is archived; alerts can't be posted here.")
        deal_id, name, problem = await self._account(request.target)
        if problem:
            return Outcome(False, problem)
        minimum = str(request.min_amount) if request.min_amount is not None else None
        sub, created = await self.store.subscribe(channel_id, deal_id, name, request.kinds, minimum, user_id)
        what = " and ".join(sorted(sub.kinds))
        floor = f" (payments of {request.min_amount:,} or more)" if request.min_amount is not None else ""
        verb = "will get" if created else "now gets"
        return Outcome(True, f"This channel {verb} {what} alerts for {_label(sub)}{floor}.", (sub,))

    async def unsubscribe(self, channel_id: str, text: str) -> Outcome:
        """Remove kinds, or the whole subscription."""
        request = await self._with_link(channel_id, parse(text))
        if request.error:
            return Outcome(False, request.error)
        deal_id = ALL
        if request.target != ALL:
            deal_id = await self._existing(channel_id, request.target) or ""
        kinds = request.kinds if request.named else None
        if not deal_id or not await self.store.unsubscribe(channel_id, deal_id, kinds):
            return Outcome(
                False, f"This channel has no subscription for “{request.target}”. `/account subscriptions` lists them."
            )
        return Outcome(True, f"Done: {'those alerts are' if kinds else 'that subscription is'} off for this channel.")

    async def list(self, channel_id: str) -> Outcome:
        """The channel's subscriptions, broken ones included."""
        subs = tuple(await self.store.subscriptions(channel_id))
        if not subs:
            return Outcome(True, "This channel has no alert subscriptions. Try `/account subscribe Acme`.", ())
        return Outcome(True, f"{len(subs)} subscription{'s' if len(subs) != 1 else ''} in this channel", subs)

    async def link(self, channel_id: str, user_id: str, text: str) -> Outcome:
        """Bind this channel to an account: bare /account shows its card, subscribe needs no name."""
        target = text.strip()
        if not target:
            return Outcome(False, "Which account? `/account link Acme`.")
        deal_id, name, problem = await self._account(target)
        if problem or deal_id == ALL:
            return Outcome(False, problem or "A channel links to one account, not all of them.")
        await self.store.link_channel(channel_id, deal_id, name, user_id)
        return Outcome(
            True,
            f"This channel is now linked to {name}: `/account` here shows its card, "
            "and `/account subscribe` needs no account name.",
        )

    async def unlink(self, channel_id: str) -> Outcome:
        """Undo the binding."""
        if await self.store.unlink_channel(channel_id):
            return Outcome(True, "This channel is no longer linked to an account.")
        return Outcome(False, "This channel isn't linked to an account.")

    async def _with_link(self, channel_id: str, request: Request) -> Request:
        """In a linked channel, a subscribe without an account means the linked one."""
        if request.error == NO_ACCOUNT:
            link = await self.store.channel_link(channel_id)
            if link is not None:
                return Request(link[0], request.kinds, request.min_amount, named=request.named)
        return request

    async def _account(self, target: str) -> tuple[str, str, str | None]:
        if target == ALL:
            return ALL, "every account", None
        result = await self.cards.for_query(target)
        if result.outcome == "card" and result.status is not None:
            return result.status.deal_id, result.status.name, None
        if result.outcome == "picker":
            options = ", ".join(f"{m.name} ({m.deal_id})" for m in result.matches[:5])
            return "", "", f"Several deals match “{target}”: {options}. Subscribe with the deal ID."
        if result.outcome == "no_match" and result.matches:
            options = ", ".join(m.name for m in result.matches[:3])
            return "", "", f"No deal matches “{target}”. Did you mean: {options}?"
        return "", "", result.message or f"No deal matches “{target}”."

    async def _existing(self, channel_id: str, target: str) -> str | None:
        wanted = target.lower()
        for sub in await self.store.subscriptions(channel_id):
            if sub.deal_id == target or wanted in sub.deal_name.lower():
                return sub.deal_id
        deal_id, _, problem = await self._account(target)
        return None if problem else deal_id


def _label(sub: Subscription) -> str:
    return "every account" if sub.deal_id == ALL else sub.deal_name
