"""Calendar months: the unit in which every contribution is due and every parameter takes effect."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


# Months are values: the ones asked for are made once and their text written once (an answer walks
# every month of its range, and the engine every month of every answer).
_MONTHS: dict[int, Month] = {}
_TEXT: dict[int, str] = {}


@dataclass(frozen=True, order=True, slots=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise ValueError(f"month out of range: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse the canonical ``YYYY-MM`` form (the only form the API and the YAML files use)."""
        match = _MONTH_RE.match(text.strip()) if isinstance(text, str) else None
        if not match:
            raise ValueError(f"not a YYYY-MM month: {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        key = self.year * 12 + self.month
        text = _TEXT.get(key)
        if text is None:
            text = _TEXT[key] = f"{self.year:04d}-{self.month:02d}"
        return text

    def __add__(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def index(self) -> int:
        return self.year * 12 + self.month - 1

    def until(self, end: Month) -> Iterator[Month]:
        """Every month from self to end, both included."""
        for i in range(self.index(), end.index() + 1):
            month = _MONTHS.get(i)
            if month is None:
                month = _MONTHS[i] = Month(i // 12, i % 12 + 1)
            yield month

    def count_until(self, end: Month) -> int:
        return end.index() - self.index() + 1
