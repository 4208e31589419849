"""Schema migrations with Alembic (scripts in migrations/ at the repository root).

``flask --app wsgi db upgrade`` applies them, and so does every start of the app. Processes that
start together (the workers of one server) migrate, and load the bundled files into an empty
database, one after the other: on PostgreSQL under an advisory lock, on an SQLite file under a
lock file beside it (without it two workers both create the tables, and one of them dies).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from filelock import FileLock
from sqlalchemy import Connection, Engine, MetaData, inspect, text

import rates
import service
from rates.store import Base

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BASELINE = "0001"  # the schema that create_all made before migrations existed
_LOCK_KEY = 0x5EBA0  # any constant shared by every process of the app


def metadata() -> MetaData:
    """Every table of the app: each module of rates/ and service/ may declare tables on Base."""
    for package in (rates, service):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)
    return Base.metadata


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _file_locked(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with FileLock(f"{database}.migrate-lock", timeout=120):
        yield


@contextmanager
def _serialised(engine: Engine) -> Iterator[Connection]:
    with _file_locked(engine), engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
            connection.commit()
        try:
            yield connection
        finally:
            if postgres:
                connection.rollback()
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
                connection.commit()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, then: Callable[[], None] | None = None) -> None:
    """Bring the schema to the newest revision; ``then`` runs while other starters still wait."""
    with _serialised(engine) as connection:
        config = alembic_config(connection)
        with connection.begin():
            tables = set(inspect(connection).get_table_names())
            if "parameter_version" in tables and "alembic_version" not in tables:
                command.stamp(config, BASELINE)  # a database made by create_all: adopt it
            command.upgrade(config, "head")
        if then is not None:
            then()
