"""The engine and the parameters type-check strictly (issue 20): ``mypy`` as configured in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_calc_and_rates_are_strictly_typed() -> None:
    # the files and the strictness come from [tool.mypy]: the test checks what a developer's ``mypy`` checks
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout
