"""What the engine (``calc``) needs from the parameters, without the database behind them.

``calc`` depends on this module only, never on ``rates.store``: pricing is pure arithmetic on the versions
in force, and a process (or a test) that prices with its own parameters loads no ORM. ``rates.store``'s
``Snapshot`` is the implementation the service passes in; it raises ``NotConfigured`` and answers
``Resolved`` from here (``rates.store`` re-exports both under their old names).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from rates.model import Reference, Region, Version
from rates.months import Month


class NotConfigured(LookupError):
    """No version of a family is in force for a region and month, at any level."""

    def __init__(self, region: str, family: str, month: Month):
        self.region, self.family, self.month = region, family, month
        super().__init__(f"{family} not configured for {region} at {month}")


@dataclass(frozen=True)
class Resolved:
    version: Version
    level: str  # the region code whose version applies (the region itself or an ancestor)
    provisional: bool  # 暂按上年度标准: no version yet for the month's contribution year
    # The document by which the province declared this carry-over (省里明确暂按上年度标准); None where the
    # month is provisional only because nothing newer is known (the service's own assumption).
    declared_by: Reference | None = None
    # The same lookup finds this in every month from the one asked up to, not including, the month of this index
    # (``Month.index``); 0: not known, ask again next month. Not part of what was found: two lookups that find
    # the same compare equal whatever their months.
    steady_before: int = field(default=0, compare=False)


class Parameters(Protocol):
    """The parameters at one instant, as the engine reads them: the regions, and what is in force when."""

    @property
    def regions(self) -> dict[str, Region]: ...

    def at(self, region: str, family: str, month: Month, scheme: str | None = None) -> Resolved:
        """The version of ``family`` in force for ``region`` in ``month``; ``NotConfigured`` where none is."""
        ...
