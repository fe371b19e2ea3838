"""priorities and actions

Opportunities rated for impact and effort (one row per person and opportunity), and the
actions taken from them: owner, due date, status and when to ask the owner about it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opportunity_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("map_id", sa.Integer(), nullable=False),
        sa.Column("opportunity", sa.String(length=16), nullable=False),
        sa.Column("voter_id", sa.String(length=64), nullable=False),
        sa.Column("voter_name", sa.String(length=200), nullable=False),
        sa.Column("impact", sa.Integer(), nullable=True),
        sa.Column("effort", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["map_id"], ["maps.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("map_id", "opportunity", "voter_id"),
    )
    op.create_index("ix_opportunity_votes_map_id", "opportunity_votes", ["map_id"])
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("map_id", sa.Integer(), nullable=False),
        sa.Column("opportunity", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_by", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"]),
        sa.ForeignKeyConstraint(["map_id"], ["maps.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_actions_chat_id", "actions", ["chat_id"])
    op.create_index("ix_actions_map_id", "actions", ["map_id"])
    op.create_index("ix_actions_remind_at", "actions", ["remind_at"])


def downgrade() -> None:
    op.drop_index("ix_actions_remind_at", "actions")
    op.drop_index("ix_actions_map_id", "actions")
    op.drop_index("ix_actions_chat_id", "actions")
    op.drop_table("actions")
    op.drop_index("ix_opportunity_votes_map_id", "opportunity_votes")
    op.drop_table("opportunity_votes")
