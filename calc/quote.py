"""Price a range of months: each month with the parameter versions in force for that month.

This is where parameters meet rules: it asks the snapshot for the versions in force, passes their
plain values to the pure rules in ``calc.rules`` and records which version produced each figure.
Errors are ``QuoteError`` with a Chinese message naming the field to fix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from calc.rules import Bounds, NoAverage, Published, Split, base_for_ratio, bounds, rule_for
from rates.families import FAMILIES
from rates.interface import NotConfigured, Parameters, Resolved
from rates.model import Region
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
TIER_STEP = Decimal("0.1")


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
        """Each line priced alike, once, with how many times it is in the answer (exact: amounts are in fen)."""
        counts: dict[tuple[int, int], list[Any]] = {}
        for line in self.lines:
            key = (id(line.parts), id(line.amount))  # months priced alike share the objects of the line they copy
            seen = counts.get(key)
            if seen is None:
                counts[key] = [line, 1]
            else:
                seen[1] += 1
        return [(line, count) for line, count in counts.values()]

    @property
    def provisional(self) -> bool:
        return any(line.provisional for line in self.lines)

    @property
    def notes(self) -> list[str]:
        return list(dict.fromkeys(note for line in self.lines for note in line.notes))


class _Lookup:
    """Resolves parameters for one request and remembers every version it used."""

    def __init__(self, params: Parameters, region: str):
        self.params, self.region = params, region
        self.used: dict[int, Resolved] = {}

    def __call__(self, family: str, month: Month, scheme: str | None = None) -> Resolved:
        try:
            resolved = self.params.at(self.region, family, month, scheme)
        except NotConfigured:
            raise not_configured(self.params.regions[self.region], family, month) from None
        self.note(resolved)
        return resolved

    def note(self, resolved: Resolved) -> None:
        """Remember a version the request used (a provisional use wins: the answer must say so)."""
        key = resolved.version.id if resolved.version.id is not None else id(resolved.version)
        if key not in self.used or resolved.provisional:
            self.used[key] = resolved


def not_configured(region: Region, family: str, month: Month) -> QuoteError:
    label = FAMILIES[family].label
    return QuoteError(
        "scheme" if family != "avg_wage" else "start",
        f"{region.name}{month}尚未配置“{label}”参数：没有可查证来源的数据，本服务不作估算。",
        code="not_configured",
        status=422,
    )


def _value(resolved: Resolved, name: str) -> Decimal:
    value = resolved.version.decimal(name)
    assert value is not None, name  # guaranteed by the loader for required fields
    return value


def _ids(*resolved: Resolved) -> dict[str, int]:
    return {r.version.family: r.version.id or 0 for r in resolved}


def _published(avg: Resolved, standard: Resolved) -> Published:
    return Published(
        floor=avg.version.decimal("base_floor_monthly"),
        ceiling=avg.version.decimal("base_ceiling_monthly"),
        floor_ratio=_value(standard, "base_ratio_floor"),
        ceiling_ratio=_value(standard, "base_ratio_ceiling"),
    )


def _percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"


def choose_base(
    request: QuoteRequest, limits: Bounds, avg_wage: Decimal | None, published: Published, rounding: str, month: Month
) -> Decimal:
    """The monthly base the request asks for, checked against the scheme's range for the month."""
    if request.base is not None:
        if not limits.floor <= request.base <= limits.ceiling:
            raise QuoteError(
                "base",
                f"缴费基数须在{limits.floor}元至{limits.ceiling}元之间（{month}），请修改缴费基数。",
                code="out_of_range",
            )
        return request.base
    ratio = request.base_ratio
    if ratio is None:
        if limits.floor_ratio != limits.ceiling_ratio:
            # the field is named by the error itself: a clerk reads Chinese only (issue 19)
            raise QuoteError("base_ratio", "请选择缴费档次或填写缴费基数。", code="required")
        ratio = limits.floor_ratio
    if not limits.floor_ratio <= ratio <= limits.ceiling_ratio:
        raise QuoteError(
            "base_ratio",
            f"缴费档次须在{_percent(limits.floor_ratio)}至{_percent(limits.ceiling_ratio)}之间，请修改缴费档次。",
            code="out_of_range",
        )
    return base_for_ratio(avg_wage, ratio, published, rounding)


