"""A random key in every quote's link (the printed serial is sequential)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issued_quote", schema=None) as batch_op:
        batch_op.add_column(sa.Column("access_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_issued_quote_access_key"), ["access_key"])
    # quotes issued before: a key each, so that they stay reachable (by staff through the serial)
    table = sa.table("issued_quote", sa.column("id", sa.Integer()), sa.column("access_key", sa.String()))
    connection = op.get_bind()
    for (row_id,) in connection.execute(sa.select(table.c.id).where(table.c.access_key.is_(None))).all():
        connection.execute(table.update().where(table.c.id == row_id).values(access_key=secrets.token_urlsafe(24)))


def downgrade() -> None:
    with op.batch_alter_table("issued_quote", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_issued_quote_access_key"), type_="unique")
        batch_op.drop_column("access_key")
