"""The pension estimate: where the benefit parameters meet the rules of calc.retirement and calc.pension.

It asks the snapshot for the versions in force (retirement ages, minimum years, payout months, the
province's 计发基数, and what a tier costs today), passes plain values to the pure rules and records
every version it used. Errors are ``QuoteError`` with the field to fix and a Chinese message.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from calc.lines import NO_AVERAGE, QuoteError, QuoteRequest, percent
from calc.pension import (
    ZERO,
    Assumptions,
    PayoutMonths,
    average_index,
    payback_years,
    project,
)
from calc.pricing import price
from calc.record import (
    NATIONAL,
    TRANSITIONAL_NOTE,
    RegionLookup,
    parts_notes,
    payout_note,
    pension_parts,
)
from calc.retirement import CATEGORIES, AgeRule, Retirement, age_words, retirement, years_words
from calc.rules import rule_for
from calc.tiers import tier_ratios
from rates.interface import Parameters, Resolved
from rates.months import Month
from rates.tables import read_table

# A sanity limit on what one request may ask for (months of contributions already paid), not a policy figure.
MAX_PAID_MONTHS = 720
_Lookup = RegionLookup


def _count(resolved: Resolved, name: str) -> int:
    value = resolved.version.decimal(name)
    assert value is not None, name  # required fields, checked by the loader
    return int(value)


@dataclass(frozen=True)
class EstimateRequest:
    region: str
    birth_month: Month
    category: str
    base_ratio: Decimal
    start: Month
    paid_months: int = 0
    paid_average_index: Decimal | None = None
    account_balance: Decimal | None = None
    retire_early_months: int = 0
    retire_late_months: int = 0
    assumptions: Assumptions = field(default_factory=Assumptions)


@dataclass(frozen=True)
class Assumption:
    name: str
    label: str
    value: str
    text: str


@dataclass
class Estimate:
    request: EstimateRequest
    retirement: Retirement
    statutory_month: Month
    minimum_months: int
    months_by_retirement: int
    future_months: int
    base: Decimal  # the chosen tier's monthly base today
    monthly_contribution: Decimal
    contributions: Decimal
    future_index: Decimal
    average_index: Decimal
    calc_base: Decimal
    calc_base_year: int | None
    balance: Decimal
    payout: PayoutMonths
    basic: Decimal
    account: Decimal
    payback: Decimal | None
    provisional: bool
    assumptions: list[Assumption]
    notes: list[str]
    used: list[Resolved]

    @property
    def total(self) -> Decimal:
        return self.basic + self.account

    @property
    def minimum_reached(self) -> bool:
        return self.months_by_retirement >= self.minimum_months

    @property
    def months_short(self) -> int:
        return max(self.minimum_months - self.months_by_retirement, 0)


def _age_rule(resolved: Resolved, category: str) -> AgeRule:
    return AgeRule(
        _count(resolved, f"{category}_original_age"),
        _count(resolved, f"{category}_target_age"),
        _count(resolved, f"{category}_step"),
    )


def validate(params: Parameters, request: EstimateRequest) -> None:
    if request.region not in params.regions:
        raise QuoteError("region", f"未知地区代码“{request.region}”，请从地区列表中选择。", "unknown_region", 404)
    if request.category not in CATEGORIES:
        raise QuoteError(
            "category",
            "人员类别只能是 male（男职工）、female_55（原55岁退休的女职工）或 female_50（原50岁退休的女职工）。",
            "invalid",
        )
    if request.birth_month > request.start:
        raise QuoteError("birth_month", "出生年月不能晚于测算起始月份，请检查出生年月。", "invalid")
    if not 0 <= request.paid_months <= MAX_PAID_MONTHS:
        raise QuoteError("paid_months", f"已缴费月数须在0至{MAX_PAID_MONTHS}之间。", "out_of_range")


def estimate(params: Parameters, request: EstimateRequest) -> Estimate:
    """One worker, one tier: retirement, months by then, the two parts of the pension and the payback."""
    validate(params, request)
    at = _Lookup(params, request.region)
    start, category = request.start, request.category
    rules = at("retirement_age", start)
    age = _age_rule(rules, category)
    reached = retirement(
        request.birth_month,
        category,
        age,
        rules.version.effective_from,
        request.retire_early_months,
        request.retire_late_months,
        _count(rules, "flexible_early_max_months"),
        _count(rules, "flexible_late_max_months"),
    )
    statutory_month = request.birth_month + reached.statutory_age
    if reached.month <= start:
        raise QuoteError(
            "birth_month",
            f"按出生年月和人员类别，退休月份为{reached.month}（{age_words(reached.age)}），不晚于测算起始月份{start}："
            "本估算适用于尚未退休的人员；已有个人缴费记录的，请用“经办核算”按记录计算。",
            "already_retired",
            422,
        )

    # The 计发基数 of the retirement month (issue 25): the figure published for it where the store holds one, else
    # the latest before it, provisionally (预发, 暂按上年度标准); never the start month's when a later one applies.
    calc = at("pension_calc_base", reached.month)
    # What the chosen tier costs today, priced by the contribution engine (same versions, same rounding).
    try:
        quote = price(
            params, QuoteRequest(request.region, "flexible_pension", start, start, base_ratio=request.base_ratio)
        )
    except QuoteError as error:
        if error.code == NO_AVERAGE:  # a ratio tier of a notice without an average: the index needs it too
            raise no_average_index(params, request.region, start, at("avg_wage", start, "flexible_pension")) from None
        if error.code != "not_configured":
            raise
        raise QuoteError("region", error.message, error.code, error.status) from None
    for resolved in quote.used:
        at.note(resolved)
    line = quote.lines[0]
    assert line.base is not None
    scheme = at("flexible_pension", start)
    avg = at("avg_wage", start, "flexible_pension")
    avg_wage = avg.version.decimal("avg_wage_monthly")
    if avg_wage is None:  # the published ends price 60% and 300%, but no index is known without the average
        raise no_average_index(params, request.region, start, avg)
    future_index = line.base / avg_wage  # a flexible worker's index: the base over the average behind it

    calc_base = calc.version.decimal("calc_base_monthly")
    assert calc_base is not None
    assumptions = request.assumptions
    balance0 = request.account_balance or ZERO
    rate, personal = scheme.version.decimal("rate"), scheme.version.decimal("personal_account_rate")
    assert rate is not None and personal is not None
    projection = project(
        start,
        reached.month,
        line.base,
        rate,
        personal,
        balance0,
        calc_base,
        assumptions,
        lambda month: rule_for("flexible_pension", month),
        calc.version.contribution_year,
    )
    months = request.paid_months + projection.months
    minimum = rule_for("minimum_contribution", reached.month)(
        read_table(str(at("pension_min_contribution", reached.month).version.values["months_by_retirement_year"])),
        reached.month.year,
    )
    assert isinstance(minimum, int)
    if request.retire_early_months and months < minimum:
        raise QuoteError(
            "retire_early_months",
            f"弹性提前退休须先达到最低缴费年限（办法第三条）：提前到{reached.month}时共缴费{years_words(months)}，"
            f"不足{years_words(minimum)}。",
            "minimum_not_reached",
            422,
        )
    paid_index = request.paid_average_index if request.paid_average_index is not None else future_index
    index = average_index(request.paid_months, paid_index, projection.months, future_index)
    # the same rules as a clerk's record (calc.record): the region's precision and rounding, the national table
    national = _Lookup(params, NATIONAL)
    parts = pension_parts(
        at,
        national,
        reached.month,
        projection.calc_base,
        index,
        months,
        None,
        projection.balance,
        reached.age,
        "birth_month",
    )
    for resolved in national.used.values():
        at.note(resolved)
    payout, basic, account = parts.payout, parts.basic, parts.account
    return Estimate(
        request=request,
        retirement=reached,
        statutory_month=statutory_month,
        minimum_months=minimum,
        months_by_retirement=months,
        future_months=projection.months,
        base=line.base,
        monthly_contribution=projection.first_month,
        contributions=projection.contributions,
        future_index=future_index,
        average_index=index,
        calc_base=projection.calc_base,
        calc_base_year=calc.version.contribution_year,
        balance=projection.balance,
        payout=payout,
        basic=basic,
        account=account,
        payback=payback_years(projection.contributions, basic + account),
        provisional=calc.provisional or quote.provisional,
        assumptions=_assumptions(request, calc),
        notes=_notes(request, calc, payout, reached, months, minimum, list(at.used.values()))
        + parts_notes(parts, index),
        used=list(at.used.values()),
    )


def no_average_index(params: Parameters, region: str, start: Month, avg: Resolved) -> QuoteError:
    """Why no pension is estimated where the month's notice gave a floor and a ceiling but no average wage.

    A flexible worker's index is the base over the average wage behind it; the ends are not 60% and 300% of
    any published average (many floors are not), so none is derived from them (issue 19, defect 2: a 500).
    """
    floor, ceiling = avg.version.decimal("base_floor_monthly"), avg.version.decimal("base_ceiling_monthly")
    ends = "缴费基数上下限"
    if floor is not None and ceiling is not None:
        ends += f"（{floor}元至{ceiling}元）"
    return QuoteError(
        "start",
        f"{params.regions[region].name}{start}适用的通知只公布了{ends}，未公布全口径城镇单位就业人员平均工资，"
        "无法计算缴费指数（缴费基数÷平均工资），本服务不作养老金估算。"
        "可改用已公布平均工资年度的起始月份；已有缴费记录的，请用“经办核算”按记录计算。",
        NO_AVERAGE,
        422,
    )


def _assumptions(request: EstimateRequest, calc: Resolved) -> list[Assumption]:
    a = request.assumptions
    items = [
        Assumption(
            "account_interest_rate",
            "个人账户记账利率（每年）",
            percent(a.account_interest_rate),
            "假设。记账利率由国家每年公布，以后各年无法预知；默认0，与工资增长率0一起，即全部按今天的钱计算。",
        ),
        Assumption(
            "wage_growth",
            "平均工资年增长率",
            percent(a.wage_growth),
            "假设。默认0：缴费基数和计发基数保持今天的水平，结果是今天的钱，不是对将来的预测。",
        ),
    ]
    if calc.provisional:  # the retirement year's own figure is not held yet (one that is held is no assumption)
        items.append(
            Assumption(
                "calc_base",
                "退休当年的计发基数",
                f"按{calc.version.contribution_year}年公布值",
                "假设。退休当年的计发基数届时才公布；按已公布的最近一年数值"
                + ("和上面的增长率推算。" if a.wage_growth else "计算（今天的钱）。"),
            )
        )
    if request.paid_months and request.paid_average_index is None:
        items.append(
            Assumption(
                "paid_average_index",
                "已缴月份的平均缴费指数",
                "按所选档次",
                "假设。未填写已缴月份的平均缴费指数，按所选档次的指数计算；请以社保记录为准。",
            )
        )
    if request.paid_months and request.account_balance is None:
        items.append(
            Assumption(
                "account_balance",
                "目前的个人账户储存额",
                "0元",
                "未填写：已缴月份计入个人账户的部分未计入个人账户养老金，结果偏低；请以社保记录为准。",
            )
        )
    return items


def _notes(
    request: EstimateRequest,
    calc: Resolved,
    payout: PayoutMonths,
    reached: Retirement,
    months: int,
    minimum: int,
    used: list[Resolved],
) -> list[str]:
    notes = [TRANSITIONAL_NOTE]
    if months < minimum:
        notes.append(
            f"到{reached.month}退休时累计缴费{years_words(months)}，不足{reached.month.year}年退休的最低缴费年限"
            f"{years_words(minimum)}（差{minimum - months}个月）：不能按月领取基本养老金，可按规定延长缴费或一次性"
            "缴费补足（渐进式延迟法定退休年龄办法第二条）。表中养老金按补足前的年限计算，仅供比较。"
        )
    if calc.provisional:
        notes.append(
            f"{calc.version.contribution_year}年以后的计发基数尚未收录，按{calc.version.contribution_year}年数值计算"
            "（暂按上年度标准）。"
        )
    said = payout_note(payout, reached.age)
    if said:
        notes.append(said)
    if any(r.version.trust != "official" for r in used):
        notes.append("部分参数未取自官方原文（可信度见参数来源），仅供测算参考，以经办机构核定为准。")
    return notes


def estimate_tiers(params: Parameters, request: EstimateRequest) -> list[Estimate]:
    """The same worker at every tier the scheme allows (60% … 300%)."""
    validate(params, request)
    at = _Lookup(params, request.region)
    scheme = at("flexible_pension", request.start)
    floor, ceiling = scheme.version.decimal("base_ratio_floor"), scheme.version.decimal("base_ratio_ceiling")
    assert floor is not None and ceiling is not None
    return [estimate(params, replace(request, base_ratio=ratio)) for ratio in tier_ratios(floor, ceiling)]
