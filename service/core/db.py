"""The database and the parameter store, as a Flask extension."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from rates.loader import BUNDLED, load_tree
from rates.store import ParameterStore, Snapshot


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        extra = {"poolclass": StaticPool} if url in ("sqlite://", "sqlite:///:memory:") else {}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **extra)

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def serialise(db: Session, key: int) -> None:
    """Make the caller's transaction the only one holding ``key``, in every process sharing the database,
    until it ends: for a check-then-write that must hold under a crowd (the failed-login count, the number
    of waiting outlet jobs). Call it first in the transaction.

    SQLite: ``BEGIN IMMEDIATE`` takes the database's one write lock at once (a deferred transaction would
    read, then fail or wait only at its first write, after another had read the same count). PostgreSQL:
    a transaction-level advisory lock on ``key``, released at commit or rollback.
    """
    if db.get_bind().dialect.name == "sqlite":
        db.connection().exec_driver_sql("BEGIN IMMEDIATE")
    else:
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def rates_dir(app: Flask) -> Path:
    return Path(app.config["RATES_DIR"] or BUNDLED)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    store = ParameterStore(engine)
    from service.core import migrate

    def seed() -> None:
        if store.is_empty():
            store.load(*load_tree(rates_dir(app)))

    # Every start brings the schema up to date; processes starting together take turns. Most starts
    # find it current and the parameters loaded: two cheap queries, and Alembic is not even imported.
    if not migrate.up_to_date(engine) or store.is_empty():
        migrate.upgrade(engine, then=seed)
    app.extensions["rates"] = store


def store() -> ParameterStore:
    return current_app.extensions["rates"]


def snapshot() -> Snapshot:
    return store().snapshot()
