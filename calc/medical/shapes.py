"""The shapes in which cities publish flexible-worker medical insurance, one class each, in one registry.

A shape says what its versions must hold (``needs``, checked by ``rates.loader``), what a request may give
(``takes``, which the forms show), what else a month reads (``reads``), how a month is priced (``price``) and
what a worker can choose between (``choices``). ``SHAPES`` is the one list: ``rates.families`` offers its
names as the ``basis`` of a version, ``rates.loader`` checks its needs, ``calc.medical.pricing`` prices by it.

This module reads nothing of ``rates`` but the interface and months (``rates.families`` reads it: the one
direction from ``rates`` to ``calc``), so that the parameter families can list the shapes without a circle.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, NamedTuple

from calc.banded import banded_base, price_with_base
from calc.lines import NO_AVERAGE, At, Line, QuoteError, QuoteRequest, Resolution, percent
from calc.medical.rules import ZERO
from calc.rules import Split, rule_for
from rates.interface import Resolved
from rates.model import Version
from rates.months import Month

SCHEME = "flexible_medical"
TIER_LABELS = {1: "一档", 2: "二档"}
TIER_FIELDS = {1: "tier1_yearly", 2: "tier2_yearly"}
WHERE = "本地区"  # how a refusal names the region whose rule refuses: the form names the region above it
# A figure the region's rule does not take: the request matches the OpenAPI document, the rule of that
# region and month refuses it, so 422 (400 is for what the document refuses: issue 19, defect 8).
NOT_APPLICABLE = "not_applicable"
# The request's figures a shape may take, with the words the forms label them by.
FIELD_LABELS = {"base_ratio": "医保缴费比例档次", "base": "医保缴费基数（每月，元）", "medical_tier": "医保缴费档次"}


class Choice(NamedTuple):
    """One thing a worker can choose for the tier comparison: a base, a fixed ratio, or a yearly tier."""

    label: str
    base: Decimal | None = None
    ratio: Decimal = Decimal(0)
    tier: int | None = None


class Shape:
    """A rule shape; a subclass is one notice's way of pricing, named in ``SHAPES`` by ``name``."""

    name: ClassVar[str]
    label: ClassVar[str]  # what users read for the basis (pages, admin form, exports)
    needs: ClassVar[tuple[str, ...]]  # the version's fields the shape needs, beyond the basis itself
    takes: ClassVar[tuple[tuple[str, str], ...]] = ()  # the request's figures it prices with, and their labels
    instruction: ClassVar[str]  # what the form tells a worker of a region of this shape to do

    @classmethod
    def reads(cls, request: QuoteRequest, medical: Resolved, at: At, month: Month) -> Resolution:
        """The versions a month reads besides the medical one: only those the shape prices with (a figure
        not used is not cited)."""
        return {}

    @classmethod
    def price(cls, request: QuoteRequest, got: Resolution, month: Month) -> Line:
        raise NotImplementedError

    @classmethod
    def choices(cls, version: Version, name: str, month: Month) -> tuple[Choice, ...] | None:
        """What a worker of region ``name`` can choose between in ``month``; None: the ratio tiers (60%…300%)."""
        raise NotImplementedError


