"""Start-up benchmark: a CLI call of the app next to importing Flask alone, each in a fresh process.

    .venv/bin/python bench/startup.py [--repeat 10] [--write-docs]

- floor: ``python -c "import flask"``, the least any Flask command pays;
- CLI:   ``flask --app wsgi --help`` on a database already at the newest revision (what every CLI
  call and every worker start pays: imports, the app factory, the schema check, the blueprints);
- first: the same on a new database (migrated with Alembic and seeded from the bundled files), once.

Wall time and CPU time (user + system, from getrusage of that child alone) of each; the best of the
repeats and the median. Target (issue 14): the CLI call <= 0.5 s or <= 5 x the floor.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docs import ROOT, measured, write_section

HEADING = "## Start-up of a CLI call (issue 14)"
PYTHON = sys.executable
HEAVY = ("pandas", "numpy", "openpyxl", "alembic", "xlsxwriter", "python_calamine", "yaml", "stdnum", "huey", "peewee")


def once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def loaded_modules(env: dict[str, str]) -> list[str]:
    probe = (
        "import sys\nfrom flask.cli import main\nsys.argv = ['flask', '--app', 'wsgi', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(' '.join(sorted({{n.split('.')[0] for n in sys.modules}} & {set(HEAVY)!r})))\n"
    )
    done = subprocess.run([PYTHON, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1].split() if done.stdout.strip() else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--write-docs", action="store_true", help="write the section into docs/benchmarks.md")
    args = parser.parse_args()
    flask = str(Path(PYTHON).with_name("flask"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'startup.sqlite3'}"}
        env.pop("SHEBAO_ENV", None)
        cli = [flask, "--app", "wsgi", "--help"]
        first = once(cli, env)  # a new database: Alembic migrates it, the bundled files are loaded
        floor_runs, cli_runs = [], []
        for _ in range(args.repeat):  # interleaved, so that the machine's load falls on both alike
            floor_runs.append(once([PYTHON, "-c", "import flask"], env))
            cli_runs.append(once(cli, env))
        heavy = loaded_modules(env)

    def row(name: str, runs: list[tuple[float, float]], floor: list[tuple[float, float]] | None) -> str:
        wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
        median = statistics.median(r[0] for r in runs)
        if floor is None:
            ratio = "1.00 / 1.00"
        else:
            ratio = f"{wall / min(r[0] for r in floor):.2f} / {cpu / min(r[1] for r in floor):.2f}"
        return f"| {name} | {wall:.2f} | {median:.2f} | {cpu:.2f} | {ratio} |"

    lines = [
        "| what | best wall s | median wall s | best CPU s | ratio to floor (wall / CPU) |",
        "|---|---:|---:|---:|---:|",
        row('floor: `python -c "import flask"`', floor_runs, None),
        row("`flask --app wsgi --help`, database current", cli_runs, floor_runs),
        row("the same, first start on a new database (once)", [first], floor_runs),
    ]
    text = "\n".join(lines)
    loaded = ", ".join(heavy) or "none"
    print(text, f"\nheavy libraries loaded by the CLI call: {loaded}")
    if args.write_docs:
        command = " ".join([".venv/bin/python bench/startup.py", *sys.argv[1:]])
        write_section(HEADING, section(command, args.repeat, text, loaded))


def section(command: str, repeat: int, text: str, loaded: str) -> str:
    return f"""
{measured(command)}; {repeat} runs of each, interleaved, each in a fresh process (the machine is
shared: the best run is the one least disturbed, the median shows the spread).

{text}

Of {", ".join(HEAVY)}, the CLI call loads: {loaded}. Target (issue 14): ≤ 0.5 s or ≤ 5 x the floor.

Reading: a start on a current database makes two cheap queries (`alembic_version` against the head
revision read from the scripts' `revision` lines, and whether the store holds parameters) instead of
running Alembic; pandas, openpyxl, xlsxwriter and the roster engine (numpy) are imported by the
routes and commands that use them (`tests/test_startup.py` checks `sys.modules` in a fresh process).
What remains is Flask itself (the floor), SQLAlchemy and its ORM declarations (about a third of the
rest: the parameter store, accounts, audit and issued quotes are tables), flask-smorest, webargs,
marshmallow and apispec building the OpenAPI document of every route at registration, flask-wtf,
and the app's own modules.
"""


if __name__ == "__main__":
    main()