# The families each scheme reads, and the scheme under which it reads the average wage (a
# scheme may switch to a new yearly figure later than others).
READS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "flexible_pension": (("flexible_pension", None), ("avg_wage", "flexible_pension"), ("base_rounding", None)),
    "flexible_medical": (
        ("flexible_medical", None),
        ("flexible_pension", None),  # the 60%-300% ratios that published floors and ceilings stand for
        ("avg_wage", "flexible_medical"),
        ("base_rounding", None),
    ),
    "outlet_injury": (("outlet_injury", None), ("avg_wage", "outlet_injury")),
    "resident_medical": (("resident_medical", None),),
}
Resolution = dict[str, Resolved]
# Schemes whose versions decide what else a month reads (calc.medical registers flexible_medical).
RESOLVERS: dict[str, Callable[[QuoteRequest, _Lookup, Month], Resolution]] = {}


NO_AVERAGE = "no_average"  # QuoteError.code: a ratio tier of a notice that published no average wage


def no_average(month: Month, published: Published, ratio: Decimal | None) -> QuoteError:
    """The Chinese answer for a ratio tier that only an unpublished average wage could give."""
    tier = f"{_percent(ratio)}档次" if ratio is not None else "此档次"
    ends = ""
    if published.floor is not None and published.ceiling is not None:
        ends = (
            f"（可选{_percent(published.floor_ratio)}档次{published.floor}元、"
            f"{_percent(published.ceiling_ratio)}档次{published.ceiling}元，"
            f"或填写{published.floor}元至{published.ceiling}元之间的缴费基数）"
        )
    return QuoteError(
        "base_ratio",
        f"{month}：该通知未公布平均工资，无法按比例折算{tier}，请直接填写缴费基数{ends}。",
        code=NO_AVERAGE,
        status=422,
    )


def _price_with_base(scheme: str, request: QuoteRequest, got: Resolution, month: Month) -> Line:
    params, standard, avg, rounding = got[scheme], got["flexible_pension"], got["avg_wage"], got["base_rounding"]
    rule_name = str(rounding.version.values["rule"])
    avg_wage = avg.version.decimal("avg_wage_monthly")  # None where the notice published only the ends
    published = _published(avg, standard)
    try:
        limits = bounds(
            avg_wage, _value(params, "base_ratio_floor"), _value(params, "base_ratio_ceiling"), published, rule_name
        )
        base = choose_base(request, limits, avg_wage, published, rule_name, month)
    except NoAverage as missing:
        raise no_average(month, published, request.base_ratio or missing.args[0]) from None
    rate = _value(params, "rate")
    personal = _value(params, "personal_account_rate")
    function = rule_for(scheme, month)
    if scheme == "flexible_medical":
        split = function(base, rate, personal, params.version.decimal("fixed_monthly") or Decimal("0.00"))
    else:
        split = function(base, rate, personal)
    assert isinstance(split, Split)
    return Line(month, base, rate, split.amount, split.parts, avg.provisional, _ids(*got.values()))


def _price_outlet(request: QuoteRequest, got: Resolution, month: Month) -> Line:
    params, avg = got["outlet_injury"], got["avg_wage"]
    ratio = _value(params, "ratio")
    avg_wage = avg.version.decimal("avg_wage_monthly")
    if avg_wage is None:
        raise QuoteError(
            "start", f"{month}：该通知未公布平均工资，无法按平均工资的比例计算网点工伤保险费。", NO_AVERAGE, 422
        )
    split = rule_for("outlet_injury", month)(avg_wage, ratio, request.factor, request.headcount)
    assert isinstance(split, Split)
    return Line(month, avg_wage, ratio * request.factor, split.amount, split.parts, avg.provisional, _ids(params, avg))


