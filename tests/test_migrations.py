"""Schema migrations: the scripts build exactly the tables the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask.testing import FlaskCliRunner
from sqlalchemy import inspect, text

from rates.loader import load_tree
from rates.store import ParameterStore
from service import create_app
from service.core import migrate
from service.core.db import make_engine

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), migrate.metadata())
        assert differences == [], "a model changed without a migration: flask --app wsgi db revision -m ..."
        assert migrate.current_revision(connection) is not None


def test_upgrade_twice_changes_nothing(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        first = migrate.current_revision(connection)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == first


def test_a_database_made_before_migrations_is_adopted_with_its_data(db_url: str) -> None:
    """Databases created by create_all (before Alembic) keep their versions and gain the new tables."""
    engine = make_engine(db_url)
    # what create_all made before revision 0002: the tables of the baseline revision, as they were then
    # (today's models have more columns, which later revisions add), without Alembic's own table
    with engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), migrate.BASELINE)
        connection.execute(text("DROP TABLE alembic_version"))
    assert set(inspect(engine).get_table_names()) == {"region", "parameter_version", "issued_quote"}
    ParameterStore(engine).load(*load_tree())
    app = create_app({"TESTING": True, "DATABASE_URL": db_url})
    names = set(inspect(engine).get_table_names())
    assert {"audit_log", "app_user", "login_attempt", "alembic_version"} <= names
    assert app.extensions["rates"].snapshot().revision == len(load_tree()[1])  # loaded once, not twice


def test_db_upgrade_command(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "数据库结构已是最新版本" in result.output


def test_workers_starting_together_on_one_sqlite_file_all_start(tmp_path: Path) -> None:
    """The workers of one server start at the same moment: each migrates in turn, the files load once."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("SHEBAO_ENV", None)
    starters = [
        subprocess.Popen([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    failures = [p.communicate(timeout=120)[1] for p in starters if p.wait(timeout=120) != 0]
    assert failures == []
    assert ParameterStore(make_engine(url)).snapshot().revision == len(load_tree()[1])
