"""The tier table: each tier's base and amount in a month and over its calendar year (60%, 70%, … 300%), or,
for medical insurance in a shape without ratio tiers, the choices its shape offers (``Shape.choices``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from calc.lines import NO_AVERAGE, Quote, QuoteError, QuoteRequest, value
from calc.medical.pricing import where_to_ask
from calc.medical.shapes import SCHEME as MEDICAL
from calc.medical.shapes import shape_of
from calc.pricing import Plans, price, validate
from calc.reads import Lookup, not_configured
from rates.interface import NotConfigured, Parameters, Resolved
from rates.months import Month

TIER_STEP = Decimal("0.1")
T = TypeVar("T")


@dataclass(frozen=True)
class Tier:
    ratio: Decimal
    base: Decimal | None  # None: a fixed amount, or a ratio tier without a published average
    monthly: Decimal | None  # None: a yearly amount the notice does not state per month
    yearly: Decimal | None
    provisional: bool
    unavailable: str | None = None  # why the tier has no amount (the notice published no average wage)
    label: str | None = None  # a tier not named by its ratio (一档, 下限, 固定金额)
    note: str | None = None  # e.g. the months of the year the amount covers, when fewer than twelve
    # why the year has no amount while the month has one (part of the year under a notice without an average)
    yearly_unavailable: str | None = None


def tier_ratios(floor_ratio: Decimal, ceiling_ratio: Decimal) -> list[Decimal]:
    """60%, 70%, ... 300%: every 10 points from the floor ratio, and the ceiling ratio."""
    ratios, ratio = [], floor_ratio
    while ratio < ceiling_ratio:
        ratios.append(ratio)
        ratio += TIER_STEP
    return [*ratios, ceiling_ratio]


Amounts = tuple[Decimal | None, Decimal]  # a month's base and amount


@dataclass(frozen=True, slots=True)
class PricedYear:
    """A tier's months priced for the tier table: the total, whether provisional, the versions it cites, and each
    month's base and amount from ``first`` on. Kept by a service for a whole year (``Years``), so kept small:
    months priced alike share one pair, and a year's tiers one tuple of versions."""

    total: Decimal
    provisional: bool
    cited: tuple[Resolved, ...]
    first: Month
    months: tuple[Amounts, ...]

    def at(self, month: Month) -> Amounts:
        return self.months[month.index() - self.first.index()]


@dataclass(frozen=True)
class TierYear:
    """The year a tier table prices, whichever month of it is asked: each tier from ``first`` to December.

    Every month of a calendar year shows the same yearly amounts, so the twelve tables of a year share one
    pricing of it (``YearPrices``); a service may keep it under this key (``Years``), which holds all it
    depends on besides the parameters: the tiers offered (a new notice may change them mid-year) and the
    first month priced.
    """

    region: str
    scheme: str
    first: Month
    ratios: tuple[Decimal, ...]


# Each tier's year priced (``PricedYear``), or why it has no amount, in the order of ``TierYear.ratios``.
YearPrices = tuple[PricedYear | str, ...]
# How ``tiers`` gets a year's prices: ``make()`` itself, or what a cache keeps for the key.
Years = Callable[[TierYear, Callable[[], YearPrices]], YearPrices]


def _priced_year(
    params: Parameters, year: QuoteRequest, plans: Plans | None = None, shared: dict[object, object] | None = None
) -> PricedYear | str:
    """The year priced, or why its tier has no amount (a notice without an average: kept as well). ``shared``
    holds the pairs and version tuples already made for the year's other tiers, to be used again."""
    try:
        quote = price(params, year, plans)
    except QuoteError as error:
        if error.code != NO_AVERAGE:
            raise
        return error.message
    # Found again by the identity of what they hold, never by equality: Decimal("5000") equals Decimal("5000.00")
    # but is not written alike. What ``alike`` holds stays alive for the whole year's pricing, so no object can
    # give its id to another meanwhile. Months priced alike hold the very same amounts (one line copied).
    alike = {} if shared is None else shared
    by_month = {line.month.index(): line for line in quote.lines}
    months = tuple(
        _one(alike, ("pair", id(line.base), id(line.amount)), (line.base, line.amount))
        for line in (by_month[m.index()] for m in year.start.until(year.end))
    )
    cited = tuple(quote.used)  # the same versions for most tiers
    cited = _one(alike, ("cited", *map(id, cited)), cited)
    return PricedYear(quote.total, quote.provisional, cited, year.start, months)


def _one(shared: dict[object, object], key: object, value: T) -> T:
    """``value``, or the one kept before under ``key``: the same object, kept once."""
    found: T = shared.setdefault(key, value)  # type: ignore[assignment]
    return found


