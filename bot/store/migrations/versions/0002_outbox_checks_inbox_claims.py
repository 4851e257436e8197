"""Outbox: bounded delivery checks and owner DMs by email; inbox: claims by the leader.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the check-tracking columns, widen the destination, add inbox claims."""
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("checks", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_check_at", sa.Float(), nullable=True))
        batch.add_column(sa.Column("verify_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("unverified", sa.Integer(), nullable=False, server_default="0"))
        batch.alter_column("destination", existing_type=sa.String(64), type_=sa.String(255), existing_nullable=False)
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(128), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.Float(), nullable=True))


def downgrade() -> None:
    """Back to the baseline's columns."""
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("destination", existing_type=sa.String(255), type_=sa.String(64), existing_nullable=False)
        batch.drop_column("unverified")
        batch.drop_column("verify_error")
        batch.drop_column("next_check_at")
        batch.drop_column("checks")
