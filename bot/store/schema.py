"""The store's tables (SQLAlchemy 2 declarative)."""

from __future__ import annotations

import time
from typing import Final

from sqlalchemy import Float, Integer, MetaData, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData()


class OAuthToken(Base):
    __tablename__ = "oauth_tokens"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    refresh_token: Mapped[str] = mapped_column(Text)
    access_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_expires_at: Mapped[float] = mapped_column(Float, default=0.0)
    refresh_expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[float] = mapped_column(Float, default=time.time)


class AsanaProjectIndex(Base):
    __tablename__ = "asana_project_index"
    workspace_gid: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_gid: Mapped[str] = mapped_column(String(64), primary_key=True)
    deal_id: Mapped[str] = mapped_column(String(64), index=True)
    project_name: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[int] = mapped_column(Integer, default=0)
    indexed_at: Mapped[float] = mapped_column(Float, default=time.time)


class QboInvoiceIndex(Base):
    __tablename__ = "qbo_invoice_index"
    realm_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    deal_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    last_updated: Mapped[str] = mapped_column(String(64), default="")


class SyncState(Base):
    __tablename__ = "sync_state"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float, default=time.time)


class Claim(Base):
    """A one-time key: a Slack event_id, a modal submission, an outbox delivery."""

    __tablename__ = "claims"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[float] = mapped_column(Float, default=time.time, index=True)


class SubscriptionRow(Base):
    """A channel's alert subscription: one account (or "*" for all) and the kinds it wants."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("channel_id", "deal_id", name="uq_subscription"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(String(64), index=True)
    deal_id: Mapped[str] = mapped_column(String(64), index=True)
    deal_name: Mapped[str] = mapped_column(Text, default="")
    kinds: Mapped[str] = mapped_column(String(64))
    min_amount: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    broken_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    broken_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class AlertEvent(Base):
    """An event worth an alert, recorded once under its stable key however often it is reported."""

    __tablename__ = "alert_events"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    deal_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[float] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class OutboxEntry(Base):
    """One (event, destination) delivery; marked sent only after Slack accepted it."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("event_key", "destination", name="uq_outbox_delivery"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(255))
    # a channel id, a user id for a DM, or "email:<address>" for a deal owner found at send time
    destination: Mapped[str] = mapped_column(String(255), index=True)
    group_key: Mapped[str] = mapped_column(String(255), index=True)  # bursts to one place go as one message
    kind: Mapped[str] = mapped_column(String(32))
    deal_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    subscription_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="pending")  # pending/sending/sent/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[float] = mapped_column(Float, index=True)
    attempt_started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    channel: Mapped[str | None] = mapped_column(String(64), nullable=True)  # where it was posted (DM channel id)
    sent_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    # An answer that never came is checked against the channel's history; these track the checks.
    checks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # failed checks of this attempt
    next_check_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    verify_error: Mapped[str | None] = mapped_column(Text, nullable=True)  # why history could not be read
    unverified: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # sent again unchecked


class Lease(Base):
    """Who polls and sends: one holder at a time, until expires_at."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[float] = mapped_column(Float)


class InboxEntry(Base):
    """A verified webhook signal, stored before the 200 so that no delivery is lost."""

    __tablename__ = "inbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[float] = mapped_column(Float, default=time.time)
    processed_at: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)  # the leader working on it
    claimed_until: Mapped[float | None] = mapped_column(Float, nullable=True)


class ChannelLink(Base):
    """A channel bound to an account (#client-acme → Acme): bare /account shows its card."""

    __tablename__ = "channel_links"
    channel_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    deal_id: Mapped[str] = mapped_column(String(64))
    deal_name: Mapped[str] = mapped_column(Text, default="")
    linked_by: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[float] = mapped_column(Float, default=time.time)


class Snapshot(Base):
    """An account's status at a moment (daily and on every event), kept 180 days."""

    __tablename__ = "snapshots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(String(64), index=True)
    taken_at: Mapped[float] = mapped_column(Float, index=True)
    data: Mapped[str] = mapped_column(Text)


class RepPrefs(Base):
    """A rep's choices (digest opt-out) and their Home filter."""

    __tablename__ = "rep_prefs"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    digest_opt_out: Mapped[int] = mapped_column(Integer, default=0)
    home_filter: Mapped[str] = mapped_column(String(16), default="all")


class DealWriteback(Base):
    """What the bot last wrote onto a HubSpot deal (its accountbot_* properties), so it writes only changes."""

    __tablename__ = "deal_writeback"
    deal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    written: Mapped[str] = mapped_column(Text)  # JSON: property -> the value HubSpot holds
    written_at: Mapped[float] = mapped_column(Float)


class DeliveryProject(Base):
    """The delivery project made for a won deal: once per deal, through a restart in the middle.

    state: creating (job_gid once Asana answered), created (project_gid), existing (one carried the
    deal ID already), failed (error in words; the next sighting of the win tries again).
    """

    __tablename__ = "delivery_projects"
    deal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    holder: Mapped[str | None] = mapped_column(String(128), nullable=True)  # the process working on it
    job_gid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    project_gid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    project_name: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    field_added: Mapped[int] = mapped_column(Integer, default=0)  # the template lacked the deal field
    started_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class LinkRecord(Base):
    """A link the bot made from `/account unlinked`: who joined what to which deal, and when.

    kind: project (the deal ID written into an Asana project), invoice (into a QuickBooks
    invoice), created (a delivery project made from the template). The unique key makes a
    second click on the same button write nothing more.
    """

    __tablename__ = "link_history"
    __table_args__ = (UniqueConstraint("kind", "target_id", "deal_id", name="uq_link_history_target"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(64))
    target_name: Mapped[str] = mapped_column(Text, default="")
    deal_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Float)


def _table(model: type[Base]) -> Table:
    """The model's Core table: declarative `__table__` is typed as a bare FromClause."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


OAUTH_TOKENS: Final = _table(OAuthToken)
ASANA_PROJECT_INDEX: Final = _table(AsanaProjectIndex)
QBO_INVOICE_INDEX: Final = _table(QboInvoiceIndex)
SYNC_STATE: Final = _table(SyncState)
CLAIMS: Final = _table(Claim)
SUBSCRIPTIONS: Final = _table(SubscriptionRow)
ALERT_EVENTS: Final = _table(AlertEvent)
OUTBOX: Final = _table(OutboxEntry)
LEASES: Final = _table(Lease)
INBOX: Final = _table(InboxEntry)
CHANNEL_LINKS: Final = _table(ChannelLink)
SNAPSHOTS: Final = _table(Snapshot)
REP_PREFS: Final = _table(RepPrefs)
DEAL_WRITEBACK: Final = _table(DealWriteback)
DELIVERY_PROJECTS: Final = _table(DeliveryProject)
LINK_HISTORY: Final = _table(LinkRecord)
