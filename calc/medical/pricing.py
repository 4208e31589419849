"""Flexible-worker medical insurance priced by its city's shape (``calc.medical.shapes.SHAPES``).

``calc.pricing`` calls ``resolve`` and ``price_month`` for the scheme: the shape of the version in force
decides what else the month reads and how it is priced. Where the city has no version, the answer says
whom to ask and what is known (the pension's base range).
"""

from __future__ import annotations

from calc.lines import Line, QuoteError, QuoteRequest, Resolution
from calc.medical.shapes import SCHEME, shape_of
from calc.reads import Lookup, pension_bounds
from calc.rules import NoAverage
from rates.interface import Parameters
from rates.months import Month

ASK = "请向参保地医保经办机构咨询，或拨打12393医保服务热线。"


def resolve(request: QuoteRequest, at: Lookup, month: Month) -> Resolution:
    """The versions one month needs: the medical version, and only what its shape reads besides."""
    try:
        medical = at(SCHEME, month)
    except QuoteError as error:
        raise where_to_ask(error, at.params, at.region, month) from None
    return {SCHEME: medical, **shape_of(medical).reads(request, medical, at, month)}


def price_month(request: QuoteRequest, got: Resolution, month: Month) -> Line:
    """One month (or, for yearly amounts, one contribution year) of flexible-worker medical insurance."""
    return shape_of(got[SCHEME]).price(request, got, month)


def where_to_ask(error: QuoteError, params: Parameters, region: str, month: Month) -> QuoteError:
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
