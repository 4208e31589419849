"""Price a range of months: each month with the parameter versions in force for that month.

This is where parameters meet rules: it asks the snapshot for the versions in force (``calc.reads``), passes
their plain values to the pure rules in ``calc.rules`` and records which version produced each figure.
"""

from __future__ import annotations

import bisect
import dataclasses
import sys
from collections.abc import Callable
from decimal import Decimal

from calc import outlet
from calc.banded import price_with_base
from calc.lines import (
    MAX_FACTOR,
    MAX_HEADCOUNT,
    MAX_MONTHS,
    SCHEMES,
    Line,
    Quote,
    QuoteError,
    QuoteRequest,
    Resolution,
    ids,
    value,
)
from calc.medical import pricing as medical
from calc.reads import READS, Lookup, note
from calc.rules import Split, rule_for, rule_steady_before
from rates.interface import NotConfigured, Parameters, Resolved
from rates.model import Region
from rates.months import Month


def _price_pension(request: QuoteRequest, got: Resolution, month: Month) -> Line:
    return price_with_base("flexible_pension", request, got, month)


def _price_resident(request: QuoteRequest, got: Resolution, month: Month) -> Line:
    params = got["resident_medical"]
    split = rule_for("resident_medical", month)(value(params, "yearly_amount"))
    assert isinstance(split, Split)
    return Line(month, None, None, split.amount, split.parts, params.provisional, ids(params), year=month.year)


# How each scheme prices a month, and (where the versions in force decide what else a month reads) resolves it.
PRICERS: dict[str, Callable[[QuoteRequest, Resolution, Month], Line]] = {
    "flexible_pension": _price_pension,
    "flexible_medical": medical.price_month,
    "outlet_injury": outlet.price_month,
    "resident_medical": _price_resident,
}
RESOLVERS: dict[str, Callable[[QuoteRequest, Lookup, Month], Resolution]] = {
    "flexible_medical": medical.resolve,
    "outlet_injury": outlet.resolve,
}


def validate(params: Parameters, request: QuoteRequest) -> None:
    if request.region not in params.regions:
        raise QuoteError("region", f"未知地区代码“{request.region}”，请从地区列表中选择。", "unknown_region", 404)
    if request.scheme not in SCHEMES:
        raise QuoteError("scheme", f"未知险种“{request.scheme}”，可选：{'、'.join(SCHEMES)}。", "unknown_scheme")
    if request.end < request.start:
        raise QuoteError("end", "终止月份不能早于起始月份，请修改终止月份。", "invalid_range")
    if request.start.count_until(request.end) > MAX_MONTHS:
        raise QuoteError("end", f"一次最多测算{MAX_MONTHS}个月，请缩短月份范围。", "range_too_long")
    if request.base is not None and request.base_ratio is not None:
        raise QuoteError("base", "缴费档次和缴费基数只能填写一项。", "conflict")
    if not 1 <= request.headcount <= MAX_HEADCOUNT:
        raise QuoteError("headcount", f"参保人数须为1至{MAX_HEADCOUNT}之间的整数。", "out_of_range")
    if not Decimal(0) < request.factor <= MAX_FACTOR:
        raise QuoteError("factor", f"浮动费率须大于0且不超过{MAX_FACTOR}。", "out_of_range")
    if request.medical_tier not in (None, 1, 2):
        raise QuoteError("medical_tier", "医保缴费档次只能是1（一档）或2（二档）。", "out_of_range")


def resolve_month(request: QuoteRequest, at: Lookup, month: Month) -> Resolution:
    """The versions a calculation of ``request`` reads in ``month``: the one resolution ``price`` uses, so that
    whatever else says what is configured (the coverage view) cannot disagree with an answer."""
    resolve = RESOLVERS.get(request.scheme)
    return resolve(request, at, month) if resolve else {f: at(f, month, s) for f, s in READS[request.scheme]}


