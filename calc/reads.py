"""Which versions each scheme reads, and the lookup that resolves them for one request and remembers them.

A version that is not configured becomes the engine's refusal, in Chinese, naming the family by its label.
"""

from __future__ import annotations

from calc.banded import published
from calc.lines import QuoteError, value
from calc.rules import Bounds, bounds
from rates.families import FAMILIES
from rates.interface import NotConfigured, Parameters, Resolved
from rates.model import Region
from rates.months import Month
from rates.notices import Notice, bundled

# The families each scheme reads, and the scheme under which it reads the average wage (a
# scheme may switch to a new yearly figure later than others). Medical insurance reads what its
# city's rule shape needs (calc.medical.pricing.resolve); this is its original shape's.
READS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "flexible_pension": (("flexible_pension", None), ("avg_wage", "flexible_pension"), ("base_rounding", None)),
    "flexible_medical": (
        ("flexible_medical", None),
        ("flexible_pension", None),  # the 60%-300% ratios that published floors and ceilings stand for
        ("avg_wage", "flexible_medical"),
        ("base_rounding", None),
    ),
    "outlet_injury": (("outlet_injury", None), ("avg_wage", "outlet_injury")),
    "resident_medical": (("resident_medical", None),),
}


class Lookup:
    """Resolves parameters for one request and remembers every version it used."""

    def __init__(self, params: Parameters, region: str):
        self.params, self.region = params, region
        self.used: dict[int, Resolved] = {}

    def __call__(self, family: str, month: Month, scheme: str | None = None) -> Resolved:
        try:
            resolved = self.params.at(self.region, family, month, scheme)
        except NotConfigured:
            notice = notice_for(self.params.regions, self.region, family)
            raise not_configured(self.params.regions[self.region], family, month, notice) from None
        self.note(resolved)
        return resolved

    def note(self, resolved: Resolved) -> None:
        note(self.used, resolved)


def note(used: dict[int, Resolved], resolved: Resolved) -> None:
    """Remember a version a request used (a provisional use wins: the answer must say so)."""
    key = resolved.version.id if resolved.version.id is not None else id(resolved.version)
    if key not in used or resolved.provisional:
        used[key] = resolved


def notice_for(regions: dict[str, Region], code: str, family: str) -> Notice | None:
    """A notice of ``family`` seen without its figures, for the region or the nearest level above it."""
    notices = bundled(family)
    level: str | None = code
    while level is not None:
        if level in notices:
            return notices[level]
        level = regions[level].parent
    return None


def not_configured(region: Region, family: str, month: Month, notice: Notice | None = None) -> QuoteError:
    label = FAMILIES[family].label
    if notice is not None:  # the document exists: name it and whom to ask, never a guessed figure
        return QuoteError(
            "scheme",
            f"{region.name}{month}尚未配置“{label}”参数：{notice.issuer}已发布{notice.document()}，"
            f"但本服务未能查到其中的{notice.missing}，不作估算。请向{notice.ask}咨询"
            f"（全国人社服务热线12333）。",
            code="not_configured",
            status=422,
        )
    return QuoteError(
        "scheme" if family != "avg_wage" else "start",
        f"{region.name}{month}尚未配置“{label}”参数：没有可查证来源的数据，本服务不作估算。",
        code="not_configured",
        status=422,
    )


def pension_bounds(params: Parameters, region: str, month: Month, scheme: str = "flexible_pension") -> Bounds:
    """The base range of a tiered scheme in ``month`` (e.g. to tell what is known where another is not configured)."""
    at = Lookup(params, region)
    got = {family: at(family, month, s) for family, s in READS[scheme]}
    standard, avg = got[scheme], got["avg_wage"]
    rounding = str(got["base_rounding"].version.values["rule"])
    floor_ratio, ceiling_ratio = value(standard, "base_ratio_floor"), value(standard, "base_ratio_ceiling")
    return bounds(
        avg.version.decimal("avg_wage_monthly"), floor_ratio, ceiling_ratio, published(avg, standard), rounding
    )
