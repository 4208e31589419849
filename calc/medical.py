"""Flexible-worker employee medical insurance (灵活就业人员职工基本医疗保险) in the shapes cities publish.

Each city's notice has its own shape (``rates.families.MEDICAL_BASES``): a rate on a base chosen
within a range of the average wage (the original shape), a rate on a declared base (广州, 深圳), a
base fixed as a ratio of the provincial average (成都 80%), a rate in parts each rounded on its own
(成都 基本 8.75% + 大病 0.75%), fixed yearly amounts by tier (重庆) and a fixed monthly payment (北京).
The arithmetic is in the small rules below; ``resolve`` and ``price_month`` plug them into
``calc.quote`` (which imports this module at its end, so the scheme is priced here).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from calc import quote
from calc.quote import Line, QuoteError, QuoteRequest, Resolution, Tier
from calc.rounding import round_base, to_fen
from calc.rules import Bounds, NoAverage, Split, bounds, rule, rule_for
from rates.interface import NotConfigured, Resolved
from rates.months import Month

SCHEME = "flexible_medical"
TIER_LABELS = {1: "一档", 2: "二档"}
TIER_FIELDS = {1: "tier1_yearly", 2: "tier2_yearly"}
ZERO = Decimal("0.00")


# ---------------------------------------------------------------- rules (pure)


@rule("medical_rate_parts", since="2021-01")
def rate_in_parts(base: Decimal, parts: tuple[tuple[str, Decimal], ...]) -> Split:
    """Each part of the rate on the base, rounded to the fen on its own, then added (成都：基本+大病)."""
    amounts = {name: to_fen(base * rate) for name, rate in parts}
    return Split(sum(amounts.values(), ZERO), amounts)


@rule("medical_base_of_average", since="2021-01")
def base_of_average(avg_wage: Decimal, ratio: Decimal, rounding: str) -> Decimal:
    """The base as a fixed ratio of the provincial average, rounded by the region's rule (成都：省平工资的80%)."""
    return round_base(avg_wage * ratio, rounding)


@rule("medical_yearly_tier", since="2021-01")
def yearly_tier(amount: Decimal) -> Split:
    """The fixed amount of the chosen tier for the whole contribution year, per person (渝医保发〔2024〕47号)."""
    return Split(to_fen(amount), {"yearly_tier": to_fen(amount)})


@rule("medical_fixed_monthly", since="2021-01")
def fixed_payment(amount: Decimal) -> Split:
    """The monthly payment as the notice states it (京人社发〔2025〕11号：月缴纳584.92元)."""
    return Split(to_fen(amount), {"fixed_payment": to_fen(amount)})


# ---------------------------------------------------------------- wiring into calc.quote


def basis(resolved: Resolved) -> str:
    """The version's shape; a version without one is the original shape."""
    return str(resolved.version.values.get("basis", "ratio_range"))


def resolve(request: QuoteRequest, at: Callable[..., Resolved], month: Month) -> Resolution:
    """The versions one month needs: only those its shape reads (a figure not used is not cited)."""
    try:
        medical = at(SCHEME, month)
    except QuoteError as error:
        raise where_to_ask(error, at.params, at.region, month) from None
    got: Resolution = {SCHEME: medical}
    shape = basis(medical)
    if shape == "ratio_range":
        try:
            avg = at("avg_wage", month, SCHEME)
        except QuoteError as error:
            # an explicit base is priced without the range (and says so) where no average wage is held
            if request.base is None or error.code != "not_configured" or "basis" not in medical.version.values:
                raise
            return got
        got["flexible_pension"] = at("flexible_pension", month)  # the 60%/300% ratios published bounds stand for
        got["avg_wage"] = avg
        got["base_rounding"] = at("base_rounding", month)
    elif shape == "avg_ratio" and request.base is None:
        got["avg_wage"] = at("avg_wage", month, SCHEME)
        got["base_rounding"] = at("base_rounding", month)
    return got


