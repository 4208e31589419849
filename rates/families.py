"""The parameter families: what each versioned set of figures holds and which values are sane.

A family is versioned on its own: the medical figures of a city may change on another date than
its pension figures. Field kinds tell the loader how to read and check each value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

# The one import of calc by rates (issue 20): the medical rule shapes are calc's classes, and a version's
# basis names one of them. calc.medical.shapes reads nothing of this module, so the direction stays one.
from calc.medical.shapes import SHAPES


class Kind(Enum):
    MONEY = "money"  # yuan, at most two decimals, >= 0
    RATIO = "ratio"  # a dimensionless decimal within the field's bounds
    CHOICE = "choice"  # one of a fixed set of words
    COUNT = "count"  # a whole number (years, months) within the field's bounds
    # A small table (an age -> payout months, a retirement year -> minimum months): held as its
    # canonical text "60=139; 60-01=138.4" so that it is stored, exported and compared like any
    # other value; rates.tables reads and writes it.
    TABLE = "table"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    label: str  # what users read
    required: bool = True
    low: Decimal | None = None  # inclusive
    high: Decimal | None = None  # inclusive
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()  # what users read for each choice, in the same order
    key_pattern: str | None = None  # TABLE: the form every key must have (a regular expression)
    key_label: str = ""  # TABLE: what a key is, for people (e.g. 退休年龄)


@dataclass(frozen=True)
class Family:
    name: str
    label: str
    fields: tuple[Field, ...]
    # A yearly family is republished every contribution year; using last year's version for a
    # year that has none yet makes the result provisional (暂按上年度标准).
    yearly: bool

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


ZERO, ONE = Decimal(0), Decimal(1)
# Base ratios are multiples of the average wage; 5 is far above any published ceiling (300%).
MAX_BASE_RATIO = Decimal(5)

BASE_ROUNDING_RULES = ("half_up_yuan", "down_yuan", "up_yuan", "half_up_fen")
# Issue 22: the province's 缴费年限 precision, the rounding of each pension part, and the 计发月数 of an age
# with months; calc.pension and calc.rounding implement each word.
YEARS_PRECISIONS = ("exact_months", "round_2", "up_2", "round_4", "half_year_up")
PART_ROUNDINGS = ("half_up_fen", "up_jiao")
PAYOUT_BETWEEN_AGES = ("whole_year", "monthly_tenth")
INDEX_BASE_CHOICES = ("sheet_calc_base", "local_calc_base", "province_calc_base")
# 过渡性养老金 (issue 22): which wage the province's document multiplies, and which years it counts
TRANSITIONAL_WAGES = ("indexed_wage", "mean_of_base_and_indexed_wage")
TRANSITIONAL_YEARS = ("sight_before_account", "before_account", "before_1996", "before_1995_07", "before_1998")
# What users read for every word-valued figure (a rounding rule, a medical basis): pages, admin form,
# exports. The one place that names them (a medical basis by its shape's label, calc.medical.shapes).
CHOICE_LABELS = {
    "half_up_yuan": "四舍五入到元",
    "down_yuan": "舍去角分（向下取整到元）",
    "up_yuan": "角分进位（向上取整到元）",
    "half_up_fen": "四舍五入到分",
    **{name: shape.label for name, shape in SHAPES.items()},
    "province": "全省（区、市）平均工资",
    "exact_months": "按缴费月数精确计算（月数÷12，不取整）",
    "round_2": "折算为年后四舍五入保留两位小数",
    "up_2": "折算为年后保留两位小数，第三位有数即进位",
    "round_4": "折算为年后四舍五入保留四位小数",
    "half_year_up": "不足半年按半年、超过半年按一年计算",
    "up_jiao": "见分进角（保留一位小数，分位有数即进位）",
    "whole_year": "按已满整岁的计发月数",
    "monthly_tenth": "按相邻整岁计发月数逐月均分，保留一位小数",
    "sheet_calc_base": "计发基数 × 平均缴费指数",
    "local_calc_base": "退休地（统筹地区）计发基数 × 平均缴费指数（另有全省计发基数）",
    "province_calc_base": "全省计发基数 × 平均缴费指数（计发基数为市县计发基数）",
    "pooling_area": "统筹地区平均工资",
    "indexed_wage": "计发基数 × 过渡性养老金所用平均缴费指数（本人指数化月平均缴费工资）",
    "mean_of_base_and_indexed_wage": "（计发基数 + 计发基数 × 平均缴费指数）÷ 2",
    "sight_before_account": "建立个人账户前的视同缴费年限",
    "before_account": "建立个人账户前的缴费年限（含视同缴费年限）",
    "before_1996": "1995年底前的缴费年限（含视同缴费年限）",
    "before_1995_07": "1995年6月底前未建立个人账户的累计缴费年限",
    "before_1998": "1997年底前的缴费年限（含视同缴费年限和实际缴费年限）",
}
MEDICAL_SHAPE_FIELDS = (
    Field(
        "supplementary_rate",
        Kind.RATIO,
        "附加缴费比例（单独计算，如大病医疗互助补充保险）",
        required=False,
        low=ZERO,
        high=ONE,
    ),
    Field(
        "base_ratio", Kind.RATIO, "缴费基数占上年度全省月平均工资比例", required=False, low=ZERO, high=MAX_BASE_RATIO
    ),
    Field("base_floor_monthly", Kind.MONEY, "缴费基数下限（公布值）", required=False),
    Field("base_ceiling_monthly", Kind.MONEY, "缴费基数上限（公布值）", required=False),
    Field("monthly_amount", Kind.MONEY, "每月固定缴费额", required=False),
    Field("tier1_yearly", Kind.MONEY, "一档年缴费标准（元/年·人）", required=False),
    Field("tier2_yearly", Kind.MONEY, "二档年缴费标准（元/年·人）", required=False),
)

# Issue 11, the pension estimate: the benefit rules of 国发〔2005〕38号 and the 2024 decision on the
# statutory retirement age. National families live at 000000; pension_calc_base per province.
AGE_KEY = r"^\d{2}(-(0[1-9]|1[01]))?$"  # 60 (years) or 60-01 (60 years and 1 month)
YEAR_KEY = r"^\d{4}$"
RETIREMENT_CATEGORIES = ("male", "female_55", "female_50")
_AGE_LOW, _AGE_HIGH = Decimal(16), Decimal(70)


def _choice(name: str, label: str, choices: tuple[str, ...], required: bool = True) -> Field:
    """A rule field chosen among named ways (``CHOICE_LABELS`` says each in Chinese)."""
    return Field(
        name,
        Kind.CHOICE,
        label,
        required=required,
        choices=choices,
        choice_labels=tuple(CHOICE_LABELS[c] for c in choices),
    )


def _retirement_fields() -> tuple[Field, ...]:
    labels = {"male": "男职工", "female_55": "女职工（原55岁）", "female_50": "女职工（原50岁）"}
    fields: list[Field] = []
    for category, label in labels.items():
        fields += [
            Field(f"{category}_original_age", Kind.COUNT, f"{label}原法定退休年龄（岁）", low=_AGE_LOW, high=_AGE_HIGH),
            Field(f"{category}_target_age", Kind.COUNT, f"{label}延迟后退休年龄（岁）", low=_AGE_LOW, high=_AGE_HIGH),
            Field(f"{category}_step", Kind.COUNT, f"{label}每几个月出生月份延迟一个月", low=ONE, high=Decimal(12)),
        ]
    return (
        *fields,
        Field("flexible_early_max_months", Kind.COUNT, "弹性提前退休最长（月）", low=ZERO, high=Decimal(120)),
        Field("flexible_late_max_months", Kind.COUNT, "弹性延迟退休最长（月）", low=ZERO, high=Decimal(120)),
    )


PENSION_FAMILIES = (
    Family(
        "pension_calc_base",
        "基本养老金计发基数",
        (Field("calc_base_monthly", Kind.MONEY, "计发基数（元/月）"),),
        yearly=True,
    ),
    Family(
        "pension_payout_months",
        "个人账户养老金计发月数表",
        (
            Field(
                "months_by_age",
                Kind.TABLE,
                "计发月数（按退休年龄）",
                low=ONE,
                high=Decimal(400),
                key_pattern=AGE_KEY,
                key_label="退休年龄（岁或岁-月）",
            ),
        ),
        yearly=False,
    ),
    Family("retirement_age", "法定退休年龄（渐进式延迟）", _retirement_fields(), yearly=False),
    # Issue 22: how the 经办机构 turn the record into the pension, per province (national default at 000000).
    Family(
        "pension_benefit_rules",
        "基本养老金计发口径（年限精度、取整）",
        (
            _choice("years_precision", "缴费年限精度（由缴费月数折算）", YEARS_PRECISIONS),
            _choice("part_rounding", "各项养老金取整", PART_ROUNDINGS),
            # national only: ages with months (2025-01 on) between the whole-year figures of the table
            _choice("payout_between_ages", "非整岁退休的计发月数", PAYOUT_BETWEEN_AGES, required=False),
            # 上海 (沪人社规〔2021〕27号): the basic part to the 角 while the sheets print the account to the fen
            _choice("basic_rounding", "基础养老金取整（与各项不同时）", PART_ROUNDINGS, required=False),
            # 上海: months past the whole years at a rate of their own (0.083% a month)
            Field(
                "remainder_month_rate",
                Kind.RATIO,
                "满整年后剩余月数每月计发比例（不按月数÷12折算）",
                required=False,
                low=ZERO,
                high=Decimal("0.01"),
            ),
            # 河南, 吉林: the indexed wage on another 计发基数 than the one the sheet names first
            _choice("index_base", "本人指数化月平均缴费工资所用基数", INDEX_BASE_CHOICES, required=False),
            # 广东: below this average index the 计发基数 term is 计发基数 × a, a = 指数 ÷ this (核定表所印 P×a)
            Field(
                "low_index_threshold",
                Kind.RATIO,
                "平均缴费指数低于此值时，计发基数一项乘以 a = 平均缴费指数 ÷ 此值",
                required=False,
                low=ZERO,
                high=ONE,
            ),
            # 过渡性养老金 = the wage × the years counted × this rate; a region without it is not covered (未覆盖)
            Field(
                "transitional_rate",
                Kind.RATIO,
                "过渡性养老金过渡系数（每年）",
                required=False,
                low=ZERO,
                high=Decimal("0.05"),
            ),
            _choice("transitional_wage", "过渡性养老金计发基数口径", TRANSITIONAL_WAGES, required=False),
            _choice("transitional_years", "参与过渡性养老金计算的年限", TRANSITIONAL_YEARS, required=False),
            # 江苏 (苏人社发〔2024〕4号): the excess of the new method over the old one, paid by a share each year
            Field(
                "transitional_phase_in",
                Kind.TABLE,
                "新办法高于原办法部分的发放比例（按发放年度）",
                required=False,
                low=ZERO,
                high=ONE,
                key_pattern=YEAR_KEY,
                key_label="发放年度（自该年起）",
            ),
        ),
        yearly=False,
    ),
    Family(
        "pension_min_contribution",
        "按月领取基本养老金最低缴费年限",
        (
            Field(
                "months_by_retirement_year",
                Kind.TABLE,
                "最低缴费月数（按退休年份）",
                low=ONE,
                high=Decimal(600),
                key_pattern=YEAR_KEY,
                key_label="退休年份（自该年起）",
            ),
        ),
        yearly=False,
    ),
)

# Issue 24, the outlet rule of 人社厅发〔2021〕101号 in every province: per courier-month, the average wage of
# the named scope x base ratio x the industry rate x the outlet's float. Each value from the version's document.
OUTLET_SCOPES = ("province", "pooling_area")
FLOAT_KEY = r"^\d{1,3}$"  # a float as the document words it: 浮动至120% -> "120" = 1.2
MAX_FLOAT = Decimal(3)
OUTLET_FIELDS = (
    # the label clerks and tests read since issue 3; with a base ratio below 1 it is the rate on that base
    Field("ratio", Kind.RATIO, "每人每月缴费占月平均工资比例", low=ZERO, high=ONE),
    Field("base_ratio", Kind.RATIO, "缴费基数占月平均工资比例（未写为100%）", required=False, low=ZERO, high=ONE),
    Field(
        "avg_wage_scope",
        Kind.CHOICE,
        "平均工资口径",
        required=False,
        choices=OUTLET_SCOPES,
        choice_labels=(
            "全省（区、市）上年全口径城镇单位就业人员月平均工资",
            "统筹地区上年全口径城镇单位就业人员月平均工资",
        ),
    ),
    Field(
        "floats",
        Kind.TABLE,
        "允许的浮动档次（仅限所列档次）",
        required=False,
        low=ZERO,
        high=MAX_FLOAT,
        key_pattern=FLOAT_KEY,
        key_label="浮动后占基准费率百分比",
    ),
    Field("float_low", Kind.RATIO, "浮动系数下限", required=False, low=ZERO, high=MAX_FLOAT),
    Field("float_high", Kind.RATIO, "浮动系数上限", required=False, low=ZERO, high=MAX_FLOAT),
)


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "avg_wage",
            "上年度全省全口径城镇单位就业人员月平均工资",
            (
                # optional: some notices publish the floor and ceiling but no average (浙江2025); the
                # loader then requires both, and ratio tiers between them are not priced
                Field("avg_wage_monthly", Kind.MONEY, "月平均工资", required=False),
                Field("base_floor_monthly", Kind.MONEY, "缴费基数下限（公布值）", required=False),
                Field("base_ceiling_monthly", Kind.MONEY, "缴费基数上限（公布值）", required=False),
            ),
            yearly=True,
        ),
        Family(
            "flexible_pension",
            "灵活就业人员企业职工基本养老保险",
            (
                Field("rate", Kind.RATIO, "缴费比例", low=ZERO, high=ONE),
                Field("personal_account_rate", Kind.RATIO, "计入个人账户比例", low=ZERO, high=ONE),
                Field("base_ratio_floor", Kind.RATIO, "缴费基数下限比例", low=ZERO, high=MAX_BASE_RATIO),
                Field("base_ratio_ceiling", Kind.RATIO, "缴费基数上限比例", low=ZERO, high=MAX_BASE_RATIO),
            ),
            yearly=False,
        ),
        Family(
            "flexible_medical",
            "灵活就业人员职工基本医疗保险",
            (
                # Which fields a version needs depends on its basis, a shape of calc.medical (rates.loader
                # checks the shape's needs); a version without a basis is the original shape, "ratio_range".
                Field(
                    "basis",
                    Kind.CHOICE,
                    "计费方式",
                    required=False,
                    choices=tuple(SHAPES),
                    choice_labels=tuple(shape.label for shape in SHAPES.values()),
                ),
                Field("rate", Kind.RATIO, "缴费比例", required=False, low=ZERO, high=ONE),
                Field("personal_account_rate", Kind.RATIO, "计入个人账户比例", required=False, low=ZERO, high=ONE),
                Field(
                    "base_ratio_floor", Kind.RATIO, "缴费基数下限比例", required=False, low=ZERO, high=MAX_BASE_RATIO
                ),
                Field(
                    "base_ratio_ceiling", Kind.RATIO, "缴费基数上限比例", required=False, low=ZERO, high=MAX_BASE_RATIO
                ),
                Field("fixed_monthly", Kind.MONEY, "每月固定附加费（如大额医疗）", required=False),
                *MEDICAL_SHAPE_FIELDS,
            ),
            yearly=False,
        ),
        Family(
            "outlet_injury",
            "基层快递网点工伤保险",
            OUTLET_FIELDS,
            yearly=False,
        ),
        Family(
            "resident_medical",
            "城乡居民基本医疗保险个人缴费",
            (Field("yearly_amount", Kind.MONEY, "年度个人缴费标准"),),
            yearly=True,
        ),
        Family(
            "base_rounding",
            "缴费基数取整规则",
            (Field("rule", Kind.CHOICE, "取整规则", choices=BASE_ROUNDING_RULES),),
            yearly=False,
        ),
        *PENSION_FAMILIES,
    )
}

TRUST_LEVELS = ("official", "medium", "low")
TRUST_LABELS = {"official": "官方原文", "medium": "较可靠", "low": "待核实"}

# How a figure reached us is said in its reference's source line. 官方原文 (official) means the notice's
# own text was read; a figure that reached us only through a compilation quoting it (据公开汇编转引) is at
# best 较可靠, however faithful the quote: the label must not claim more than the source line does.
# And 官方原文 is shown only where the service holds that text (issue 25): the verbatim sentence and the
# page it was read on, kept with a reference (rates.excerpts); without it a claim is at most 较可靠.
COMPILED_SOURCE_WORDS = ("转引", "汇编", "转述", "compilation", "compiled")


def compiled_only(sources: Sequence[str | None]) -> bool:
    """Whether every source line names only compilations (each of its parts, split at ；): no reference is
    the document itself or a government page reprinting it."""
    if not sources or any(source is None for source in sources):
        return False
    return all(
        any(word in part.lower() for word in COMPILED_SOURCE_WORDS)
        for source in sources
        for part in str(source).split("；")
        if part.strip() and not part.strip().startswith("另见")  # "see also" adds a place, not the basis
    )


def trust_allowed(trust: str, sources: Sequence[str | None], *, held: bool) -> str:
    """The trust a version may claim with these source lines and held text: official lowered to medium when
    only compiled, or when the notice's verbatim text is not held."""
    if trust == "official" and (compiled_only(sources) or not held):
        return "medium"
    return trust
