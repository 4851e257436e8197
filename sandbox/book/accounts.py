"""Every demo account, in the book's order, and by deal ID."""

from __future__ import annotations

from typing import Final

from sandbox.book.billing import MONEY_ACCOUNTS
from sandbox.book.delivering import DELIVERY_ACCOUNTS
from sandbox.book.records import Account

DEMO_ACCOUNTS: Final[tuple[Account, ...]] = DELIVERY_ACCOUNTS + MONEY_ACCOUNTS
BOOK_BY_DEAL: Final = {a.deal_id: a for a in DEMO_ACCOUNTS}
