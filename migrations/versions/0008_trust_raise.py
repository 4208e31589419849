"""Trust raises (issue 25): an administrator attaches a notice's verbatim sentence and its page to a version,
another approves or refuses it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trust_raise",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("reference_index", sa.Integer(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("proposed_by", sa.String(length=80), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reviewed_by", sa.String(length=80), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("result_version_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["result_version_id"], ["parameter_version.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["parameter_version.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_trust_raise_status", "trust_raise", ["status"], unique=False)
    op.create_index("ix_trust_raise_version_id", "trust_raise", ["version_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_trust_raise_version_id", table_name="trust_raise")
    op.drop_index("ix_trust_raise_status", table_name="trust_raise")
    op.drop_table("trust_raise")
