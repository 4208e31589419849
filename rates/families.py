"""The parameter families: what each versioned set of figures holds and which values are sane.

A family is versioned on its own: the medical figures of a city may change on another date than
its pension figures. Field kinds tell the loader how to read and check each value.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum


class Kind(Enum):
    MONEY = "money"  # yuan, at most two decimals, >= 0
    RATIO = "ratio"  # a dimensionless decimal within the field's bounds
    CHOICE = "choice"  # one of a fixed set of words


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    label: str  # what users read
    required: bool = True
    low: Decimal | None = None  # inclusive
    high: Decimal | None = None  # inclusive
    choices: tuple[str, ...] = ()


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
# What users read for each choice (pages, admin form, exports): the one place that names them.
CHOICE_LABELS = {
    "half_up_yuan": "四舍五入到元",
    "down_yuan": "舍去角分（向下取整到元）",
    "up_yuan": "角分进位（向上取整到元）",
    "half_up_fen": "四舍五入到分",
}

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "avg_wage",
            "上年度全省全口径城镇单位就业人员月平均工资",
            (
                Field("avg_wage_monthly", Kind.MONEY, "月平均工资"),
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
                Field("rate", Kind.RATIO, "缴费比例", low=ZERO, high=ONE),
                Field("personal_account_rate", Kind.RATIO, "计入个人账户比例", low=ZERO, high=ONE),
                Field("base_ratio_floor", Kind.RATIO, "缴费基数下限比例", low=ZERO, high=MAX_BASE_RATIO),
                Field("base_ratio_ceiling", Kind.RATIO, "缴费基数上限比例", low=ZERO, high=MAX_BASE_RATIO),
                Field("fixed_monthly", Kind.MONEY, "每月固定附加费（如大额医疗）", required=False),
            ),
            yearly=False,
        ),
        Family(
            "outlet_injury",
            "基层快递网点工伤保险",
            (Field("ratio", Kind.RATIO, "每人每月缴费占月平均工资比例", low=ZERO, high=ONE),),
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
    )
}

TRUST_LEVELS = ("official", "medium", "low")
TRUST_LABELS = {"official": "官方原文", "medium": "较可靠", "low": "待核实"}
