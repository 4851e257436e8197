"""The store: SQLAlchemy 2 async on SQLite (default) or PostgreSQL (several instances).

What must survive a restart and be shared between processes: OAuth tokens, join indexes,
sync cursors, one-time claims, and the alert pipeline (subscriptions, events, outbox, lease).
The schema is versioned with Alembic (bot/store/migrations); opening a store migrates it.
"""

from bot.models.views import Subscription
from bot.store.alerts import AlertStore
from bot.store.book import BookStore
from bot.store.core import CoreStore
from bot.store.links import LinkMade, LinkStore
from bot.store.opening import StoreUnavailable, async_url
from bot.store.outbox import InboxItem, OutboxRow, OutboxStore
from bot.store.projects import ProjectStore, ProjectWork
from bot.store.writeback import WritebackStore
from connectors.ports import IndexedProject, TokenRecord


class Store(CoreStore, AlertStore, OutboxStore, BookStore, WritebackStore, ProjectStore, LinkStore):
    """Async access to the accountbot database; create with `await Store.open(url)`.

    It implements every store protocol of `connectors.ports` (tokens, cursors, both indexes).
    """


__all__ = [
    "Store",
    "StoreUnavailable",
    "IndexedProject",
    "LinkMade",
    "InboxItem",
    "TokenRecord",
    "OutboxRow",
    "ProjectWork",
    "Subscription",
    "async_url",
]
