#!/usr/bin/env python3
"""Set up and run the service with nothing but Python 3.11+ installed.

    python3 run.py serve     # http://127.0.0.1:8000 on the embedded SQLite database
    python3 run.py test      # ruff and the whole test suite (extra arguments go to pytest)

The first run creates .venv and installs the project with its test tools; later runs reinstall
only when pyproject.toml or constraints.txt changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def ensure_environment() -> None:
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        path = ROOT / name
        if path.exists():
            digest.update(path.read_bytes())
    wanted = digest.hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    print("Installing dependencies into .venv ...", flush=True)
    command = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", ".[test]"]
    if (ROOT / "constraints.txt").exists():
        command += ["-c", "constraints.txt"]
    subprocess.run(command, cwd=ROOT, check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("serve", "test"):
        print(__doc__)
        return 2
    ensure_environment()
    if argv[0] == "serve":
        print("Serving on http://127.0.0.1:8000 (Ctrl+C to stop)", flush=True)
        return subprocess.call(
            [str(PYTHON), "-m", "waitress", "--host=127.0.0.1", "--port=8000", "--threads=8", "wsgi:app"],
            cwd=ROOT,
        )
    lint = subprocess.call([str(PYTHON), "-m", "ruff", "check", "."], cwd=ROOT)
    tests = subprocess.call([str(PYTHON), "-m", "pytest", *argv[1:]], cwd=ROOT)
    return tests or lint


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
