"""Parameter store and issued quotes (the tables create_all made before migrations)

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("parent", sa.String(length=6), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "parameter_version",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("contribution_year", sa.Integer(), nullable=True),
        sa.Column("trust", sa.String(length=10), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region"],
            ["region.code"],
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["parameter_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("supersedes_id"),
    )
    with op.batch_alter_table("parameter_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parameter_version_region"), ["region"], unique=False)
    op.create_table(
        "issued_quote",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("serial", sa.String(length=24), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clerk", sa.String(length=40), nullable=True),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("serial"),
    )


def downgrade() -> None:
    op.drop_table("issued_quote")
    op.drop_table("parameter_version")
    op.drop_table("region")
