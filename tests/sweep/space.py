"""The answer space the bundled parameters define, generated from the data (issue 19).

Nothing here names a province, a year or a rule shape: the regions, the months each scheme is covered,
the tiers, the published ends and the medical shapes are all read from the snapshot the app loaded from
``rates/params``, so a new province, year or shape is swept without touching the tests. The generator
only chooses questions; what the answers must satisfy is in the test modules (the invariants).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

from calc import medical
from calc.banded import published
from calc.quote import SCHEMES, QuoteError, tier_ratios
from calc.reads import pension_bounds
from calc.rules import NoAverage, bounds
from rates.model import NATIONAL, Version
from rates.months import Month
from rates.store import NotConfigured, Snapshot
from rates.tables import read_table

T = TypeVar("T")
FULL = os.environ.get("SWEEP", "").strip().lower() == "full"
SEED = int(os.environ.get("SWEEP_SEED", "19"))
CENT = Decimal("0.01")

# The outlet premium's own inputs: headcounts and factors from the smallest to the largest accepted.
HEADCOUNTS = (1, 7, 12, 100_000)
FACTORS = ("0.5", "1", "1.2", "3")
CATEGORIES = ("male", "female_55", "female_50")
# The scheme whose figures decide when a scheme is covered (its own family), per scheme.
OWN_FAMILY = {
    "flexible_pension": "avg_wage",
    "flexible_medical": "flexible_medical",
    "outlet_injury": "outlet_injury",
    "resident_medical": "resident_medical",
}


@dataclass(frozen=True)
class Ask:
    """One calculation question, as the JSON API takes it (every figure a string, as people send them)."""

    region: str
    scheme: str
    start: str
    end: str
    base_ratio: str | None = None
    base: str | None = None
    headcount: int | None = None
    factor: str | None = None
    medical_tier: int | None = None
    kind: str = field(default="", compare=False)  # what the point stands for (a tier, the floor, below the floor)

    def body(self) -> dict[str, Any]:
        names = ("region", "scheme", "start", "end", "base_ratio", "base", "headcount", "factor", "medical_tier")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}

    def figures(self) -> tuple[Any, ...]:
        return (self.base_ratio, self.base, self.headcount, self.factor, self.medical_tier)

    def page_query(self) -> str:
        """The same question on the 测算 page (a GET form)."""
        query: dict[str, Any] = {"region": self.region, "scheme": self.scheme, "start": self.start, "end": self.end}
        query["basis"] = "base" if self.base is not None else "ratio"
        for name in ("base_ratio", "base", "headcount", "factor", "medical_tier"):
            if getattr(self, name) is not None:
                query[name] = getattr(self, name)
        return "/?" + urlencode(query)

    def months(self) -> list[Month]:
        return list(Month.parse(self.start).until(Month.parse(self.end)))

    def __str__(self) -> str:
        return f"{self.kind or 'ask'} {self.body()}"


def plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def regions(snap: Snapshot) -> list[str]:
    return sorted(code for code in snap.regions if code != NATIONAL)


def _chain_versions(snap: Snapshot, region: str, family: str) -> list[Version]:
    return [v for level in snap.chain(region) for v in snap.active(level, family)]


def last_year(snap: Snapshot) -> int:
    """The last year any bundled figure is for: beyond it nothing is known anywhere."""
    years = [v.contribution_year or v.effective_from.year for v in snap.all_versions if v.region != NATIONAL]
    years += [v.effective_to.year for v in snap.all_versions if v.effective_to is not None]
    return max(years)


def covered(snap: Snapshot, region: str, scheme: str) -> tuple[Month, Month] | None:
    """The first and last month the scheme's own figures cover in the region (by inheritance), or None."""
    versions = _chain_versions(snap, region, OWN_FAMILY[scheme])
    if not versions:
        return None
    first = min(v.effective_from for v in versions)
    # a version is in force until its stated end, or until the last year anything is known
    last = max(v.effective_to or Month(last_year(snap), 12) for v in versions)
    return first, last


