"""Alembic environment: the app's metadata, a connection from the app (or sqlalchemy.url)."""

from __future__ import annotations

from alembic import context

from service.core.db import make_engine

config = context.config
# Only autogenerate compares with the models (flask --app wsgi db revision passes them); an upgrade
# runs the scripts, so every start is spared importing every module to collect the tables.
target = config.attributes.get("metadata")


def run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as fresh:
        run(fresh)
