"""Table values (``Kind.TABLE``): a small mapping held as one canonical text.

A table is written in a family file as a mapping of quoted keys to quoted numbers::

    months_by_age:
      "60": "139"
      "60-01": "138.4"

and held everywhere else (the store, exports, workbook cells, the admin form) as its canonical text
``60=139; 60-01=138.4``, keys in ascending order. Keeping one text means a table is stored, compared,
exported and imported exactly like any other value of a version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

SEPARATOR = "; "


class TableError(ValueError):
    """A table that cannot be read; the message says which entry (English, like the loader's)."""


def _sort_key(key: str) -> tuple[int, ...]:
    return tuple(int(part) for part in key.split("-"))


def parse_table(raw: object, key_pattern: str | None) -> dict[str, Decimal]:
    """A table from a mapping (files) or its canonical text (store, exports, forms)."""
    if isinstance(raw, str):
        entries: list[tuple[object, object]] = []
        for item in (part.strip() for part in re.split(r"[;；\n]", raw)):
            if not item:
                continue
            key, sep, value = item.partition("=")
            if not sep:
                raise TableError(f"entry {item!r} is not key=value")
            entries.append((key.strip(), value.strip()))
    elif isinstance(raw, Mapping):
        entries = list(raw.items())
    else:
        raise TableError("a table is a mapping of keys to numbers, or text like 60=139; 61=132")
    if not entries:
        raise TableError("a table needs at least one entry")
    table: dict[str, Decimal] = {}
    for key, value in entries:
        if not isinstance(key, str):
            raise TableError(f"write the key {key!r} as a quoted string")
        if key_pattern is not None and not re.match(key_pattern, key):
            raise TableError(f"key {key!r} is not of the expected form")
        if key in table:
            raise TableError(f"duplicate key {key!r}")
        if not isinstance(value, str):
            raise TableError(f"write the value of {key!r} as a quoted string (got {value!r})")
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise TableError(f"value of {key!r} is not a decimal number: {value!r}") from None
        if not number.is_finite():
            raise TableError(f"value of {key!r} is not a finite number")
        table[key] = number
    return dict(sorted(table.items(), key=lambda item: _sort_key(item[0])))


def table_text(table: Mapping[str, Decimal]) -> str:
    """The canonical text of a table (keys ascending)."""
    ordered = sorted(table.items(), key=lambda item: _sort_key(item[0]))
    return SEPARATOR.join(f"{key}={format(value, 'f')}" for key, value in ordered)


def read_table(text: str) -> dict[str, Decimal]:
    """A stored table's canonical text back as a mapping (trusted: it passed the loader)."""
    return parse_table(text, None)