def resolution(params: Parameters, region: str, scheme: str, month: Month) -> Resolution:
    """What a calculation of ``scheme`` in ``region`` without an explicit base reads in ``month``; QuoteError when
    a calculation of that month would be refused as not configured."""
    return resolve_month(QuoteRequest(region, scheme, month, month), Lookup(params, region), month)


Plan = tuple[Resolution, tuple[object, ...]]  # the versions a month reads, and the key of months priced alike


Read = tuple[str, str, str | None, Resolved | None]  # a lookup: region, family, scheme, and its version (None: none)
Steady = tuple[object, list[Read], int]  # a month's rule, its lookups, and the month index before which they hold


class _Recorded:
    """The parameters as one month's resolution reads them: every lookup it makes, and what it found."""

    def __init__(self, params: Parameters):
        self.params, self.read = params, list[Read]()

    @property
    def regions(self) -> dict[str, Region]:
        return self.params.regions

    def at(self, region: str, family: str, month: Month, scheme: str | None = None) -> Resolved:
        try:
            found = self.params.at(region, family, month, scheme)
        except NotConfigured:
            self.read.append((region, family, scheme, None))
            raise
        self.read.append((region, family, scheme, found))
        return found


def _finds(params: Parameters, read: list[Read], month: Month) -> int:
    """Whether each lookup of ``read`` finds in ``month`` what it found then: 0 where one finds otherwise, else
    the index of the month from which one may (``Resolved.steady_before``; a lookup that found nothing is asked
    again next month)."""
    steady = sys.maxsize
    for region, family, scheme, found in read:
        try:
            now: Resolved | None = params.at(region, family, month, scheme)
        except NotConfigured:
            now = None
        if now != found:
            return 0
        steady = min(steady, now.steady_before if now is not None else month.index() + 1)
    return steady


class Plans:
    """The versions in force that each month of a question reads, resolved once per month.

    A month is resolved for the question without its tier (``base_ratio``): the tier only scales the base
    and no resolution may read it, so the questions of one tier table, which differ only in their tier,
    share one ``Plans`` (``serves``) and resolve each month once, not once per tier. Months under the same
    versions and rule share one plan (its key), so that they are priced once. Kept for the questions of
    one answer only: the answer cache keeps whole answers, and the snapshot keeps only parameters.

    A resolution reads the parameters only through ``at`` (and the region list): a month whose every lookup
    of the month before finds the same version, under the same rule, resolves as that month did, and takes
    its plan without resolving again (``tests/sweep/test_plans.py`` checks this against resolving every month).
    Each lookup says until when it finds the same (``Resolved.steady_before``), and the rule until when it is in
    force: before the earliest of these a month takes its plan without a lookup (issue 20: the lookups of every
    month of every answer were three fifths of pricing), and ``price`` takes that whole run of months at once
    (``run``).
    """

    def __init__(self, params: Parameters, request: QuoteRequest):
        self.params = params
        self.request = request if request.base_ratio is None else dataclasses.replace(request, base_ratio=None)
        self._plans: dict[object, Plan] = {}
        self._noted: dict[int, tuple[Resolved, ...]] = {}  # every version each month's resolution looked up
        self._read: dict[int, Steady] = {}  # each month's rule, the lookups it made, and until when they hold
        self._latest = -1  # the index of the latest month asked

    def serves(self, request: QuoteRequest) -> bool:
        """Whether ``request`` resolves as the question these plans are for (it may differ in its tier)."""
        return request is self.request or dataclasses.replace(request, base_ratio=None) == self.request

    def run(self, month: Month) -> tuple[Plan, tuple[Resolved, ...], int]:
        """``month``'s plan, every version its resolution looked up, and the index of the month before which every
        later month takes the same plan without a lookup (its lookups' and its rule's steady bound)."""
        index = month.index()
        found = self._plans.get(index)
        if found is None:
            near = self._taken_by(index - 1)
            held = self._holds(self._read[near], month) if near is not None else None
            if near is not None and held is not None:
                found = self._plans[index] = self._plans[near]
                self._noted[index], self._read[index] = self._noted[near], held
            else:
                found = self._resolve(month, index)
        self._latest = max(self._latest, index)
        return found, self._noted[index], self._read[index][2]

    def _taken_by(self, index: int) -> int | None:
        """The month asked whose plan month ``index`` takes: itself, or the latest one asked if ``index`` is below its
        bound (a month inside a run ``price`` took at once, never asked on its own); None if neither."""
        if index in self._read:
            return index
        latest = self._latest
        return latest if 0 <= latest < index < self._read[latest][2] else None

    def _holds(self, before: Steady, month: Month) -> Steady | None:
        """Whether ``month`` resolves as the month before it did (``before``: its rule, lookups and bound): what
        holds for the months after it, or None. Below the bound nothing is looked up again."""
        rule, read, steady = before
        if month.index() < steady:
            return before
        if rule_for(self.request.scheme, month) is not rule:
            return None
        steady = _finds(self.params, read, month)
        return (rule, read, min(steady, rule_steady_before(self.request.scheme, month))) if steady else None

    def _resolve(self, month: Month, index: int) -> Plan:
        rule = rule_for(self.request.scheme, month)
        recorded = _Recorded(self.params)
        at = Lookup(recorded, self.request.region)
        got = resolve_month(self.request, at, month)
        key = (rule, *((id(r.version), r.provisional, id(r.declared_by)) for r in got.values()))
        found = self._plans[index] = self._plans.setdefault(key, (got, key))
        steady = min((r.steady_before if r is not None else index + 1 for *_, r in recorded.read), default=sys.maxsize)
        self._noted[index] = tuple(at.used.values())
        self._read[index] = (rule, recorded.read, min(steady, rule_steady_before(self.request.scheme, month)))
        return found


