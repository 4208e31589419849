"""Schema migrations with Alembic (scripts in migrations/ at the repository root).

``flask --app wsgi db upgrade`` applies them, and so does every start of the app. Processes that
start together (the workers of one server) migrate, and load the bundled files into an empty
database, one after the other: on PostgreSQL under an advisory lock, on an SQLite file under a
lock file beside it (without it two workers both create the tables, and one of them dies).

A start whose database is already at the newest revision (and holds parameters) skips all of that:
one query of ``alembic_version`` compared with the head revision read from the scripts' own
``revision`` lines, so that neither Alembic nor the scripts are imported (``up_to_date``).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock
from sqlalchemy import Connection, Engine, MetaData, inspect, text
from sqlalchemy.exc import DBAPIError

import rates
import service
from rates.store import Base

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
BASELINE = "0001"  # the schema that create_all made before migrations existed
_LOCK_KEY = 0x5EBA0  # any constant shared by every process of the app
_REVISION_LINE = re.compile(r"^(down_revision|revision)\b[^=\n]*=(.*)$", re.M)  # an annotation may sit before =
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")

if TYPE_CHECKING:
    from alembic.config import Config


def metadata() -> MetaData:
    """Every table of the app: each module of rates/ and service/ may declare tables on Base."""
    for package in (rates, service):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)
    return Base.metadata


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config  # here: Alembic is needed only when the schema changes

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
    from alembic.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


@cache
def head_revision() -> str | None:
    """The newest revision of the scripts, read from their ``revision``/``down_revision`` lines.

    Alembic finds the same by importing every script (a test checks that both agree). None when
    the lines do not give one head: then every start asks Alembic, as before.
    """
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(script.read_text(encoding="utf-8")))
        own = _QUOTED.findall(found.get("revision", ""))
        if len(own) != 1:
            return None
        revisions.add(own[0])
        revised.update(_QUOTED.findall(found.get("down_revision", "")))  # a merge revises several
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def up_to_date(engine: Engine) -> bool:
    """Whether the database is already at the newest revision: one query, without Alembic."""
    try:
        with engine.connect() as connection:
            stamped = [row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")]
    except DBAPIError:  # no alembic_version table yet: a new database, or one made before migrations
        return False
    head = head_revision()
    return head is not None and stamped == [head]


def upgrade(engine: Engine, then: Callable[[], None] | None = None) -> None:
    """Bring the schema to the newest revision; ``then`` runs while other starters still wait."""
    from alembic import command

    with _serialised(engine) as connection:
        config = alembic_config(connection)
        with connection.begin():
            tables = set(inspect(connection).get_table_names())
            if "parameter_version" in tables and "alembic_version" not in tables:
                command.stamp(config, BASELINE)  # a database made by create_all: adopt it
            command.upgrade(config, "head")
        if then is not None:
            then()
