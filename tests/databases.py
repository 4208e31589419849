"""The databases the store's tests run on: SQLite always, PostgreSQL when TEST_POSTGRES_URL is set.

``.ci/run`` (through scripts/pg-test-server) starts a local PostgreSQL server and sets
TEST_POSTGRES_URL. Without it the PostgreSQL tests skip with a message, except in CI, where a
missing server is a failure. Each test gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

BACKENDS = ("sqlite", "postgres")


def postgres_base_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        message = 'TEST_POSTGRES_URL is not set: start a server with eval "$(scripts/pg-test-server start)"'
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections work in a fresh, empty schema (dropped on exit)."""
    base = postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@contextmanager
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
    else:
        with postgres_schema() as url:
            yield url
