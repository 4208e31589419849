"""The outlet work-injury premium in any province (人社厅发〔2021〕101号): what a month reads and how it is priced.

Every value comes from the outlet version in force (rates/params/<region>/outlet_injury.yaml) and its
document: the industry rate, the base ratio, whose average wage (the province's, or the pooling area's),
and which floats the province allows. The arithmetic is ``calc.rules.outlet_injury``.
"""

from __future__ import annotations

from decimal import Decimal

from calc.lines import Line, QuoteError, QuoteRequest, Resolution, ids, plain, value
from calc.reads import Lookup
from calc.rules import Split, rule_for
from rates.interface import Resolved
from rates.model import Region
from rates.months import Month
from rates.tables import read_table

SCHEME = "outlet_injury"
NATIONAL = "000000"


def province_of(regions: dict[str, Region], code: str) -> str:
    """The province (省级) a region belongs to: the last level above the national one."""
    region = regions[code]
    while region.parent is not None and region.parent != NATIONAL:
        region = regions[region.parent]
    return region.code


def resolve(request: QuoteRequest, at: Lookup, month: Month) -> Resolution:
    """The outlet version in force, and the average wage of the scope it names (the province by default)."""
    params = at(SCHEME, month)
    scope = str(params.version.values.get("avg_wage_scope", "province"))
    if scope == "province":
        wage_at = Lookup(at.params, province_of(at.params.regions, request.region))
        avg = wage_at("avg_wage", month, SCHEME)
        at.note(avg)
    else:
        avg = at("avg_wage", month, SCHEME)
    if avg.version.decimal("avg_wage_monthly") is None:
        # the premium is a share of the average wage: a year whose notice gave only the base range is not priced
        region = at.params.regions[request.region]
        raise QuoteError(
            "start",
            f"{region.name}{month}适用的通知只公布了缴费基数上下限，未公布平均工资，"
            "网点工伤保险费按平均工资计算，本服务不作估算：请改选已公布平均工资的月份。",
            "not_configured",
            422,
        )
    return {SCHEME: params, "avg_wage": avg}


def _document(params: Resolved) -> str:
    """The version's document as people cite it: its 文号, or its title."""
    reference = params.version.references[0]
    return reference.doc_no or f"《{reference.title}》"


def check_float(params: Resolved, factor: Decimal) -> None:
    """Refuse a float the province does not allow: a listed set of floats, or a range."""
    values = params.version.values
    floats = values.get("floats")
    if isinstance(floats, str):
        allowed = list(read_table(floats).values())
        if factor not in allowed:
            listed = "、".join(plain(f) for f in allowed)
            raise QuoteError(
                "factor",
                f"本地基层快递网点工伤保险的浮动系数只能是{listed}（{_document(params)}），"
                f"不能是{plain(factor)}：请按经办机构核定的档次填写。",
                "out_of_range",
                422,
            )
    low, high = values.get("float_low"), values.get("float_high")
    if isinstance(low, Decimal) and isinstance(high, Decimal) and not low <= factor <= high:
        raise QuoteError(
            "factor",
            f"本地基层快递网点工伤保险的浮动系数须在{plain(low)}至{plain(high)}之间"
            f"（{_document(params)}），不能是{plain(factor)}。",
            "out_of_range",
            422,
        )


def price_month(request: QuoteRequest, got: Resolution, month: Month) -> Line:
    """One month of an outlet's premium, by the rule of 人社厅发〔2021〕101号 with the province's values."""
    params, avg = got[SCHEME], got["avg_wage"]
    check_float(params, request.factor)
    rate = value(params, "ratio")
    base_ratio = params.version.decimal("base_ratio") or Decimal(1)
    avg_wage = avg.version.decimal("avg_wage_monthly")
    assert avg_wage is not None  # resolve refuses a month without the average wage
    split = rule_for(SCHEME, month)(avg_wage, base_ratio, rate, request.factor, request.headcount)
    assert isinstance(split, Split)
    base = avg_wage * base_ratio
    return Line(month, base, rate * request.factor, split.amount, split.parts, avg.provisional, ids(params, avg))