class RatioRange(Shape):
    """A rate on a base chosen between two ratios of the average wage, as for the pension (沪人社规〔2023〕5号)."""

    name = "ratio_range"
    label = "在上年度全口径月平均工资的比例范围内选择缴费基数"
    needs = ("rate", "base_ratio_floor", "base_ratio_ceiling")
    takes = (("base_ratio", FIELD_LABELS["base_ratio"]), ("base", FIELD_LABELS["base"]))
    instruction = "选择医保缴费比例档次，或选“按医保缴费基数”并填写。"

    @classmethod
    def reads(cls, request: QuoteRequest, medical: Resolved, at: At, month: Month) -> Resolution:
        try:
            avg = at("avg_wage", month, SCHEME)
        except QuoteError as error:
            # an explicit base is priced without the range (and says so) where no average wage is held
            if request.base is None or error.code != "not_configured" or "basis" not in medical.version.values:
                raise
            return {}
        return {
            "flexible_pension": at("flexible_pension", month),  # the 60%/300% ratios published bounds stand for
            "avg_wage": avg,
            "base_rounding": at("base_rounding", month),
        }

    @classmethod
    def price(cls, request: QuoteRequest, got: Resolution, month: Month) -> Line:
        medical = got[SCHEME]
        if "basis" not in medical.version.values:  # the original shape, priced exactly as before
            return price_with_base(SCHEME, request, got, month)
        ids = cited(got)
        if "avg_wage" not in got:
            assert request.base is not None  # reads() let the average wage be missing only for an explicit base
            note = (
                f"{WHERE}上年度全口径月平均工资未配置，缴费基数上下限无法确定，"
                "所填缴费基数未作范围核对，以经办机构核定为准。"
            )
            return with_rate(medical, request.base, month, (note,), ids)
        avg, rounding = got["avg_wage"], str(got["base_rounding"].version.values["rule"])
        base = banded_base(request, medical, avg, got["flexible_pension"], rounding, month)
        return with_rate(medical, base, month, (), ids, avg.provisional)

    @classmethod
    def choices(cls, version: Version, name: str, month: Month) -> tuple[Choice, ...] | None:
        return None


class Declared(Shape):
    """A rate on the base the worker declares, within published ends where known (穗医保规字〔2022〕1号)."""

    name = "declared"
    label = "按本人申报的缴费基数和缴费比例"
    needs = ("rate",)
    takes = (("base", FIELD_LABELS["base"]),)
    instruction = "按本人申报的缴费基数缴费：请填写医保缴费基数。"

    @classmethod
    def price(cls, request: QuoteRequest, got: Resolution, month: Month) -> Line:
        medical = got[SCHEME]
        version = medical.version
        if request.base is None:
            field = "base_ratio" if request.base_ratio is not None else "base"
            raise QuoteError(field, f"{WHERE}按本人申报的缴费基数缴费，请填写缴费基数（元/月）。", "required")
        floor, ceiling = version.decimal("base_floor_monthly"), version.decimal("base_ceiling_monthly")
        check_bounds(request.base, floor, ceiling, month)
        notes = (
            () if floor is not None and ceiling is not None else (unchecked(version.effective_from, floor, ceiling),)
        )
        return with_rate(medical, request.base, month, notes, cited(got))

    @classmethod
    def choices(cls, version: Version, name: str, month: Month) -> tuple[Choice, ...] | None:
        floor, ceiling = version.decimal("base_floor_monthly"), version.decimal("base_ceiling_monthly")
        if floor is None or ceiling is None:
            raise QuoteError(  # a valid question whose answer is that there is nothing to compare: 422
                "base",
                f"{name}{month}的灵活就业人员医保缴费基数上下限未见公布，按本人申报的缴费基数测算，无档次可比。",
                "no_tiers",
                422,
            )
        return Choice("下限", floor), Choice("上限", ceiling)


