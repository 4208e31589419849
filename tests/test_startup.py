"""Start-up stays light: heavy libraries are imported where they are used, and a current schema is not migrated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from service.core import migrate
from service.core.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
# Libraries only some requests or commands need: a CLI call or a worker start must not pay for them.
HEAVY = ("pandas", "openpyxl", "alembic", "xlsxwriter", "numpy", "huey", "peewee")

PROBE = """
import json, sys
import wsgi
wsgi.app.test_client().get("/healthz")
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {heavy})))
"""


def _start(database: Path) -> list[str]:
    """The heavy modules loaded by a fresh process that builds the app and answers one request."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    env.pop("SHEBAO_ENV", None)
    probe = PROBE.format(heavy=repr(set(HEAVY)))
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_head_revision_read_from_the_scripts_is_alembics() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    assert migrate.head_revision() == scripts.get_current_head()


def test_a_start_on_a_current_database_imports_no_heavy_library(tmp_path: Path) -> None:
    database = tmp_path / "start.sqlite3"
    first = _start(database)  # a new database: migrated with Alembic and seeded from the files
    assert "alembic" in first
    assert _start(database) == []  # every later start: the schema is current, nothing heavy is loaded


def test_a_database_behind_the_scripts_is_still_migrated(tmp_path: Path) -> None:
    database = tmp_path / "behind.sqlite3"
    _start(database)
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "-1")  # as if a new release brought a migration
        assert migrate.current_revision(connection) != migrate.head_revision()
    assert not migrate.up_to_date(engine)
    assert "alembic" in _start(database)
    assert migrate.up_to_date(engine)


def test_a_database_without_revision_table_is_not_up_to_date(tmp_path: Path) -> None:
    assert not migrate.up_to_date(make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}"))


def test_the_cli_help_imports_no_heavy_library(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    env.pop("SHEBAO_ENV", None)
    _start(tmp_path / "cli.sqlite3")
    probe = (
        "import json, sys\n"
        "from flask.cli import main\n"
        "sys.argv = ['flask', '--app', 'wsgi', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in {set(HEAVY)!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert "outlets" in done.stdout  # the commands are all there
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