def sweep_months(snap: Snapshot, region: str, scheme: str) -> list[Month]:
    """From the first covered month to the last, plus one beyond each end; for a scheme the region does
    not hold at all, the months the pension is covered (where it must say 未配置 and whom to ask)."""
    span = covered(snap, region, scheme) or covered(snap, region, "flexible_pension")
    if span is None:
        return []
    first, last = span
    return list((first + -1).until(last + 1))


def _bases(floor: Decimal | None, ceiling: Decimal | None) -> list[tuple[str, str]]:
    """Explicit bases at, inside and outside a range (either end may be unknown)."""
    found: list[tuple[str, str]] = []
    if floor is not None:
        found += [("base at floor", plain(floor)), ("base below floor", plain(floor - CENT))]
    if ceiling is not None:
        found += [("base at ceiling", plain(ceiling)), ("base above ceiling", plain(ceiling + CENT))]
    if floor is not None and ceiling is not None:
        found.append(("base inside", plain(((floor + ceiling) / 2).quantize(CENT))))
    return found


def _published_ends(snap: Snapshot, region: str, month: Month, scheme: str) -> list[tuple[str, str]]:
    try:
        avg = snap.at(region, "avg_wage", month, scheme).version
    except NotConfigured:
        return []
    ends = [
        ("published floor", avg.decimal("base_floor_monthly")),
        ("published ceiling", avg.decimal("base_ceiling_monthly")),
    ]
    return [(kind, plain(value)) for kind, value in ends if value is not None]


def _range_variants(snap: Snapshot, region: str, month: Month, scheme: str, version: Version) -> list[dict[str, Any]]:
    """A scheme whose base lies between two ratios of the average: every tier, the ends, bases around them."""
    floor_ratio, ceiling_ratio = version.decimal("base_ratio_floor"), version.decimal("base_ratio_ceiling")
    assert floor_ratio is not None and ceiling_ratio is not None
    found: list[dict[str, Any]] = [
        {"kind": f"tier {plain(r)}", "base_ratio": plain(r)} for r in tier_ratios(floor_ratio, ceiling_ratio)
    ]
    found += [{"kind": "tier below the range", "base_ratio": plain(floor_ratio - Decimal("0.1"))}]
    found += [{"kind": "tier above the range", "base_ratio": plain(ceiling_ratio + Decimal("0.1"))}]
    try:
        limits = pension_bounds(snap, region, month, "flexible_pension")
        if scheme == "flexible_medical":  # the medical range has its own ratios, on the same published ends
            limits = _medical_bounds(snap, region, month, version) or limits
        bases = _bases(limits.floor, limits.ceiling)
    except (QuoteError, NoAverage):
        bases = []
    bases += _published_ends(snap, region, month, scheme)
    found += [{"kind": kind, "base": base} for kind, base in dict(bases).items()]
    found.append({"kind": "no tier nor base"})
    return found


def _medical_bounds(snap: Snapshot, region: str, month: Month, version: Version) -> Any:
    try:
        avg = snap.at(region, "avg_wage", month, "flexible_medical")
        standard = snap.at(region, "flexible_pension", month)
        rounding = str(snap.at(region, "base_rounding", month).version.values["rule"])
    except NotConfigured:
        return None
    floor_ratio, ceiling_ratio = version.decimal("base_ratio_floor"), version.decimal("base_ratio_ceiling")
    assert floor_ratio is not None and ceiling_ratio is not None
    avg_wage = avg.version.decimal("avg_wage_monthly")
    return bounds(avg_wage, floor_ratio, ceiling_ratio, published(avg, standard), rounding)


def province_floats(snap: Snapshot, region: str, month: Month) -> list[str]:
    """Where the outlet version in force lists its floats (河南, issue 24): each of them and one between them,
    which must be refused."""
    try:
        floats = snap.at(region, "outlet_injury", month).version.values.get("floats")
    except NotConfigured:
        return []
    if not isinstance(floats, str):
        return []
    listed = [format(f.normalize(), "f") for f in read_table(floats).values()]
    return [f for f in listed if f not in FACTORS] + ["0.9"]