def _price_resident(request: QuoteRequest, got: Resolution, month: Month) -> Line:
    params = got["resident_medical"]
    split = rule_for("resident_medical", month)(_value(params, "yearly_amount"))
    assert isinstance(split, Split)
    return Line(month, None, None, split.amount, split.parts, params.provisional, _ids(params), year=month.year)


PRICERS: dict[str, Callable[[QuoteRequest, Resolution, Month], Line]] = {
    "flexible_pension": lambda request, got, month: _price_with_base("flexible_pension", request, got, month),
    "flexible_medical": lambda request, got, month: _price_with_base("flexible_medical", request, got, month),
    "outlet_injury": _price_outlet,
    "resident_medical": _price_resident,
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


def resolve_month(request: QuoteRequest, at: _Lookup, month: Month) -> Resolution:
    """The versions a calculation of ``request`` reads in ``month``: the one resolution ``price`` uses, so that
    whatever else says what is configured (the coverage view) cannot disagree with an answer."""
    resolve = RESOLVERS.get(request.scheme)
    return resolve(request, at, month) if resolve else {f: at(f, month, s) for f, s in READS[request.scheme]}


def resolution(params: Parameters, region: str, scheme: str, month: Month) -> Resolution:
    """What a calculation of ``scheme`` in ``region`` without an explicit base reads in ``month``; QuoteError when
    a calculation of that month would be refused as not configured."""
    return resolve_month(QuoteRequest(region, scheme, month, month), _Lookup(params, region), month)


Plan = tuple[Resolution, tuple[object, ...]]  # the versions a month reads, and the key of months priced alike
MAX_PLANNED_MONTHS = 4096  # months remembered per (region, scheme) in a snapshot: any month may be asked


def _month_plans(params: Parameters, request: QuoteRequest, at: _Lookup) -> Callable[[Month], Plan]:
    """The versions in force that each month reads, resolved once per (snapshot, region, scheme, month).

    A snapshot never changes, so what is in force in a month is the same for every request there; only
    whether a base is given changes what medical insurance reads (``calc.medical.resolve``).
    """

    def make(month: Month) -> Plan:
        got = resolve_month(request, at, month)
        return got, (
            rule_for(request.scheme, month),
            *((id(r.version), r.provisional, id(r.declared_by)) for r in got.values()),
        )

    kept = getattr(params, "kept", None)
    if kept is None:  # parameters that keep nothing (a test's own): resolved every time
        return make
    plans: dict[object, Plan] = kept(("month plans", request.region, request.scheme, request.base is None), dict)

    def plan(month: Month) -> Plan:
        index = month.index()
        found = plans.get(index)
        if found is None:
            if len(plans) >= MAX_PLANNED_MONTHS:
                plans.clear()
            made = make(month)
            # one plan for all the months priced alike (its key also in this table): a request meets it once
            found = plans[index] = plans.setdefault(made[1], made)  # type: ignore[call-overload]
        return found

    return plan


def price(params: Parameters, request: QuoteRequest) -> Quote:
    """Price every month of the request with the versions in force for that month."""
    validate(params, request)
    at = _Lookup(params, request.region)
    months = list(request.start.until(request.end))
    if request.scheme == "resident_medical":
        months = [m for i, m in enumerate(months) if i == 0 or m.month == 1]  # one line per year touched
    pricer, plan_of = PRICERS[request.scheme], _month_plans(params, request, at)
    # Months under the same versions and rule price alike: each such group is priced once for the same
    # figures under a snapshot (the line of its first month, copied for the others).
    kept = getattr(params, "kept", None)
    figures = (request.base_ratio, request.base, request.headcount, request.factor, request.medical_tier)
    priced: dict[tuple[object, ...], Line] = (
        kept(("priced lines", request.region, request.scheme, *figures), dict) if kept is not None else {}
    )
    by_plan: dict[int, tuple[Plan, Line]] = {}  # the plan kept alive beside its line, so that its id stays its own
    lines = []
    for month in months:
        plan = plan_of(month)
        known = by_plan.get(id(plan))
        if known is None:
            got, key = plan
            for resolved in got.values():
                at.note(resolved)  # a kept plan was resolved for an earlier request: this one cites it too
            if key not in priced:
                priced[key] = pricer(request, got, month)
            known = by_plan[id(plan)] = (plan, priced[key])
        line = known[1]
        if line.month is not month:  # a copy for this month (built directly: dataclasses.replace is slow)
            line = Line(
                month,
                line.base,
                line.rate,
                line.amount,
                line.parts,
                line.provisional,
                line.versions,
                line.year and month.year,
                line.notes,
            )
        if line.year is None or not lines or lines[-1].year != line.year:  # a yearly amount: one line a year
            lines.append(line)
    return Quote(request, lines, list(at.used.values()))


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


# A year priced for the tier table: its total, whether provisional, the versions it cites, and each month's
# (base, amount) by month index. Plain values (no Quote, no Month): kept per snapshot without adding
# objects for the garbage collector to walk.
PricedYear = tuple[Decimal, bool, tuple[Resolved, ...], dict[int, tuple[Decimal | None, Decimal]]]


def _priced_year(params: Parameters, year: QuoteRequest) -> PricedYear | str:
    """The year priced, or why its tier has no amount (a notice without an average: kept as well)."""
    try:
        quote = price(params, year)
    except QuoteError as error:
        if error.code != NO_AVERAGE:
            raise
        return error.message
    months = {line.month.index(): (line.base, line.amount) for line in quote.lines}
    return quote.total, quote.provisional, tuple(quote.used), months


def tiers(
    params: Parameters, region: str, month: Month, scheme: str = "flexible_pension"
) -> tuple[list[Tier], list[Resolved]]:
    """Each tier's base and monthly amount in ``month``, and its amount over that calendar year."""
    validate(params, QuoteRequest(region, scheme, month, month))
    if scheme == "flexible_medical" and (shaped := medical.options(params, region, month)) is not None:
        return shaped
    scheme_params = _Lookup(params, region)(scheme, month)
    ratios = tier_ratios(_value(scheme_params, "base_ratio_floor"), _value(scheme_params, "base_ratio_ceiling"))
    result: list[Tier] = []
    used: dict[int, Resolved] = {}
    kept = getattr(params, "kept", None)
    first, last = _first_priced_month(params, region, scheme, month), Month(month.year, 12)
    for ratio in ratios:
        year = QuoteRequest(region, scheme, first, last, base_ratio=ratio)
        # the same year serves the tables of its twelve months: priced once per snapshot where it can be kept
        make = functools.partial(_priced_year, params, year)
        priced = kept(("priced year", region, scheme, first, ratio), make) if kept else make()
        if isinstance(priced, str):
            # The year needs an average some month of it lacks; the asked month may have one, and then its tier
            # is what /calculate answers for that month (issue 19: 广州 2025-10 at 70% was 不可测算 here while
            # /calculate priced it), with the year said to be unavailable.
            alone = _priced_year(params, QuoteRequest(region, scheme, month, month, base_ratio=ratio))
            if isinstance(alone, str):
                result.append(Tier(ratio, None, None, None, False, unavailable=priced))
                continue
            _, provisional, cited, months = alone
            base, amount = months[month.index()]
            result.append(Tier(ratio, base or Decimal(0), amount, None, provisional, yearly_unavailable=priced))
            used.update({r.version.id or 0: r for r in cited})
            continue
        total, provisional, cited, months = priced
        base, amount = months[month.index()]
        note = None if first.month == 1 else f"{first}至{last}"
        result.append(Tier(ratio, base or Decimal(0), amount, total, provisional, note=note))
        used.update({r.version.id or 0: r for r in cited})
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


# Flexible-worker medical insurance in the shapes the cities publish; imported last because it builds on
# this module, and it registers its pricer in PRICERS and RESOLVERS.
from calc import medical  # noqa: E402
