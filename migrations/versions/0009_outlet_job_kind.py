"""What a job reads: an outlet's courier roster, or a platform's orders (职业伤害保障费, issue 24)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outlet_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), server_default="roster", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("outlet_job", schema=None) as batch_op:
        batch_op.drop_column("kind")