def variants(snap: Snapshot, region: str, scheme: str, month: Month) -> list[dict[str, Any]]:
    """The questions worth asking of a scheme in a month: each carries ``kind`` and the figures to send."""
    if scheme == "outlet_injury":
        return [
            {"kind": f"outlet {h} x {f}", "headcount": h, "factor": f}
            for h, f in zip(HEADCOUNTS, (*FACTORS[1:], FACTORS[0]), strict=True)
        ] + [{"kind": f"outlet factor {f}", "factor": f} for f in (*FACTORS, *province_floats(snap, region, month))]
    if scheme == "resident_medical":
        return [{"kind": "resident"}]
    try:
        version = snap.at(region, scheme, month).version
    except NotConfigured:  # must be refused in Chinese, saying whom to ask
        return [{"kind": "not configured, tier", "base_ratio": "0.6"}, {"kind": "not configured, base", "base": "5000"}]
    if scheme == "flexible_pension":
        return _range_variants(snap, region, month, scheme, version)
    shape = medical.basis(snap.at(region, scheme, month))
    if shape == "ratio_range":
        return [{"kind": "medical ratio_range", **v} for v in _range_variants(snap, region, month, scheme, version)]
    found: list[dict[str, Any]] = [{"kind": f"medical {shape}, nothing chosen"}]
    found += [
        {"kind": f"medical {shape}, a tier", "base_ratio": "0.6"},
        {"kind": f"medical {shape}, a base", "base": "5000"},
    ]
    if shape == "declared":
        found += [
            {"kind": f"medical declared, {k}", "base": b}
            for k, b in _bases(version.decimal("base_floor_monthly"), version.decimal("base_ceiling_monthly"))
        ]
    elif shape == "avg_ratio":
        ratio = version.decimal("base_ratio")
        assert ratio is not None
        found.append({"kind": "medical avg_ratio, its own ratio", "base_ratio": plain(ratio)})
    elif shape == "yearly_tiers":
        found += [{"kind": f"medical yearly_tiers, tier {t}", "medical_tier": t} for t in medical.TIER_LABELS]
        found.append({"kind": "medical yearly_tiers, tier and base", "medical_tier": 1, "base": "5000"})
    return found


def calc_points(snap: Snapshot) -> Iterator[tuple[Month, Ask]]:
    """Every region x scheme x month x variant, each as a one-month question."""
    for region in regions(snap):
        for scheme in SCHEMES:
            for month in sweep_months(snap, region, scheme):
                found = variants(snap, region, scheme, month)
                if covered(snap, region, scheme) is None:
                    found = found[:1]  # held nowhere above it either: one question a month must say 未配置
                for variant in found:
                    figures = {k: v for k, v in variant.items() if k != "kind"}
                    yield month, Ask(region, scheme, str(month), str(month), kind=variant["kind"], **figures)


@dataclass
class Group:
    """Questions alike but for their month, over a run of consecutive months of one year: asked as one range."""

    first: Ask
    months: list[Month]

    def ask(self) -> Ask:
        return Ask(
            **{**self.first.body(), "start": str(self.months[0]), "end": str(self.months[-1])}, kind=self.first.kind
        )

    def singles(self) -> list[Ask]:
        return [Ask(**{**self.first.body(), "start": str(m), "end": str(m)}, kind=self.first.kind) for m in self.months]


def groups(points: Sequence[tuple[Month, Ask]]) -> list[Group]:
    """The points grouped into year ranges of the same question (a range answer must equal its months)."""
    found: dict[tuple[Any, ...], Group] = {}
    out: list[Group] = []
    for month, ask in points:
        key = (ask.region, ask.scheme, ask.figures(), month.year)
        group = found.get(key)
        if group is not None and group.months[-1] + 1 == month:
            group.months.append(month)
            continue
        group = found[key] = Group(ask, [month])
        out.append(group)
    return out


def sample(items: Sequence[T], count: int, salt: str = "", full: int | None = None) -> list[T]:
    """A seeded sample (the same every run): ``count`` in the ordinary run, ``full`` in the full sweep (None: all)."""
    wanted = (full if full is not None else len(items)) if FULL else count
    if len(items) <= wanted:
        return list(items)
    chosen = random.Random(f"{SEED}-{salt}").sample(range(len(items)), wanted)
    return [items[i] for i in sorted(chosen)]