def _parts(resolved: Resolved) -> tuple[tuple[str, Decimal], ...]:
    version = resolved.version
    parts: list[tuple[str, Decimal]] = [("medical_basic", version.decimal("rate") or ZERO)]
    supplementary = version.decimal("supplementary_rate")
    if supplementary is not None:
        parts.append(("medical_supplementary", supplementary))
    return tuple(parts)


def pension_bounds(params: quote.Parameters, region: str, month: Month, scheme: str = "flexible_pension") -> Bounds:
    """The base range of a tiered scheme in ``month`` (e.g. to tell what is known where another is not configured)."""
    at = quote._Lookup(params, region)
    got = {family: at(family, month, s) for family, s in quote.READS[scheme]}
    standard, avg = got[scheme], got["avg_wage"]
    rounding = str(got["base_rounding"].version.values["rule"])
    floor_ratio, ceiling_ratio = (
        quote._value(standard, "base_ratio_floor"),
        quote._value(standard, "base_ratio_ceiling"),
    )
    return bounds(
        avg.version.decimal("avg_wage_monthly"), floor_ratio, ceiling_ratio, quote._published(avg, standard), rounding
    )


ASK = "请向参保地医保经办机构咨询，或拨打12393医保服务热线。"


def where_to_ask(error: QuoteError, params: quote.Parameters, region: str, month: Month) -> QuoteError:
    """The not-configured answer for medical insurance, with where to ask and what is known (the pension base)."""
    if error.code != "not_configured":
        return error
    known = ""
    try:
        pension = pension_bounds(params, region, month)
    except (QuoteError, NoAverage):  # nothing known to add, or only what a notice without an average gives
        pension = None
    if pension is not None:
        name = params.regions[region].name
        known = (
            f"已知：{name}{month}灵活就业人员企业职工基本养老保险缴费基数为每月{pension.floor}元至{pension.ceiling}元，"
            "仅供参考，医保缴费基数以医保部门公布为准。"
        )
    return QuoteError(error.field, f"{error.message}{ASK}{known}", error.code, error.status)


def _with_rate(resolved: Resolved, base: Decimal, month: Month, notes: tuple[str, ...]) -> Line:
    parts = _parts(resolved)
    split = rule_for("medical_rate_parts", month)(base, parts)
    assert isinstance(split, Split)
    amounts = dict(split.parts)
    amount = split.amount
    addon = resolved.version.decimal("fixed_monthly")
    if addon is not None:
        amounts["fixed_addon"] = addon
        amount += addon
    rate = sum((r for _, r in parts), Decimal(0))
    return Line(month, base, rate, amount, amounts, False, {SCHEME: resolved.version.id or 0}, notes=notes)


# A figure the region's rule does not take: the request matches the OpenAPI document, the rule of that
# region and month refuses it, so 422 (400 is for what the document refuses: issue 19, defect 8).
NOT_APPLICABLE = "not_applicable"


def _no_tier_or_base(request: QuoteRequest, where: str, what: str) -> None:
    if request.base is not None:
        raise QuoteError("base", f"{where}{what}，不按缴费基数计算，请不要填写缴费基数。", NOT_APPLICABLE, 422)
    if request.base_ratio is not None:
        raise QuoteError(
            "base_ratio", f"{where}{what}，不按缴费档次（比例）计算，请不要选择缴费档次。", NOT_APPLICABLE, 422
        )


