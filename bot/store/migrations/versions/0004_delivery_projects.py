"""Delivery projects made for won deals (project on close).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The delivery_projects table."""
    op.create_table(
        "delivery_projects",
        sa.Column("deal_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=True),
        sa.Column("job_gid", sa.String(length=64), nullable=True),
        sa.Column("project_gid", sa.String(length=64), nullable=True),
        sa.Column("project_name", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("field_added", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("deal_id"),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("delivery_projects")