class AvgRatio(Shape):
    """A rate (maybe in parts) on a base fixed as a ratio of the provincial average wage (成医保办〔2025〕17号)."""

    name = "avg_ratio"
    label = "缴费基数为上年度全省全口径月平均工资的固定比例"
    needs = ("rate", "base_ratio")
    takes = (("base", FIELD_LABELS["base"]),)  # an approved base may be typed; else the fixed ratio
    instruction = "缴费基数固定为上年度全省全口径月平均工资的一定比例，无需选择；也可填写经办机构核定的医保缴费基数。"

    @classmethod
    def reads(cls, request: QuoteRequest, medical: Resolved, at: At, month: Month) -> Resolution:
        if request.base is not None:
            return {}
        return {"avg_wage": at("avg_wage", month, SCHEME), "base_rounding": at("base_rounding", month)}

    @classmethod
    def price(cls, request: QuoteRequest, got: Resolution, month: Month) -> Line:
        medical = got[SCHEME]
        ratio = medical.version.decimal("base_ratio") or ZERO
        ids = cited(got)
        if request.base is not None:
            note = (
                f"按所填核定缴费基数测算；{WHERE}缴费基数为上年度全省全口径月平均工资的{percent(ratio)}，"
                "所填基数未与之核对，以经办机构核定为准。"
            )
            return with_rate(medical, request.base, month, (note,), ids)
        if request.base_ratio is not None and request.base_ratio != ratio:
            raise QuoteError(
                "base_ratio",
                f"{WHERE}缴费基数固定为上年度全省全口径月平均工资的{percent(ratio)}，无需选择缴费档次。",
                NOT_APPLICABLE,
                422,
            )
        avg = got["avg_wage"]
        rounding = str(got["base_rounding"].version.values["rule"])
        average = avg.version.decimal("avg_wage_monthly")
        if average is None:  # the province published its ends but no average: nothing to take the ratio of
            raise QuoteError(
                "base",
                f"{month}：该通知未公布上年度全省全口径月平均工资，无法按{percent(ratio)}折算缴费基数；"
                "请按经办机构核定的缴费基数填写。",
                NO_AVERAGE,
                422,
            )
        base = rule_for("medical_base_of_average", month)(average, ratio, rounding)
        assert isinstance(base, Decimal)
        return with_rate(medical, base, month, (), ids, avg.provisional)

    @classmethod
    def choices(cls, version: Version, name: str, month: Month) -> tuple[Choice, ...] | None:
        ratio = version.decimal("base_ratio") or ZERO  # the ratio, so the page can mark it as chosen
        return (Choice(percent(ratio), ratio=ratio),)


class YearlyTiers(Shape):
    """A fixed amount per person and contribution year, by the tier the worker chooses (渝医保发〔2024〕47号)."""

    name = "yearly_tiers"
    label = "按年度固定缴费标准分档缴纳"
    needs = ("tier1_yearly", "tier2_yearly")
    takes = (("medical_tier", FIELD_LABELS["medical_tier"]),)
    instruction = "按年度固定标准缴费：请选择医保缴费档次（一档或二档），不填缴费基数。"

    @classmethod
    def price(cls, request: QuoteRequest, got: Resolution, month: Month) -> Line:
        version = got[SCHEME].version
        no_tier_or_base(request, "按年度固定标准缴费")
        if request.medical_tier not in TIER_FIELDS:
            raise QuoteError("medical_tier", f"{WHERE}按年度固定标准缴费，请选择医保缴费档次：一档或二档。", "required")
        split = rule_for("medical_yearly_tier", month)(version.decimal(TIER_FIELDS[request.medical_tier]))
        assert isinstance(split, Split)
        note = (
            f"{WHERE}职工医保按年度固定标准缴费（元/年·人），按所选月份所在年度列示全年金额，"
            "通知未规定按月折算，本服务不折算到月。"
        )
        return Line(month, None, None, split.amount, split.parts, False, cited(got), year=month.year, notes=(note,))

    @classmethod
    def choices(cls, version: Version, name: str, month: Month) -> tuple[Choice, ...] | None:
        return tuple(Choice(label, tier=tier) for tier, label in TIER_LABELS.items())


class FixedMonthly(Shape):
    """A fixed payment every month, as the notice states it (京人社发〔2025〕11号)."""

    name = "fixed_monthly"
    label = "按每月固定金额缴纳"
    needs = ("monthly_amount",)
    instruction = "按每月固定金额缴费，无需选择档次或填写基数。"

    @classmethod
    def price(cls, request: QuoteRequest, got: Resolution, month: Month) -> Line:
        no_tier_or_base(request, "按每月固定金额缴费")
        split = rule_for("medical_fixed_monthly", month)(got[SCHEME].version.decimal("monthly_amount"))
        assert isinstance(split, Split)
        return Line(month, None, None, split.amount, split.parts, False, cited(got))

    @classmethod
    def choices(cls, version: Version, name: str, month: Month) -> tuple[Choice, ...] | None:
        return (Choice("固定金额"),)


