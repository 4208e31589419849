"""The basic pension at retirement, and what a flexible worker's contributions add up to by then.

Rules of 国发〔2005〕38号 (第六条): 基础养老金 = 计发基数 × (1 + 本人平均缴费指数) ÷ 2 × 缴费年限 × 1%;
个人账户养老金 = 个人账户储存额 ÷ 计发月数. Each part is rounded once, to the fen. 过渡性养老金 (for
years before personal accounts) is set by each province: ``transitional_pension`` computes it where the
region's benefit rules hold the province's formula (record mode only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from calc.rounding import round_part, to_factor, to_fen, to_tenth
from calc.rules import Split, rule
from rates.months import Month

ZERO = Decimal(0)
ONE = Decimal(1)


@rule("basic_pension", since="2006-01")
def basic_pension(calc_base: Decimal, average_index: Decimal, contribution_months: int) -> Decimal:
    """计发基数 × (1 + 平均缴费指数) ÷ 2 × 缴费年限 × 1%, to the fen (国发〔2005〕38号第六条)."""
    # one division at the end: ÷ 2, ÷ 12 (months to years) and × 1% together are ÷ 2400
    return to_fen(calc_base * (ONE + average_index) * contribution_months / 2400)


@dataclass(frozen=True)
class TransitionalRule:
    """A province's 过渡性养老金 (rates: pension_benefit_rules, transitional_*)."""

    rate: Decimal  # 过渡系数 per year counted (1.0% … 1.4%)
    wage: str  # indexed_wage | mean_of_base_and_indexed_wage (rates.families.TRANSITIONAL_WAGES)
    years: str  # which years the document counts (rates.families.TRANSITIONAL_YEARS)
    phase_in: tuple[tuple[int, Decimal], ...] = ()  # 江苏: (year from, share of the new method's excess paid)


@dataclass(frozen=True)
class BenefitRules:
    """How a province turns the record into the pension (rates: pension_benefit_rules)."""

    years_precision: str = "exact_months"
    part_rounding: str = "half_up_fen"
    payout_between_ages: str = "whole_year"
    basic_rounding: str | None = None  # 基础养老金 rounded otherwise than the other parts (上海: 见分进角)
    remainder_month_rate: Decimal | None = None  # 上海: each month past the whole years at this rate, not ÷ 12 × 1%
    index_base: str = "sheet_calc_base"  # which 计发基数 the index multiplies (INDEX_BASES)
    low_index_threshold: Decimal | None = None  # 广东: below it the 计发基数 term is 计发基数 × a (base_factor)
    transitional: TransitionalRule | None = None  # None: the province's 过渡性养老金 is not held (未覆盖)


@dataclass(frozen=True)
class IndexBase:
    label: str  # what users read: the base a record gives as ``index_base``
    required: bool  # a record without it (and without a printed indexed wage) cannot be computed


# 本人指数化月平均缴费工资 = 平均缴费指数 × which 计发基数: the sheet's own (国发〔2005〕38号第六条), 河南's pooling
# area (the index is taken against the area's wages, 豫劳社养发〔2006〕26号), or 吉林's province (长春 pays on
# its own base, the index on the province's; elsewhere in 吉林 both are the same figure, so it may be left out).
INDEX_BASES = {
    "sheet_calc_base": IndexBase("计发基数", False),
    "local_calc_base": IndexBase("退休地（统筹地区）计发基数", True),
    "province_calc_base": IndexBase("全省计发基数", False),
}


def indexed_wage(calc_base: Decimal, average_index: Decimal, index_base: Decimal | None) -> Decimal:
    """本人指数化月平均缴费工资 = 平均缴费指数 × the base the province indexes by (国发〔2005〕38号第六条)."""
    return average_index * (index_base if index_base is not None else calc_base)


def base_factor(average_index: Decimal, threshold: Decimal | None) -> Decimal:
    """广东's a: 1, or 平均缴费指数 ÷ the threshold (0.6) where the index is below it, to four decimals.

    The 广东 核定表 print 基础养老金 = (P × a + Q) ÷ 2 × 累计缴费年限 × 1%; a = 指数 ÷ 0.6 and its precision are
    据核定表推定 (江门, 中山, 惠州 sheets 2024-2026; the rule's 文号 was not found)."""
    if threshold is None or average_index >= threshold:
        return ONE
    return to_factor(average_index / threshold)