# Years already paid: none, and many at a low index (广东's a applies below 0.6: issue 22)
PAID_RECORDS: tuple[dict[str, Any], ...] = ({}, {"paid_months": 200, "paid_average_index": "0.3"})
# The record mode's average index: an ordinary one, and one below 广东's threshold
RECORD_INDEXES = ("0.8123", "0.452")


def estimate_points(snap: Snapshot) -> Iterator[dict[str, Any]]:
    """Pension estimates: every region x category x a spread of birth months x start months x tiers x years paid."""
    last = Month(last_year(snap), 12)
    births = ("1961-06", "1966-01", "1970-09", "1975-04", "1985-03", "1995-12", "2006-07")
    for region in regions(snap):
        span = covered(snap, region, "flexible_pension")
        starts = sorted({span[0], span[0] + 17, last, last + 1} if span else {last})
        for category in CATEGORIES:
            for birth in births:
                for start in starts:
                    for ratio in ("0.6", "1", "3"):
                        for paid in PAID_RECORDS:
                            yield {
                                "region": region,
                                "birth_month": birth,
                                "category": category,
                                "base_ratio": ratio,
                                "start": str(start),
                            } | paid


# 经办核算 (issue 22): a record in each region, with 过渡性养老金 asked for in each way the API takes
TRANSITIONAL_ASKS: tuple[dict[str, Any], ...] = (
    {},
    {"transitional_years": "9.42"},
    {"transitional_months": 113},
    {"transitional_years": "0", "transitional_index": "1"},
    {"transitional_years": "14.0833", "transitional_index": "0.8634"},
    {"transitional_years": "4.42", "transitional_old_method": "300"},  # 江苏's 原办法; a 422 elsewhere
)


def benefit_points(snap: Snapshot) -> Iterator[dict[str, Any]]:
    """Records for POST /api/v1/pension/benefit: every region x retirement months and ages x 过渡性养老金 asks x
    average indexes."""
    for region in regions(snap):
        for month, age in (("2023-06", 600), ("2024-06", 720), ("2025-06", 721), ("2026-06", 663)):
            for asked in TRANSITIONAL_ASKS:
                for index in RECORD_INDEXES:
                    body = {"region": region, "calc_base": "8000", "average_index": index, "contribution_months": 307}
                    body |= {"account_balance": "123456.78", "retirement_age_months": age, "month": month}
                    yield body | asked


# 职业伤害保障费 (issue 24): orders from none to many, and floats from none to the largest accepted
FEE_ORDERS = (0, 1, 3, 12345, 1_000_000_000)
FEE_FACTORS = ("1", "0.0625", "1.5", "3")


def fee_points(snap: Snapshot, region: str) -> list[dict[str, Any]]:
    """A platform's month of orders in ``region``: a spread of months from before the first pilot to a year past
    the data, every industry with each of its per-order amounts (and none), and the orders and floats above.
    Read from ``rates.protection`` (its industries and amounts), never named here."""
    from rates.protection import bundled

    data = bundled()
    months = [Month(year, month) for year in range(2022, last_year(snap) + 2) for month in (1, 6, 7, 8, 12)]
    amounts: dict[str, set[str]] = {}
    for schedule in data.order_fees:
        for industry, values in schedule.amounts.items():
            amounts.setdefault(industry, set()).update(plain(v) for v in values)
    points = []
    for month in sample(months, 3, f"fee {region}"):
        for industry, values in amounts.items():
            for per_order in [None, *sorted(values)]:
                for orders, factor in sample(
                    [(o, f) for o in FEE_ORDERS for f in FEE_FACTORS], 1, f"fee {region} {month} {industry}", 2
                ):
                    body = {"region": region, "month": str(month), "industry": industry, "orders": orders}
                    if per_order is not None:
                        body["per_order"] = per_order
                    if factor != "1":
                        body["factor"] = factor
                    points.append(body)
    return points
