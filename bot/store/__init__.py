"""The store: SQLAlchemy 2 async on SQLite (default) or PostgreSQL (several instances).

What must survive a restart and be shared between processes: OAuth tokens, join indexes,
sync cursors, one-time claims, and the alert pipeline (subscriptions, events, outbox, lease).
"""
from bot.store.alerts import AlertStore, OutboxRow, Subscription
from bot.store.book import BookStore
from bot.store.core import CoreStore, IndexedProject, TokenRecord, async_url


class Store(CoreStore, AlertStore, BookStore):
    """Async access to the accountbot database; create with `await Store.open(url)`."""


__all__ = ["Store", "IndexedProject", "TokenRecord", "OutboxRow", "Subscription", "async_url"]
