"""The contribution rules, one small pure function each, citing the text they implement.

A rule that changes with the law gets a new dated function registered with ``@rule`` rather
than a date test inside the old one; ``rule_for`` picks the one in force for a month.
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from calc.rounding import order_fee_to_fen, round_base, to_fen
from rates.months import Month

F = TypeVar("F", bound=Callable[..., object])
_RULES: dict[str, list[tuple[Month, Callable[..., object]]]] = {}
_STARTS: dict[str, list[int]] = {}  # each scheme's rules' first months, as month indexes, in the order of _RULES


def rule(scheme: str, since: str) -> Callable[[F], F]:
    """Register ``function`` as the rule of ``scheme`` from the month ``since``."""

    def register(function: F) -> F:
        _RULES.setdefault(scheme, []).append((Month.parse(since), function))
        _RULES[scheme].sort(key=lambda item: item[0])
        _STARTS[scheme] = [since.index() for since, _ in _RULES[scheme]]
        return function

    return register


def rule_for(scheme: str, month: Month) -> Callable[..., object]:
    """The rule of ``scheme`` in force in ``month`` (the earliest one for months before it)."""
    # asked for every month an answer resolves: a search of the sorted first months, not a walk of the rules
    in_force = bisect.bisect_right(_STARTS[scheme], month.index())
    return _RULES[scheme][max(in_force - 1, 0)][1]


def rule_steady_before(scheme: str, month: Month) -> int:
    """The index of the first month after ``month`` from which ``rule_for(scheme, ...)`` may pick another rule."""
    starts = _STARTS[scheme]
    after = bisect.bisect_right(starts, month.index())
    return starts[after] if after < len(starts) else sys.maxsize


@dataclass(frozen=True)
class Bounds:
    """The allowed base range of a scheme, in yuan, and the ratios that produce its ends."""

    floor: Decimal
    ceiling: Decimal
    floor_ratio: Decimal
    ceiling_ratio: Decimal


@dataclass(frozen=True)
class Published:
    """A province's published 缴费基数下限/上限 and the ratios (60%/300%) they stand for."""

    floor: Decimal | None
    ceiling: Decimal | None
    floor_ratio: Decimal
    ceiling_ratio: Decimal


class NoAverage(ValueError):
    """A ratio between the published ends needs the average wage, which the notice did not publish."""


def base_for_ratio(avg_wage: Decimal | None, ratio: Decimal, published: Published, rounding: str) -> Decimal:
    """Base for a ratio of the average wage; a published floor or ceiling wins at its ratio (国办发〔2019〕13号)."""
    if ratio == published.floor_ratio and published.floor is not None:
        return published.floor
    if ratio == published.ceiling_ratio and published.ceiling is not None:
        return published.ceiling
    if avg_wage is None:
        raise NoAverage(ratio)  # never derive an average the notice did not give
    derived = round_base(avg_wage * ratio, rounding)
    low = published.floor if published.floor is not None and ratio >= published.floor_ratio else None
    high = published.ceiling if published.ceiling is not None and ratio <= published.ceiling_ratio else None
    # Keep a derived base inside the published range (a published floor may be truncated).
    if low is not None and derived < low:
        return low
    if high is not None and derived > high:
        return high
    return derived


def bounds(
    avg_wage: Decimal | None, floor_ratio: Decimal, ceiling_ratio: Decimal, published: Published, rounding: str
) -> Bounds:
    """The base range of a scheme whose base lies between two ratios of the average wage."""
    return Bounds(
        floor=base_for_ratio(avg_wage, floor_ratio, published, rounding),
        ceiling=base_for_ratio(avg_wage, ceiling_ratio, published, rounding),
        floor_ratio=floor_ratio,
        ceiling_ratio=ceiling_ratio,
    )


@dataclass(frozen=True)
class Split:
    """One month's contribution and where it goes."""

    amount: Decimal
    parts: dict[str, Decimal]


@rule("flexible_pension", since="2006-01")
def flexible_pension(base: Decimal, rate: Decimal, personal_account_rate: Decimal) -> Split:
    """20% of the chosen base, 8% of the base to the personal account, the rest pooled (国发〔2005〕38号)."""
    amount = to_fen(base * rate)
    personal = to_fen(base * personal_account_rate)
    return Split(amount, {"personal_account": personal, "pooled_fund": amount - personal})


@rule("flexible_medical", since="2021-01")
def flexible_medical(base: Decimal, rate: Decimal, personal_account_rate: Decimal, fixed_monthly: Decimal) -> Split:
    """Base x the 参保地 rate plus any fixed monthly add-on; the personal share per the 参保地 (云南实施意见第十项)."""
    contribution = to_fen(base * rate)
    personal = to_fen(base * personal_account_rate)
    return Split(
        contribution + fixed_monthly,
        {"personal_account": personal, "pooled_fund": contribution - personal, "fixed_addon": fixed_monthly},
    )


@rule("outlet_injury", since="2021-01")
def outlet_injury(avg_wage: Decimal, base_ratio: Decimal, rate: Decimal, factor: Decimal, headcount: int) -> Split:
    """Per courier-month: the scope's average wage x base ratio x the industry rate x the outlet's float, paid
    by the outlet, couriers nothing (人社厅发〔2021〕101号; the values are each province's: 江西 1% of the
    provincial average, 洪人社发〔2022〕88号第9项; 河南 1.1% with floats 0.5-1.5, 豫人社办〔2022〕10号)."""
    per_courier = to_fen(avg_wage * base_ratio * rate * factor)
    amount = per_courier * headcount
    return Split(amount, {"per_courier": per_courier, "outlet": amount, "courier": Decimal("0.00")})


@rule("resident_medical", since="2021-01")
def resident_medical(yearly_amount: Decimal) -> Split:
    """The yearly individual contribution of the contribution year (医保发〔2021〕32号 and yearly successors)."""
    amount = to_fen(yearly_amount)
    return Split(amount, {"personal": amount})


@rule("injury_protection_fee", since="2025-07")
def injury_protection_fee(orders: int, per_order: Decimal, factor: Decimal) -> Decimal:
    """A platform's fee for a month's orders: orders x the industry's 缴费基准额 x its float, paid by the platform
    alone, the worker nothing (人社部发〔2025〕24号: 职业伤害保障费 = 行业缴费基准额 x 单量, 按月缴费)."""
    return order_fee_to_fen(Decimal(orders) * per_order * factor)