def price_month(request: QuoteRequest, got: Resolution, month: Month) -> Line:
    """One month (or, for yearly amounts, one contribution year) of flexible-worker medical insurance."""
    medical = got[SCHEME]
    version = medical.version
    shape = basis(medical)
    if "basis" not in version.values:  # the original shape, priced exactly as before
        return quote._price_with_base(SCHEME, request, got, month)
    where = "本地区"
    ids = {family: r.version.id or 0 for family, r in got.items()}
    if shape == "yearly_tiers":
        _no_tier_or_base(request, where, "按年度固定标准缴费")
        if request.medical_tier not in TIER_FIELDS:
            raise QuoteError("medical_tier", f"{where}按年度固定标准缴费，请选择医保缴费档次：一档或二档。", "required")
        split = rule_for("medical_yearly_tier", month)(version.decimal(TIER_FIELDS[request.medical_tier]))
        assert isinstance(split, Split)
        note = (
            f"{where}职工医保按年度固定标准缴费（元/年·人），按所选月份所在年度列示全年金额，"
            "通知未规定按月折算，本服务不折算到月。"
        )
        return Line(month, None, None, split.amount, split.parts, False, ids, year=month.year, notes=(note,))
    if shape == "fixed_monthly":
        _no_tier_or_base(request, where, "按每月固定金额缴费")
        split = rule_for("medical_fixed_monthly", month)(version.decimal("monthly_amount"))
        assert isinstance(split, Split)
        return Line(month, None, None, split.amount, split.parts, False, ids)
    if shape == "avg_ratio":
        ratio = version.decimal("base_ratio") or ZERO
        if request.base is not None:
            note = (
                f"按所填核定缴费基数测算；{where}缴费基数为上年度全省全口径月平均工资的{quote._percent(ratio)}，"
                "所填基数未与之核对，以经办机构核定为准。"
            )
            line = _with_rate(medical, request.base, month, (note,))
            return _cite(line, ids)
        if request.base_ratio is not None and request.base_ratio != ratio:
            raise QuoteError(
                "base_ratio",
                f"{where}缴费基数固定为上年度全省全口径月平均工资的{quote._percent(ratio)}，无需选择缴费档次。",
                NOT_APPLICABLE,
                422,
            )
        avg = got["avg_wage"]
        rounding = str(got["base_rounding"].version.values["rule"])
        average = avg.version.decimal("avg_wage_monthly")
        if average is None:  # the province published its ends but no average: nothing to take the ratio of
            raise QuoteError(
                "base",
                f"{month}：该通知未公布上年度全省全口径月平均工资，无法按{quote._percent(ratio)}折算缴费基数；"
                "请按经办机构核定的缴费基数填写。",
                quote.NO_AVERAGE,
                422,
            )
        base = rule_for("medical_base_of_average", month)(average, ratio, rounding)
        assert isinstance(base, Decimal)
        line = _with_rate(medical, base, month, ())
        return _cite(line, ids, avg.provisional)
    if shape == "declared":
        if request.base is None:
            field = "base_ratio" if request.base_ratio is not None else "base"
            raise QuoteError(field, f"{where}按本人申报的缴费基数缴费，请填写缴费基数（元/月）。", "required")
        floor, ceiling = version.decimal("base_floor_monthly"), version.decimal("base_ceiling_monthly")
        _check_bounds(request.base, floor, ceiling, month)
        notes = (
            () if floor is not None and ceiling is not None else (_unchecked(version.effective_from, floor, ceiling),)
        )
        return _cite(_with_rate(medical, request.base, month, notes), ids)
    # ratio_range with a basis: a rate (maybe in parts) on a base between two ratios of the average wage
    if "avg_wage" not in got:
        assert request.base is not None  # resolve() let the average wage be missing only for an explicit base
        note = (
            f"{where}上年度全口径月平均工资未配置，缴费基数上下限无法确定，"
            "所填缴费基数未作范围核对，以经办机构核定为准。"
        )
        return _cite(_with_rate(medical, request.base, month, (note,)), ids)
    avg, standard = got["avg_wage"], got["flexible_pension"]
    rounding = str(got["base_rounding"].version.values["rule"])
    avg_wage = avg.version.decimal("avg_wage_monthly")  # None where the notice published only the ends
    published = quote._published(avg, standard)
    try:
        limits = bounds(
            avg_wage,
            quote._value(medical, "base_ratio_floor"),
            quote._value(medical, "base_ratio_ceiling"),
            published,
            rounding,
        )
        base = quote.choose_base(request, limits, avg_wage, published, rounding, month)
    except NoAverage as missing:  # as for the pension: only the published ends and explicit bases price
        raise quote.no_average(month, published, request.base_ratio or missing.args[0]) from None
    return _cite(_with_rate(medical, base, month, ()), ids, avg.provisional)


def _cite(line: Line, ids: dict[str, int], provisional: bool = False) -> Line:
    return Line(line.month, line.base, line.rate, line.amount, line.parts, provisional, ids, notes=line.notes)


