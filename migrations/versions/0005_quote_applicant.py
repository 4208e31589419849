"""The person a quote is for, the issuing office and the check code printed on it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add several columns with constraints in place
    with op.batch_alter_table("issued_quote", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applicant_name", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("applicant_id", sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column("id_in_full", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("office", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("check_code", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issued_quote", schema=None) as batch_op:
        batch_op.drop_column("check_code")
        batch_op.drop_column("office")
        batch_op.drop_column("id_in_full")
        batch_op.drop_column("applicant_id")
        batch_op.drop_column("applicant_name")
