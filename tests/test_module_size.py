"""No module of calc/, rates/ or service/ over 500 lines: a longer one is split by what it does."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 500


def test_no_module_over_the_limit() -> None:
    long = {
        str(path.relative_to(ROOT)): count
        for package in ("calc", "rates", "service")
        for path in sorted((ROOT / package).rglob("*.py"))
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert not long, f"modules over {LIMIT} lines:\n" + "\n".join(f"    {p}: {n}" for p, n in long.items())
