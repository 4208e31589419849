"""What the engine (``calc``) needs from the parameters, without the database behind them.

``calc`` depends on this module only, never on ``rates.store``: pricing is pure arithmetic on the versions
in force, and a process (or a test) that prices with its own parameters loads no ORM. ``rates.store``'s
``Snapshot`` is the implementation the service passes in; it raises ``NotConfigured`` and answers
``Resolved`` from here (``rates.store`` re-exports both under their old names).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Protocol, TypeGuard, TypeVar

from rates.model import Reference, Region, Version
from rates.months import Month

T = TypeVar("T")


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


class Parameters(Protocol):
    """The parameters at one instant, as the engine reads them: the regions, and what is in force when."""

    @property
    def regions(self) -> dict[str, Region]: ...

    def at(self, region: str, family: str, month: Month, scheme: str | None = None) -> Resolved:
        """The version of ``family`` in force for ``region`` in ``month``; ``NotConfigured`` where none is."""
        ...


class Keeping(Parameters, Protocol):
    """Parameters that never change (a snapshot), so that what is derived from them may be kept.

    The engine asks for ``kept`` where the parameters offer it (``keeping``) and derives anew where not
    (a test's own parameters).
    """

    def kept(self, key: Hashable, make: Callable[[], T]) -> T:
        """What ``make`` derives from these parameters alone, made once; ``key`` names it and its arguments."""
        ...


def keeps(params: Parameters) -> TypeGuard[Keeping]:
    """Whether ``params`` keep what is derived from them (a duck test: a runtime protocol check costs more)."""
    return callable(getattr(params, "kept", None))


def keeping(params: Parameters) -> Keeping | None:
    """``params`` as parameters that keep what is derived from them, or None when they do not."""
    return params if keeps(params) else None
