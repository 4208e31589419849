"""The arithmetic of medical insurance's shapes: small pure rules, registered with ``@rule`` by the month they
take effect (``calc.rules``), so that a later change of a city's arithmetic is a new dated rule."""

from __future__ import annotations

from decimal import Decimal

from calc.rounding import round_base, to_fen
from calc.rules import Split, rule

ZERO = Decimal("0.00")


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
