"""The layers of issue 20: ``calc`` prices through ``rates.interface`` and loads no ORM and nothing of the service."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def modules(package: str) -> list[str]:
    """Every module of ``package`` by its dotted name (a package by its own name)."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


# One process imports each module alone: a module imported first by another cannot hide what it loads itself.
PROBE = """
import json, sys, importlib
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in ("sqlalchemy", "service"))))
"""


@pytest.mark.parametrize("module", modules("calc"))
def test_calc_loads_no_orm_and_no_service(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, module], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [], f"{module} loads what pricing does not need"
