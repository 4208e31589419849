"""Every rounding the service does, in one place.

Money: half-up to the fen (分), once, at the end of each month's amount. Contribution notices
state amounts 计至分、分以下四舍五入; no national 文号 fixing this was found, so the rule is
declared here once and nowhere else.

Bases derived from the average wage: the region's ``base_rounding`` parameter (default half-up
to the yuan, as the reference derivation of floors and ceilings does). Published floors and
ceilings are used as published and never re-rounded.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
YUAN = Decimal("1")

_BASE_RULES = {
    "half_up_yuan": (YUAN, ROUND_HALF_UP),
    "down_yuan": (YUAN, ROUND_DOWN),
    "up_yuan": (YUAN, ROUND_CEILING),
    "half_up_fen": (FEN, ROUND_HALF_UP),
}


def to_fen(amount: Decimal) -> Decimal:
    """Round a month's amount half-up to the fen."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def round_base(value: Decimal, rule: str) -> Decimal:
    """Round a base derived from the average wage by the region's rule."""
    unit, mode = _BASE_RULES[rule]
    return value.quantize(unit, rounding=mode)


def fen(amount: Decimal) -> int:
    """An amount already rounded to the fen, as integer fen (for vectorised sums)."""
    return int(amount * 100)


TENTH = Decimal("0.1")


def to_tenth(value: Decimal) -> Decimal:
    """A figure shown to one decimal, half-up: payback years, payout months of the monthly table."""
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


INDEX_PLACES = Decimal("0.0001")


def to_index(value: Decimal) -> Decimal:
    """A contribution index as shown to people, four decimals half-up (the pension uses the exact index)."""
    return value.quantize(INDEX_PLACES, rounding=ROUND_HALF_UP)


def to_factor(value: Decimal) -> Decimal:
    """广东's coefficient a (平均缴费指数 ÷ 0.6) to four decimals half-up, as the 核定表 compute with it: 江门
    0.452 ÷ 0.6 → 0.7533 and 惠州 0.5938 ÷ 0.6 → 0.9897 give the printed 965.73 and 2057.13, the unrounded
    coefficient 965.76 and 2057.09 (据核定表推定; no document found that fixes the precision)."""
    return value.quantize(INDEX_PLACES, rounding=ROUND_HALF_UP)


# How a province rounds each part of the pension (rates: pension_benefit_rules.part_rounding). 见分进角 is
# 广西's wording (桂人社规〔2019〕26号 as quoted on its 核定表): any fen raises the amount to the next 角.
_PART_RULES = {"half_up_fen": (FEN, ROUND_HALF_UP), "up_jiao": (TENTH, ROUND_CEILING)}
PART_RULES = tuple(_PART_RULES)


def round_part(amount: Decimal, rule: str) -> Decimal:
    """One part of a pension (基础养老金, 个人账户养老金) rounded once by the province's rule."""
    unit, mode = _PART_RULES[rule]
    return amount.quantize(unit, rounding=mode)


def order_fee_to_fen(amount: Decimal) -> Decimal:
    """A platform's 职业伤害保障费 for one month's orders of one industry in one place, half-up to the fen, once
    (本服务计算规则: 人社部发〔2025〕24号 sets the amount per order; no document found fixes the rounding of the
    product, so the fee is kept exact until this one rounding, as a month's contribution is)."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)
