"""Writing a benchmark's section into docs/benchmarks.md (each script owns one section, by its heading)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    python = f"Python {platform.python_version()}"
    return f"{os.cpu_count()} cores, {pages / 2**30:.0f} GiB RAM, {python}, {platform.machine()}"


def commit() -> str:
    """The commit measured, marked when the work tree had changes."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = subprocess.run(  # the figures being written are no change to the code measured
        ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/benchmarks.md"],
        cwd=ROOT,
        capture_output=True,
    )
    return head.strip() + (" with uncommitted changes" if dirty.stdout.strip() else "")


def measured(command: str) -> str:
    return f"Measured by `{command}` on {dt.date.today()} at commit {commit()} ({machine()})"


def write_section(heading: str, body: str) -> None:
    """Replace the section under ``heading`` (up to the next ``## ``) with ``body``, or append it."""
    section = f"{heading}\n\n{body.strip()}\n"
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    if heading in text:
        start = text.index(heading)
        following = text.find("\n## ", start + len(heading))
        text = text[:start] + section + (text[following:] if following != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.write_text(text, encoding="utf-8")
    print(f"written to {DOCS.relative_to(ROOT)}: {heading}")
