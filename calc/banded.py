"""A rate on a base chosen within a band of the average wage: the pension's shape, and medical insurance's first.

The band is a floor and a ceiling ratio of the average wage (60% and 300%), or the floor and ceiling a notice
published; the base is a tier (a ratio) or a figure the person gives within the band.
"""

from __future__ import annotations

from decimal import Decimal

from calc.lines import NO_AVERAGE, Line, QuoteError, QuoteRequest, Resolution, ids, percent, value
from calc.rules import Bounds, NoAverage, Published, Split, base_for_ratio, bounds, rule_for
from rates.interface import Resolved
from rates.months import Month


def published(avg: Resolved, standard: Resolved) -> Published:
    """The floor and ceiling a notice published, with the ratios of the average wage they stand for."""
    return Published(
        floor=avg.version.decimal("base_floor_monthly"),
        ceiling=avg.version.decimal("base_ceiling_monthly"),
        floor_ratio=value(standard, "base_ratio_floor"),
        ceiling_ratio=value(standard, "base_ratio_ceiling"),
    )


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
            f"缴费档次须在{percent(limits.floor_ratio)}至{percent(limits.ceiling_ratio)}之间，请修改缴费档次。",
            code="out_of_range",
        )
    return base_for_ratio(avg_wage, ratio, published, rounding)


def no_average(month: Month, published: Published, ratio: Decimal | None) -> QuoteError:
    """The Chinese answer for a ratio tier that only an unpublished average wage could give."""
    tier = f"{percent(ratio)}档次" if ratio is not None else "此档次"
    ends = ""
    if published.floor is not None and published.ceiling is not None:
        ends = (
            f"（可选{percent(published.floor_ratio)}档次{published.floor}元、"
            f"{percent(published.ceiling_ratio)}档次{published.ceiling}元，"
            f"或填写{published.floor}元至{published.ceiling}元之间的缴费基数）"
        )
    return QuoteError(
        "base_ratio",
        f"{month}：该通知未公布平均工资，无法按比例折算{tier}，请直接填写缴费基数{ends}。",
        code=NO_AVERAGE,
        status=422,
    )


def banded_base(
    request: QuoteRequest, band: Resolved, avg: Resolved, standard: Resolved, rounding: str, month: Month
) -> Decimal:
    """The base within ``band``'s ratios of the average wage (or the published ends they stand for)."""
    avg_wage = avg.version.decimal("avg_wage_monthly")  # None where the notice published only the ends
    ends = published(avg, standard)
    try:
        limits = bounds(avg_wage, value(band, "base_ratio_floor"), value(band, "base_ratio_ceiling"), ends, rounding)
        return choose_base(request, limits, avg_wage, ends, rounding, month)
    except NoAverage as missing:  # only the published ends and explicit bases price
        raise no_average(month, ends, request.base_ratio or missing.args[0]) from None


def price_with_base(scheme: str, request: QuoteRequest, got: Resolution, month: Month) -> Line:
    """One month of a tiered scheme: its rate on the chosen base, split into the pooled and personal parts."""
    params, standard, avg, rounding = got[scheme], got["flexible_pension"], got["avg_wage"], got["base_rounding"]
    base = banded_base(request, params, avg, standard, str(rounding.version.values["rule"]), month)
    rate = value(params, "rate")
    personal = value(params, "personal_account_rate")
    function = rule_for(scheme, month)
    if scheme == "flexible_medical":
        split = function(base, rate, personal, params.version.decimal("fixed_monthly") or Decimal("0.00"))
    else:
        split = function(base, rate, personal)
    assert isinstance(split, Split)
    return Line(month, base, rate, split.amount, split.parts, avg.provisional, ids(*got.values()))