def price(params: Parameters, request: QuoteRequest, plans: Plans | None = None) -> Quote:
    """Price every month of the request with the versions in force for that month (``plans``: those of
    another question differing only in its tier, shared)."""
    validate(params, request)
    if plans is None or not plans.serves(request):
        plans = Plans(params, request)
    months = list(request.start.until(request.end))
    if request.scheme == "resident_medical":
        months = [m for i, m in enumerate(months) if i == 0 or m.month == 1]  # one line per year touched
    pricer = PRICERS[request.scheme]
    # Months under the same versions and rule price alike: each such group is priced once (the line of its
    # first month, copied for the others), and a run of months below its plan's steady bound takes that plan
    # without asking again month by month.
    priced: dict[tuple[object, ...], Line] = {}
    by_plan: dict[int, tuple[Plan, Line]] = {}  # the plan kept alive beside its line, so that its id stays its own
    lines: list[Line] = []
    used: dict[int, Resolved] = {}
    last: tuple[Resolved, ...] = ()
    indexes = [month.index() for month in months]
    first = 0
    while first < len(months):
        plan, noted, steady = plans.run(months[first])
        after = bisect.bisect_left(indexes, steady, first + 1)  # the months of this run: first up to after
        if noted is not last:  # noting the same versions again changes nothing
            for resolved in noted:
                note(used, resolved)
            last = noted
        known = by_plan.get(id(plan))
        if known is None:
            got, key = plan
            if key not in priced:
                priced[key] = pricer(request, got, months[first])
            known = by_plan[id(plan)] = (plan, priced[key])
        line = known[1]
        if line.year is None:  # a monthly amount: the line for each month of the run, copied but for its month
            _, base, rate, amount, parts, provisional, versions, _, notes = line
            lines += [
                line
                if line.month is month
                else Line(month, base, rate, amount, parts, provisional, versions, None, notes)
                for month in months[first:after]
            ]
        else:  # a yearly amount: one line a year
            for month in months[first:after]:
                if line.month is not month:
                    line = line._replace(month=month, year=month.year)
                if not lines or lines[-1].year != line.year:
                    lines.append(line)
        first = after
    return Quote(request, lines, list(used.values()))