HALF_YEAR_MONTHS = 6
_YEARS_PLACES = {"round_2": (Decimal("0.01"), ROUND_HALF_UP), "up_2": (Decimal("0.01"), ROUND_CEILING)}
_YEARS_PLACES["round_4"] = (Decimal("0.0001"), ROUND_HALF_UP)


def contribution_years(months: int, precision: str) -> Decimal | None:
    """缴费年限 from months by the province's precision (None: exact, months ÷ 12 unrounded), 各省计发办法."""
    if precision == "exact_months":
        return None
    if precision == "half_year_up":  # 不足半年按半年、超过半年按一年
        return Decimal(-(-months // HALF_YEAR_MONTHS)) / 2
    places, mode = _YEARS_PLACES[precision]
    return (Decimal(months) / 12).quantize(places, rounding=mode)


def whole_years_and_months_rate(months: int, month_rate: Decimal) -> Decimal:
    """整年 × 1% + 满整年后的剩余月数 × ``month_rate`` (沪人社规〔2021〕27号第一条: 0.083% a month)."""
    whole, rest = divmod(months, 12)
    return whole * Decimal("0.01") + rest * month_rate


def basic_pension_by_rules(
    calc_base: Decimal,
    indexed_wage: Decimal,
    months: int,
    years: Decimal | None,
    rules: BenefitRules,
    factor: Decimal = ONE,
) -> Decimal:
    """(计发基数 + 本人指数化月平均缴费工资) ÷ 2 × 缴费年限 × 1%, by the province's rules (国发〔2005〕38号第六条).

    ``years`` is the 缴费年限 as a sheet prints it; without it the months give it by the province's precision.
    Where the months past the whole years have a rate of their own (上海), printed years are taken back to
    whole months (a 上海 sheet prints 年 and 月). ``factor`` is 广东's a on the 计发基数 term (``base_factor``).
    """
    total = calc_base * factor + indexed_wage
    rounding = rules.basic_rounding or rules.part_rounding
    if rules.remainder_month_rate is not None:
        counted = months if years is None else int((years * 12).quantize(ONE, rounding=ROUND_HALF_UP))
        return round_part(total / 2 * whole_years_and_months_rate(counted, rules.remainder_month_rate), rounding)
    years = years if years is not None else contribution_years(months, rules.years_precision)
    # exact months: one division at the end (÷ 2, ÷ 12 and × 1% together are ÷ 2400)
    amount = total * months / 2400 if years is None else total * years / 200
    return round_part(amount, rounding)


def transitional_wage(calc_base: Decimal, index: Decimal, wage: str, indexed: Decimal | None = None) -> Decimal:
    """The wage 过渡性养老金 is a share of: the indexed wage, or its mean with the 计发基数 (川劳社发〔2006〕17号)."""
    own = indexed if indexed is not None else indexed_wage(calc_base, index, None)
    return own if wage == "indexed_wage" else (calc_base + own) / 2


def transitional_pension(wage: Decimal, years: Decimal, rule: TransitionalRule, rounding: str) -> Decimal:
    """过渡性养老金 = 计发基数口径 × 过渡年限 × 过渡系数, by the province's document (e.g. 新政发〔2006〕59号)."""
    return round_part(wage * years * rule.rate, rounding)


def phased_in(new: Decimal, old: Decimal, share: Decimal, rounding: str) -> Decimal:
    """原办法 + (新办法 − 原办法) × 当年发放比例, or the old amount where it is higher (苏人社发〔2024〕4号)."""
    return old if new <= old else round_part(old + (new - old) * share, rounding)


def share_in(phase_in: tuple[tuple[int, Decimal], ...], year: int) -> Decimal | None:
    """The share in force in ``year`` of a phase-in keyed by the year each applies from (None before the first)."""
    found = [share for since, share in sorted(phase_in) if since <= year]
    return found[-1] if found else None


def account_pension_by_rules(balance: Decimal, payout: Decimal, rules: BenefitRules) -> Decimal:
    """个人账户储存额 ÷ 计发月数, rounded by the province's rule (国发〔2005〕38号第六条)."""
    return round_part(balance / payout, rules.part_rounding)


@rule("account_pension", since="2006-01")
def account_pension(balance: Decimal, payout_months: Decimal) -> Decimal:
    """个人账户储存额 ÷ 计发月数, to the fen (国发〔2005〕38号第六条)."""
    return to_fen(balance / payout_months)


@dataclass(frozen=True)
class PayoutMonths:
    months: Decimal
    key: str  # the table entry used ("60" or "60-01")
    exact: bool  # False: an age with months the table does not hold, taken at its whole years
    between: bool = False  # an age with months, shared out between the whole-year figures (monthly_tenth)


def age_key(age_months: int) -> str:
    years, rest = divmod(age_months, 12)
    return f"{years}-{rest:02d}" if rest else str(years)


def payout_months(table: dict[str, Decimal], age_months: int, between: str = "whole_year") -> PayoutMonths | None:
    """The 计发月数 for a retirement age; an age with months not in the table is taken at its whole years,
    or with ``monthly_tenth`` (到月的月数表, 2025-01 on) shared out month by month between them, to 0.1."""
    key = age_key(age_months)
    if key in table:
        return PayoutMonths(table[key], key, True)
    years, rest = divmod(age_months, 12)
    whole, following = str(years), str(years + 1)
    if between == "monthly_tenth" and whole in table and following in table:
        step = (table[whole] - table[following]) * rest / 12
        return PayoutMonths(to_tenth(table[whole] - step), key, True, between=True)
    if whole in table:
        return PayoutMonths(table[whole], whole, False)
    return None


@dataclass(frozen=True)
class Assumptions:
    """What nobody can know in advance, chosen by the user; the defaults keep today's money."""

    account_interest_rate: Decimal = ZERO  # 个人账户记账利率, per year
    wage_growth: Decimal = ZERO  # growth per year of average wages, bases and the 计发基数


@dataclass(frozen=True)
class Projection:
    months: int  # contribution months from the start to the month before retirement
    contributions: Decimal  # what the worker pays in those months
    balance: Decimal  # the personal account at retirement
    calc_base: Decimal  # the 计发基数 in the year of retirement
    first_month: Decimal  # the first month's contribution


def grown(amount: Decimal, growth: Decimal, years: int) -> Decimal:
    """An amount after ``years`` of growth, to the fen (today's money when growth is 0)."""
    return amount if not growth or years <= 0 else to_fen(amount * (ONE + growth) ** years)


def project(
    start: Month,
    retirement: Month,
    base: Decimal,
    rate: Decimal,
    personal_account_rate: Decimal,
    balance: Decimal,
    calc_base: Decimal,
    assumptions: Assumptions,
    contribution_rule: Callable[[Month], Callable[..., object]],
    calc_base_year: int | None = None,
) -> Projection:
    """Every month from ``start`` to the month before retirement, priced by the rule in force.

    The base (and the 计发基数, from ``calc_base_year`` when later than the start) grow by the assumed wage growth
    each January; interest is credited
    each January on the balance of the year before (the year's own credits earn from the next year).
    With the defaults (no growth, no interest) every figure stays in today's money.
    """
    contributions = ZERO
    months = 0
    first = ZERO
    current = base
    priced: dict[tuple[object, Decimal], Split] = {}
    for month in start.until(retirement + (-1)) if start < retirement else ():
        if month.month == 1 and month != start:
            balance = to_fen(balance * (ONE + assumptions.account_interest_rate))
            current = grown(base, assumptions.wage_growth, month.year - start.year)
        function = contribution_rule(month)
        split = priced.get((function, current))
        if split is None:  # months under the same rule and base price alike: compute each once
            made = function(current, rate, personal_account_rate)
            assert isinstance(made, Split)
            split = priced[(function, current)] = made
        if not months:
            first = split.amount
        contributions += split.amount
        balance += split.parts["personal_account"]
        months += 1
    if retirement.month == 1 and retirement.year > start.year and months:
        # retiring in January: that January still credits the interest of the year before
        balance = to_fen(balance * (ONE + assumptions.account_interest_rate))
    # the 计发基数 grows from today, or from its own year when that is later (a figure already published for the
    # year of retirement does not grow at all)
    since = max(start.year, calc_base_year or start.year)
    return Projection(
        months, contributions, balance, grown(calc_base, assumptions.wage_growth, retirement.year - since), first
    )


def average_index(paid_months: int, paid_index: Decimal, future_months: int, future_index: Decimal) -> Decimal:
    """The 本人平均缴费指数 over all months: each month weighs alike (国发〔2005〕38号第六条)."""
    total = paid_months + future_months
    if not total:
        return ZERO
    return (paid_index * paid_months + future_index * future_months) / total


def payback_years(contributions: Decimal, monthly_pension: Decimal) -> Decimal | None:
    """Years of pension that repay the contributions (contributions ÷ yearly pension), to one decimal."""
    if monthly_pension <= 0:
        return None
    return to_tenth(contributions / (monthly_pension * 12))