def _check_bounds(base: Decimal, floor: Decimal | None, ceiling: Decimal | None, month: Month) -> None:
    if floor is not None and ceiling is not None and not floor <= base <= ceiling:
        message = f"缴费基数须在{floor}元至{ceiling}元之间（{month}），请修改缴费基数。"
    elif floor is not None and ceiling is None and base < floor:
        message = f"缴费基数不能低于{floor}元（{month}），请修改缴费基数。"
    elif ceiling is not None and floor is None and base > ceiling:
        message = f"缴费基数不能高于{ceiling}元（{month}），请修改缴费基数。"
    else:
        return
    raise QuoteError("base", message, code="out_of_range")


def _unchecked(since: Month, floor: Decimal | None, ceiling: Decimal | None) -> str:
    known = "仅核对了已公布的一端，" if floor is not None or ceiling is not None else ""
    return (
        f"{since}起适用的标准未给出灵活就业人员医保缴费基数上下限（本服务未配置），"
        f"{known}所填缴费基数未作范围核对，以经办机构核定为准。"
    )


# ---------------------------------------------------------------- the tier comparison


def options(params: quote.Parameters, region: str, month: Month) -> tuple[list[Tier], list[Resolved]] | None:
    """What a worker can choose between in ``month`` for shapes without 60%…300% tiers; None for those with."""
    try:
        medical = params.at(region, SCHEME, month)
    except NotConfigured:
        error = quote.not_configured(params.regions[region], SCHEME, month)
        raise where_to_ask(error, params, region, month) from None
    shape = basis(medical)
    if shape == "ratio_range":
        return None
    name = params.regions[region].name
    year = (Month(month.year, 1), Month(month.year, 12))
    if shape == "yearly_tiers":
        rows = []
        for tier, label in TIER_LABELS.items():
            request = QuoteRequest(region, SCHEME, month, month, medical_tier=tier)
            q = quote.price(params, request)
            rows.append(Tier(Decimal(tier), None, None, q.total, q.provisional, label=label))
        return rows, list(q.used)
    if shape == "declared":
        floor, ceiling = medical.version.decimal("base_floor_monthly"), medical.version.decimal("base_ceiling_monthly")
        if floor is None or ceiling is None:
            raise QuoteError(  # a valid question whose answer is that there is nothing to compare: 422
                "base",
                f"{name}{month}的灵活就业人员医保缴费基数上下限未见公布，按本人申报的缴费基数测算，无档次可比。",
                "no_tiers",
                422,
            )
        choices = [("下限", floor, Decimal(0)), ("上限", ceiling, Decimal(0))]
    elif shape == "avg_ratio":
        ratio = medical.version.decimal("base_ratio") or ZERO  # the ratio, so the page can mark it as chosen
        choices = [(quote._percent(ratio), None, ratio)]
    else:
        choices = [("固定金额", None, Decimal(0))]
    rows, used = [], {}
    for label, base, ratio in choices:
        priced, first = _year(params, region, year, base)
        line = next((line for line in priced.lines if line.month == month), priced.lines[0])
        note = None if first == year[0] else f"{first}至{year[1]}"
        rows.append(Tier(ratio, line.base, line.amount, priced.total, priced.provisional, label=label, note=note))
        used.update({r.version.id or 0: r for r in priced.used})
    return rows, list(used.values())


def _year(
    params: quote.Parameters, region: str, year: tuple[Month, Month], base: Decimal | None
) -> tuple[quote.Quote, Month]:
    """The year's months in which medical insurance is configured, priced (a city may start mid-year)."""
    start = year[0]
    while True:
        try:
            return quote.price(params, QuoteRequest(region, SCHEME, start, year[1], base=base)), start
        except QuoteError as error:
            if error.code != "not_configured" or error.field != "scheme" or start == year[1]:
                raise  # only months without medical insurance are left out, never a missing average wage
            start = start + 1


quote.RESOLVERS[SCHEME] = resolve
quote.PRICERS[SCHEME] = price_month
