"""What a calculation asks and answers: the request, its priced lines, the quote, and the engine's refusal.

The bottom of the engine: every other module of ``calc`` builds on these, and this one on nothing of theirs.
Errors are ``QuoteError`` with a Chinese message naming the field to fix.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from rates.interface import Resolved
from rates.months import Month

SCHEMES: dict[str, str] = {
    "flexible_pension": "灵活就业人员企业职工基本养老保险",
    "flexible_medical": "灵活就业人员职工基本医疗保险",
    "outlet_injury": "基层快递网点工伤保险",
    "resident_medical": "城乡居民基本医疗保险",
}
# A sanity limit on the work one request may ask for, not a policy figure.
MAX_MONTHS = 120
MAX_HEADCOUNT = 100_000
MAX_FACTOR = Decimal(3)

NO_AVERAGE = "no_average"  # QuoteError.code: a ratio tier of a notice that published no average wage


class QuoteError(ValueError):
    """A request the engine cannot price, with the field to fix and a message in Chinese."""

    def __init__(self, field: str, message: str, code: str = "invalid", status: int = 400):
        super().__init__(message)
        self.field, self.message, self.code, self.status = field, message, code, status


@dataclass(frozen=True)
class QuoteRequest:
    region: str
    scheme: str
    start: Month
    end: Month
    base_ratio: Decimal | None = None
    base: Decimal | None = None
    headcount: int = 1
    factor: Decimal = Decimal(1)
    medical_tier: int | None = None  # 一档/二档 where medical insurance is a fixed yearly amount by tier (重庆)


class Line(NamedTuple):
    """One month (or contribution year) priced: a tuple, made once per month of every answer."""

    month: Month
    base: Decimal | None
    rate: Decimal | None
    amount: Decimal
    parts: dict[str, Decimal]
    provisional: bool
    versions: dict[str, int]
    year: int | None = None  # resident medical is priced per contribution year
    notes: tuple[str, ...] = ()  # what the user must know about this figure (e.g. a base whose range was not checked)


@dataclass
class Quote:
    request: QuoteRequest
    lines: list[Line]
    used: list[Resolved] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount * count for line, count in self._groups), Decimal("0.00"))

    @property
    def breakdown(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for line, count in self._groups:
            for name, value in line.parts.items():
                if name != "per_courier":
                    totals[name] = totals.get(name, Decimal("0.00")) + value * count
        return totals

    @functools.cached_property
    def _groups(self) -> list[tuple[Line, int]]:
        """Each run of lines priced alike, once, with how many lines it has (exact: amounts are in fen)."""
        groups: list[list[Any]] = []
        for line in self.lines:
            # months priced alike share the objects of the line they copy, and come one after the other
            if groups and line.parts is groups[-1][0].parts and line.amount is groups[-1][0].amount:
                groups[-1][1] += 1
            else:
                groups.append([line, 1])
        return [(line, count) for line, count in groups]

    @property
    def provisional(self) -> bool:
        return any(line.provisional for line in self.lines)

    @property
    def notes(self) -> list[str]:
        return list(dict.fromkeys(note for line in self.lines for note in line.notes))


Resolution = dict[str, Resolved]  # the versions one month of a calculation reads, by family


class At(Protocol):
    """Resolves a family for one request's region in ``month`` (``calc.reads.Lookup``), remembering what it used."""

    def __call__(self, family: str, month: Month, scheme: str | None = None) -> Resolved: ...


def value(resolved: Resolved, name: str) -> Decimal:
    """A figure the loader requires of the version (a missing one is a broken store, not a user's error)."""
    figure = resolved.version.decimal(name)
    assert figure is not None, name  # guaranteed by the loader for required fields
    return figure


def ids(*resolved: Resolved) -> dict[str, int]:
    """The versions a line cites, by family."""
    return {r.version.family: r.version.id or 0 for r in resolved}


def percent(ratio: Decimal) -> str:
    """A ratio as people read it: 0.013 -> 1.3%."""
    return f"{(ratio * 100).normalize():f}%"


def plain(number: Decimal) -> str:
    """A number without trailing zeros or an exponent: 137.30 -> 137.3, 1E+1 -> 10."""
    return format(number.normalize(), "f")