def year_prices(params: Parameters, year: TierYear) -> YearPrices:
    """Every tier of ``year`` priced from its first month to December (the tiers share one resolution)."""
    last = Month(year.first.year, 12)
    plans = Plans(params, QuoteRequest(year.region, year.scheme, year.first, last))
    shared: dict[object, object] = {}
    return tuple(
        _priced_year(params, QuoteRequest(year.region, year.scheme, year.first, last, base_ratio=r), plans, shared)
        for r in year.ratios
    )


def afresh(_: TierYear, make: Callable[[], YearPrices]) -> YearPrices:
    """``Years`` keeping nothing: the year priced for every table."""
    return make()


def tiers(
    params: Parameters, region: str, month: Month, scheme: str = "flexible_pension", years: Years = afresh
) -> tuple[list[Tier], list[Resolved]]:
    """Each tier's base and monthly amount in ``month``, and its amount over that calendar year."""
    validate(params, QuoteRequest(region, scheme, month, month))
    if scheme == MEDICAL and (shaped := medical_options(params, region, month)) is not None:
        return shaped
    scheme_params = Lookup(params, region)(scheme, month)
    ratios = tier_ratios(value(scheme_params, "base_ratio_floor"), value(scheme_params, "base_ratio_ceiling"))
    first = _first_priced_month(params, region, scheme, month)
    year = TierYear(region, scheme, first, tuple(ratios))
    result: list[Tier] = []
    used: dict[int, Resolved] = {}
    for ratio, priced in zip(ratios, years(year, lambda: year_prices(params, year)), strict=True):
        if isinstance(priced, str):
            # The year needs an average some month of it lacks; the asked month may have one, and then its tier
            # is what /calculate answers for that month (issue 19: 广州 2025-10 at 70% was 不可测算 here while
            # /calculate priced it), with the year said to be unavailable.
            alone = _priced_year(params, QuoteRequest(region, scheme, month, month, base_ratio=ratio))
            if isinstance(alone, str):
                result.append(Tier(ratio, None, None, None, False, unavailable=priced))
                continue
            base, amount = alone.at(month)
            result.append(Tier(ratio, base or Decimal(0), amount, None, alone.provisional, yearly_unavailable=priced))
            used.update({r.version.id or 0: r for r in alone.cited})
            continue
        base, amount = priced.at(month)
        note = None if first.month == 1 else f"{first}至{Month(month.year, 12)}"
        result.append(Tier(ratio, base or Decimal(0), amount, priced.total, priced.provisional, note=note))
        used.update({r.version.id or 0: r for r in priced.cited})
    return result, list(used.values())


def _first_priced_month(params: Parameters, region: str, scheme: str, month: Month) -> Month:
    """The first month of ``month``'s calendar year with an average wage in force (a year may start in July).

    A province whose contribution year runs from July, with nothing known before (广东2024), has its
    table priced over the months it holds, named in each tier's note. ``month`` itself must be priced.
    """
    first = Month(month.year, 1)
    while first < month:
        try:
            params.at(region, "avg_wage", first, scheme)
        except NotConfigured:
            first = first + 1
            continue
        break
    return first


def medical_options(params: Parameters, region: str, month: Month) -> tuple[list[Tier], list[Resolved]] | None:
    """What a worker can choose between in ``month`` for shapes without 60%…300% tiers; None for those with."""
    try:
        medical = params.at(region, MEDICAL, month)
    except NotConfigured:
        error = not_configured(params.regions[region], MEDICAL, month)
        raise where_to_ask(error, params, region, month) from None
    name = params.regions[region].name
    choices = shape_of(medical).choices(medical.version, name, month)
    if choices is None:
        return None
    if any(choice.tier is not None for choice in choices):  # a yearly amount by tier: the tier's year, per person
        rows = []
        for choice in choices:
            q = price(params, QuoteRequest(region, MEDICAL, month, month, medical_tier=choice.tier))
            rows.append(Tier(Decimal(choice.tier or 0), None, None, q.total, q.provisional, label=choice.label))
        return rows, list(q.used)
    year = (Month(month.year, 1), Month(month.year, 12))
    rows, used = [], {}
    for choice in choices:
        priced, first = _medical_year(params, region, year, choice.base)
        line = next((line for line in priced.lines if line.month == month), priced.lines[0])
        note = None if first == year[0] else f"{first}至{year[1]}"
        rows.append(
            Tier(choice.ratio, line.base, line.amount, priced.total, priced.provisional, label=choice.label, note=note)
        )
        used.update({r.version.id or 0: r for r in priced.used})
    return rows, list(used.values())


def _medical_year(
    params: Parameters, region: str, year: tuple[Month, Month], base: Decimal | None
) -> tuple[Quote, Month]:
    """The year's months in which medical insurance is configured, priced (a city may start mid-year)."""
    start = year[0]
    while True:
        try:
            return price(params, QuoteRequest(region, MEDICAL, start, year[1], base=base)), start
        except QuoteError as error:
            if error.code != "not_configured" or error.field != "scheme" or start == year[1]:
                raise  # only months without medical insurance are left out, never a missing average wage
            start = start + 1
