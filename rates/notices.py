"""Notices seen without their figures: a province's document exists, but the premium it sets could not be read.

Kept apart from the dated parameter versions (which always carry figures): a notice prices nothing. It makes
the refusal of a calculation name the document and whom to ask instead of a bare 未配置 (issue 24).
Files: ``rates/notices/<family>.yaml``; every problem is reported with the file's path, like the loader's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rates.families import TRUST_LEVELS
from rates.loader import ParameterFileError, read_yaml

NOTICES = Path(__file__).parent / "notices"
REQUIRED = ("title", "issuer", "missing", "ask", "trust")
OPTIONAL = ("doc_no", "url", "published", "known", "note")


@dataclass(frozen=True)
class Notice:
    region: str
    title: str
    issuer: str
    missing: str  # what could not be read (缴费基数和费率)
    ask: str  # whom to ask
    trust: str  # of what was seen
    doc_no: str | None = None
    url: str | None = None
    published: str | None = None
    known: str | None = None  # what was seen, in words (never used to price)
    note: str | None = None

    def document(self) -> str:
        """The notice as people cite it: 《title》 and its 文号 when seen."""
        return f"《{self.title}》" + (f"（{self.doc_no}）" if self.doc_no else "")


def parse_notices(path: Path, document: Any) -> dict[str, Notice]:
    """Validate a notices file; ParameterFileError naming the file and the key on the first fault."""

    def fail(key: str, message: str) -> ParameterFileError:
        return ParameterFileError([(str(path), key, message)])

    if not isinstance(document, dict) or set(document) != {"notices"} or not isinstance(document["notices"], dict):
        raise fail("(file)", "must hold one key, notices, mapping region codes to notices")
    found: dict[str, Notice] = {}
    for code, body in document["notices"].items():
        if not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
            raise fail(str(code), "a region code is six digits, quoted")
        if not isinstance(body, dict):
            raise fail(code, "a notice is a mapping")
        for key in body:
            if key not in REQUIRED + OPTIONAL:
                raise fail(f"{code}.{key}", "unknown key")
        for key in REQUIRED:
            if not isinstance(body.get(key), str) or not body[key].strip():
                raise fail(f"{code}.{key}", "missing value")
        for key in OPTIONAL:
            if body.get(key) is not None and not isinstance(body[key], str):
                raise fail(f"{code}.{key}", "must be text (quote dates)")
        if body["trust"] not in TRUST_LEVELS:
            raise fail(f"{code}.trust", f"must be one of {', '.join(TRUST_LEVELS)}")
        text: dict[str, str] = {k: str(body[k]) for k in REQUIRED + OPTIONAL if body.get(k) is not None}
        found[code] = Notice(code, **text)
    return found


def load_notices(family: str, root: Path = NOTICES) -> dict[str, Notice]:
    """The notices of ``family`` by region code (none when the family has no file)."""
    path = root / f"{family}.yaml"
    if not path.exists():
        return {}
    return parse_notices(path, read_yaml(path))


@functools.cache
def bundled(family: str) -> dict[str, Notice]:
    """The bundled notices of ``family``, read once per process."""
    return load_notices(family)
