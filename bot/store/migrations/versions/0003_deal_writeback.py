"""What the bot last wrote onto each HubSpot deal (write-back).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The deal_writeback table."""
    op.create_table(
        "deal_writeback",
        sa.Column("deal_id", sa.String(length=64), nullable=False),
        sa.Column("written", sa.Text(), nullable=False),
        sa.Column("written_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("deal_id"),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("deal_writeback")