SHAPES: dict[str, type[Shape]] = {
    shape.name: shape for shape in (RatioRange, Declared, AvgRatio, YearlyTiers, FixedMonthly)
}
ORIGINAL = RatioRange.name  # the shape of a version without a basis (written before issue 15)


def basis(resolved: Resolved) -> str:
    """The version's shape; a version without one is the original shape."""
    return str(resolved.version.values.get("basis", ORIGINAL))


def shape_of(resolved: Resolved) -> type[Shape]:
    return SHAPES[basis(resolved)]


def shapes_taking(field: str) -> tuple[str, ...]:
    """The names of the shapes that price with the request's ``field`` ("base", "base_ratio", "medical_tier")."""
    return tuple(name for name, shape in SHAPES.items() if any(taken == field for taken, _ in shape.takes))


# ---------------------------------------------------------------- what the shapes share


def cited(got: Resolution) -> dict[str, int]:
    """The versions a month read, by family: each is cited by the line it priced."""
    return {family: r.version.id or 0 for family, r in got.items()}


def with_rate(
    resolved: Resolved,
    base: Decimal,
    month: Month,
    notes: tuple[str, ...],
    ids: dict[str, int],
    provisional: bool = False,
) -> Line:
    """The rate (maybe in parts, each rounded on its own) on ``base``, plus any fixed monthly add-on."""
    parts = rate_parts(resolved)
    split = rule_for("medical_rate_parts", month)(base, parts)
    assert isinstance(split, Split)
    amounts = dict(split.parts)
    amount = split.amount
    addon = resolved.version.decimal("fixed_monthly")
    if addon is not None:
        amounts["fixed_addon"] = addon
        amount += addon
    rate = sum((r for _, r in parts), Decimal(0))
    return Line(month, base, rate, amount, amounts, provisional, ids, notes=notes)


def rate_parts(resolved: Resolved) -> tuple[tuple[str, Decimal], ...]:
    version = resolved.version
    parts: list[tuple[str, Decimal]] = [("medical_basic", version.decimal("rate") or ZERO)]
    supplementary = version.decimal("supplementary_rate")
    if supplementary is not None:
        parts.append(("medical_supplementary", supplementary))
    return tuple(parts)


def no_tier_or_base(request: QuoteRequest, what: str) -> None:
    """Refuse the figures a shape without a choice does not take (422: the document allows them elsewhere)."""
    if request.base is not None:
        raise QuoteError("base", f"{WHERE}{what}，不按缴费基数计算，请不要填写缴费基数。", NOT_APPLICABLE, 422)
    if request.base_ratio is not None:
        raise QuoteError(
            "base_ratio", f"{WHERE}{what}，不按缴费档次（比例）计算，请不要选择缴费档次。", NOT_APPLICABLE, 422
        )


def check_bounds(base: Decimal, floor: Decimal | None, ceiling: Decimal | None, month: Month) -> None:
    if floor is not None and ceiling is not None and not floor <= base <= ceiling:
        message = f"缴费基数须在{floor}元至{ceiling}元之间（{month}），请修改缴费基数。"
    elif floor is not None and ceiling is None and base < floor:
        message = f"缴费基数不能低于{floor}元（{month}），请修改缴费基数。"
    elif ceiling is not None and floor is None and base > ceiling:
        message = f"缴费基数不能高于{ceiling}元（{month}），请修改缴费基数。"
    else:
        return
    raise QuoteError("base", message, code="out_of_range")


def unchecked(since: Month, floor: Decimal | None, ceiling: Decimal | None) -> str:
    known = "仅核对了已公布的一端，" if floor is not None or ceiling is not None else ""
    return (
        f"{since}起适用的标准未给出灵活就业人员医保缴费基数上下限（本服务未配置），"
        f"{known}所填缴费基数未作范围核对，以经办机构核定为准。"
    )
