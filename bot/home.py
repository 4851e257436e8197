"""App Home "My accounts": who the rep is, their book, the view to publish, and a refresh when lines are stale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from blocks.home import home_view, loading_view, no_owner_view, parse_filter, refusal_view

if TYPE_CHECKING:
    from bot.access import Gatekeeper
    from bot.book import BookService

Publish = Callable[[dict[str, Any]], Awaitable[Any]]  # views.publish of the rep's Home tab


class HomeService:
    """Everything behind the Home tab; the handler only hands over how to publish a view."""

    def __init__(
        self,
        gate: Gatekeeper,
        book: BookService,
        store: Any,
        clock: Callable[[], datetime],
        accounting: str | None = None,  # the accounting system in use ("netsuite"), named while loading
    ) -> None:
        self.gate = gate
        self.accounting = accounting
        self.book = book
        self.store = store
        self.clock = clock

    async def show(
        self, user_id: str, publish: Publish, *, filter: str | None = None, page: int = 0, first: bool = False
    ) -> None:
        """Publish the rep's book (a refusal for guests, how-to-fix when no HubSpot owner matches)."""
        verdict = await self.gate.user(user_id)
        name = await self.gate.display_name(user_id) or "there"
        if not verdict.allowed:
            await publish(refusal_view())
            return
        prefs = await self.store.rep_prefs(user_id)
        owner, email = await self.book.owner(user_id)
        if owner is None or owner.id is None:  # HubSpot owners always carry an id; a Person may not
            await publish(no_owner_view(email))
            return
        await self.store.set_rep_prefs(user_id, home_filter=prefs["home_filter"])  # a rep with a book
        if first:
            await publish(loading_view(name, self.accounting))
        deals = await self.book.deals(owner.id, self.clock().date())
        lines, stale = await self.book.lines(deals)
        chosen = parse_filter(filter or prefs["home_filter"])
        await publish(
            home_view(
                lines, filter=chosen, page=page, rep_name=name, digest_opt_out=prefs["digest_opt_out"], now=self.clock()
            )
        )
        if stale:  # assess the rest in the background, then show the result
            self.book.refresh_later(stale, then=lambda: self.show(user_id, publish, filter=chosen, page=page))

    async def choose_filter(self, user_id: str, filter: str | None, publish: Publish) -> None:
        """Keep the rep's filter and show the book through it."""
        chosen = parse_filter(filter)
        await self.store.set_rep_prefs(user_id, home_filter=chosen)
        await self.show(user_id, publish, filter=chosen)

    async def set_digest(self, user_id: str, on: bool, publish: Publish, *, filter: str | None, page: int) -> None:
        """Turn the weekly digest on or off, and show the book as it was."""
        await self.store.set_rep_prefs(user_id, digest_opt_out=not on)
        await self.show(user_id, publish, filter=filter, page=page)
