"""When a worker retires: the statutory age by birth month and category, flexible early or late
retirement, and the minimum contribution years by retirement year.

Each rule is a small pure function citing its text (全国人民代表大会常务委员会关于实施渐进式延迟法定
退休年龄的决定, 2024-09-13, and its 办法); the figures (ages, pace, limits, the minimum years) come
from the parameter store, never from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from calc.lines import QuoteError
from calc.rules import rule, rule_for
from rates.months import Month

CATEGORIES: dict[str, str] = {
    "male": "男职工",
    "female_55": "女职工（原法定退休年龄55岁）",
    "female_50": "女职工（原法定退休年龄50岁）",
}


@dataclass(frozen=True)
class AgeRule:
    """One category's ages (in years) and pace, as the store holds them."""

    original_years: int
    target_years: int
    step: int  # birth months per month of delay


@rule("retirement_age", since="2025-01")
def statutory_age_months(birth: Month, age: AgeRule, reform_start: Month) -> int:
    """Statutory age in months: a month later per ``step`` birth months from the reform, to the target (办法第一条)."""
    original = age.original_years * 12
    first_cohort = reform_start + (-original)  # the first people whose original retirement month is the reform's
    if birth < first_cohort:
        return original
    delay = (birth.index() - first_cohort.index()) // age.step + 1
    return original + min(delay, (age.target_years - age.original_years) * 12)


def age_words(months: int) -> str:
    """An age in months as people say it: 720 -> 60岁, 721 -> 60岁1个月."""
    years, rest = divmod(months, 12)
    return f"{years}岁{rest}个月" if rest else f"{years}岁"


def years_words(months: int) -> str:
    """A contribution length in months as people say it: 186 -> 15年6个月."""
    years, rest = divmod(months, 12)
    return f"{years}年{rest}个月" if rest else f"{years}年"


@dataclass(frozen=True)
class Retirement:
    birth: Month
    category: str
    statutory_age: int  # months
    age: int  # months, after any flexible early or late retirement
    month: Month  # the month the age is reached

    @property
    def adjustment(self) -> int:
        return self.age - self.statutory_age


def retirement(
    birth: Month,
    category: str,
    age: AgeRule,
    reform_start: Month,
    early: int = 0,
    late: int = 0,
    early_max: int = 36,
    late_max: int = 36,
) -> Retirement:
    """The retirement age and month, with flexible early or late retirement within the limits of 办法第三条."""
    statutory = rule_for("retirement_age", reform_start)(birth, age, reform_start)
    assert isinstance(statutory, int)
    if early and late:
        raise QuoteError("retire_late_months", "提前退休和延迟退休只能选一项。", "conflict")
    for name, months, limit, word in (("early", early, early_max, "提前"), ("late", late, late_max, "延迟")):
        if months > limit:
            message = f"弹性{word}退休最长不超过{limit}个月（办法第三条）。"
            raise QuoteError(f"retire_{name}_months", message, "out_of_range")
    actual = statutory - early + late
    if early and actual < age.original_years * 12:
        raise QuoteError(
            "retire_early_months",
            f"弹性提前退休后的年龄不得低于原法定退休年龄{age.original_years}岁（办法第三条），"
            f"最多可提前{statutory - age.original_years * 12}个月。",
            "out_of_range",
        )
    return Retirement(birth, category, statutory, actual, birth + actual)


@rule("minimum_contribution", since="2025-01")
def minimum_months(table: dict[str, Decimal], retirement_year: int) -> int:
    """Months of contributions needed for a monthly pension in the year of retirement (办法第二条)."""
    years = [int(key) for key in table if int(key) <= retirement_year]
    if not years:
        raise QuoteError("birth_month", f"参数中没有{retirement_year}年退休的最低缴费年限。", "not_configured")
    return int(table[str(max(years))])
