"""A person's record as the 经办机构 computes it (经办核算), and the one place the estimate gets its rules.

The region's ``pension_benefit_rules`` say how 缴费月数 become 缴费年限 and how each part is rounded; the
national version says how an age with months finds its 计发月数. ``pension_parts`` applies them and is
used both by the clerk's record mode and by the estimate on 测算, so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from calc.lines import QuoteError, percent, plain
from calc.pension import (
    INDEX_BASES,
    BenefitRules,
    PayoutMonths,
    TransitionalRule,
    account_pension_by_rules,
    base_factor,
    basic_pension_by_rules,
    contribution_years,
    indexed_wage,
    payout_months,
    phased_in,
    share_in,
    transitional_pension,
    transitional_wage,
)
from calc.reads import Lookup
from calc.retirement import age_words
from calc.rounding import to_index
from rates.families import CHOICE_LABELS
from rates.interface import Parameters, Resolved
from rates.months import Month
from rates.tables import read_table

NATIONAL = "000000"
TRANSITIONAL_NOTE = (
    "本估算不含过渡性养老金（1990年代建立个人账户前的视同缴费年限部分，由各省规定计发办法），"
    "也不含各地增发项目和以后年度的养老金调整；实际待遇以社保经办机构核定为准。"
)


class RegionLookup(Lookup):
    """The contribution engine's lookup; a missing parameter is the region's to fix (there is no scheme field)."""

    def __call__(self, family: str, month: Month, scheme: str | None = None) -> Resolved:
        try:
            return super().__call__(family, month, scheme)
        except QuoteError as error:
            raise QuoteError("region", error.message, error.code, error.status) from None


def benefit_rules(at: Lookup, national: Lookup, month: Month) -> BenefitRules:
    """The region's precision, rounding and bases, and the national rule for ages with months, in ``month``."""
    own = at("pension_benefit_rules", month).version
    between = national("pension_benefit_rules", month).version.values.get("payout_between_ages") or "whole_year"
    values = own.values
    rate = own.decimal("transitional_rate")
    transitional = None
    if rate is not None:  # the loader holds the three together
        phase = values.get("transitional_phase_in")
        shares = tuple((int(k), v) for k, v in read_table(str(phase)).items()) if phase else ()
        transitional = TransitionalRule(
            rate, str(values["transitional_wage"]), str(values["transitional_years"]), shares
        )
    return BenefitRules(
        str(values["years_precision"]),
        str(values["part_rounding"]),
        str(between),
        basic_rounding=str(values["basic_rounding"]) if values.get("basic_rounding") else None,
        remainder_month_rate=own.decimal("remainder_month_rate"),
        index_base=str(values.get("index_base") or "sheet_calc_base"),
        low_index_threshold=own.decimal("low_index_threshold"),
        transitional=transitional,
    )


@dataclass(frozen=True)
class Parts:
    basic: Decimal
    account: Decimal
    payout: PayoutMonths
    rules: BenefitRules
    base_missing: bool = False  # the rule indexes by a second 计发基数 that was not given (the sheet's used)
    factor: Decimal = Decimal(1)  # 广东's a on the 计发基数 term (1 elsewhere, and at an index of 0.6 or more)


def pension_parts(
    at: Lookup,
    national: Lookup,
    month: Month,
    calc_base: Decimal,
    average_index: Decimal,
    months: int,
    years: Decimal | None,
    balance: Decimal,
    age_months: int,
    field: str = "retirement_age_months",
    index_base: Decimal | None = None,
    printed_wage: Decimal | None = None,
) -> Parts:
    """基础养老金 and 个人账户养老金 of a retirement in ``month`` by the region's rules (国发〔2005〕38号第六条).

    ``index_base`` is the second 计发基数 of a province that indexes by another (河南, 吉林); ``printed_wage``
    a sheet's printed 本人指数化月平均缴费工资, used as printed.
    """
    rules = benefit_rules(at, national, month)
    table = national("pension_payout_months", month)
    payout = payout_months(
        read_table(str(table.version.values["months_by_age"])), age_months, rules.payout_between_ages
    )
    if payout is None:
        raise QuoteError(
            field, f"计发月数表中没有{age_words(age_months)}退休的计发月数（表中为40至70岁）。", "not_configured", 422
        )
    second = index_base if rules.index_base != "sheet_calc_base" else None
    wage = printed_wage if printed_wage is not None else indexed_wage(calc_base, average_index, second)
    missing = printed_wage is None and second is None and rules.index_base != "sheet_calc_base"
    factor = base_factor(average_index, rules.low_index_threshold)
    basic = basic_pension_by_rules(calc_base, wage, months, years, rules, factor)
    return Parts(basic, account_pension_by_rules(balance, payout.months, rules), payout, rules, missing, factor)


def low_index_note(average_index: Decimal, rules: BenefitRules, factor: Decimal) -> str | None:
    """What an answer says where the 计发基数 term was scaled by 广东's a (an index below the threshold)."""
    if factor == 1 or rules.low_index_threshold is None:
        return None
    threshold = plain(rules.low_index_threshold)
    return (
        f"平均缴费指数{plain(to_index(average_index))}低于{threshold}：基础养老金中的计发基数一项乘以"
        f" a = 平均缴费指数 ÷ {threshold} = {factor:f}（本地区核定表所印“计发基数 × a”；a 的算法和保留四位小数"
        "据核定表推定，未见文件原文，以经办机构核定为准）。"
    )


def parts_notes(parts: Parts, average_index: Decimal) -> list[str]:
    """What the record mode and the estimate say of how the parts were computed: a second 计发基数 not given (the
    first one used), 广东's a."""
    said = [second_base_note(parts.rules)] if parts.base_missing else []
    scaled = low_index_note(average_index, parts.rules, parts.factor)
    return [*said, scaled] if scaled else said


def second_base_note(rules: BenefitRules) -> str:
    """What an answer says when the region indexes by a second 计发基数 it was not given (the first one used)."""
    wanted = INDEX_BASES[rules.index_base].label
    return (
        f"本地区基础养老金中的本人指数化月平均缴费工资按{wanted}×平均缴费指数计算；{wanted}未填写（本服务未收录），"
        "按计发基数计算（两者相同时结果不变，不同时以经办机构核定为准）。"
    )


def payout_note(payout: PayoutMonths, age_months: int) -> str | None:
    """What the answer says about the 计发月数 of an age with months (a derived or a whole-year figure)."""
    if payout.between:
        return (
            f"{age_words(age_months)}退休的计发月数{payout.months:f}按相邻整岁计发月数逐月均分、保留一位小数得出"
            "（到月的月数表；据济南市答复所举两例和各地核定表推定，待官方全表核实）。"
        )
    if not payout.exact:
        return (
            f"{age_words(age_months)}的按月计发月数本服务未收录，暂按{payout.key}岁的"
            f"{payout.months:f}个月计算；核定时请以当地“到月的月数表”为准。"
        )
    return None


# ---------------------------------------------------------------- a clerk's record


@dataclass(frozen=True)
class BenefitRequest:
    calc_base: Decimal
    average_index: Decimal
    contribution_months: int | None
    account_balance: Decimal
    retirement_age_months: int
    month: Month  # the month of retirement: which payout table and which rules are in force
    region: str = NATIONAL  # whose rules (缴费年限精度、取整); the national default without one
    contribution_years: Decimal | None = None  # 缴费年限 as the sheet prints it, used as printed
    indexed_wage: Decimal | None = None  # 本人指数化月平均缴费工资 as printed; default 计发基数 × 指数
    sheet_payout_months: Decimal | None = None  # 计发月数 as the sheet prints it, compared with the table
    index_base: Decimal | None = None  # the second 计发基数 where the region indexes by another (河南, 吉林)
    # 过渡性养老金: the years the province counts (视同缴费年限 or those before the personal account), as
    # the sheet prints them or in months, and the index it uses where the sheet prints one of its own
    transitional_years: Decimal | None = None
    transitional_months: int | None = None
    transitional_index: Decimal | None = None
    transitional_old_method: Decimal | None = None  # 江苏: 原办法过渡性养老金 as the sheet prints it


@dataclass(frozen=True)
class Recomputed:
    """预发 and 补发: the 计发基数 the store holds as final for the retirement year, and the basic pension on it."""

    calc_base: Decimal
    year: int | None
    basic: Decimal


@dataclass(frozen=True)
class Transitional:
    """过渡性养老金 as computed, with its basis: the wage, the index and the years it used."""

    amount: Decimal
    wage: Decimal
    index: Decimal
    years: Decimal
    rule: TransitionalRule
    new_method: Decimal | None = None  # 江苏: the new method's amount, where the old one and a share gave the amount
    old_method: Decimal | None = None
    share: Decimal | None = None


@dataclass
class Benefit:
    request: BenefitRequest
    basic: Decimal
    account: Decimal
    payout: PayoutMonths
    rules: BenefitRules
    notes: list[str]
    used: list[Resolved]
    final: Recomputed | None = None  # the sheet's base differs from the year's final figure
    transitional: Transitional | None = None  # None: not held for the region (未覆盖), or no years given
    factor: Decimal = Decimal(1)  # 广东's a on the 计发基数 term

    @property
    def total(self) -> Decimal:
        return self.basic + self.account + (self.transitional.amount if self.transitional else 0)


def benefit(params: Parameters, request: BenefitRequest) -> Benefit:
    """A person's record as the 核定表 states it: the basic and the account pension, by the region's rules."""
    if request.region not in params.regions:
        raise QuoteError("region", f"未知地区代码“{request.region}”，请从地区列表中选择。", "unknown_region", 404)
    if request.contribution_months is None and request.contribution_years is None:
        raise QuoteError("contribution_months", "请填写缴费月数，或按核定表填写缴费年限。", "required", 422)
    if request.contribution_months is not None and request.contribution_years is not None:
        both = "缴费月数和缴费年限只填一项：核定表印有缴费年限的填年限（按所印数值计算），否则填月数。"
        raise QuoteError("contribution_years", both, "conflict", 422)
    at, national = RegionLookup(params, request.region), RegionLookup(params, NATIONAL)
    years = request.contribution_years
    months = request.contribution_months if request.contribution_months is not None else 0
    parts = pension_parts(
        at,
        national,
        request.month,
        request.calc_base,
        request.average_index,
        months,
        years,
        request.account_balance,
        request.retirement_age_months,
        index_base=request.index_base,
        printed_wage=request.indexed_wage,
    )
    bridge, said_of_it = transitional(request, parts.rules)
    notes = [said_of_it]
    if parts.base_missing:
        wanted = INDEX_BASES[parts.rules.index_base]
        if wanted.required:
            raise QuoteError(
                "index_base",
                f"本地区基础养老金按全省计发基数和{wanted.label}两个基数计发：请填写核定表所印的{wanted.label}"
                "（或所印本人指数化月平均缴费工资）。",
                "required",
                422,
            )
    notes += parts_notes(parts, request.average_index)
    said = payout_note(parts.payout, request.retirement_age_months)
    if said:
        notes.append(said)
    printed = request.sheet_payout_months
    if printed is not None and printed != parts.payout.months:
        notes.append(
            f"核定表所印计发月数{printed:f}与本服务按{age_words(request.retirement_age_months)}查表所得"
            f"{parts.payout.months:f}不一致：个人账户养老金按本服务查表所得计算，请核对出生年月和退休年龄。"
        )
    final = recomputed(at, request, months, years, parts.rules)
    if final is not None:
        notes.append(
            f"核定表所用计发基数{request.calc_base:f}元不是{final.year}年的最终计发基数{final.calc_base:f}元：按前者计发的是预发待遇，"
            f"公布后按后者重新核算、补发差额，基础养老金为{final.basic:f}元（个人缴费指数不变；以经办机构重算为准）。"
        )
    used = list(at.used.values()) + [r for r in national.used.values() if r not in at.used.values()]
    return Benefit(
        request, parts.basic, parts.account, parts.payout, parts.rules, notes, used, final, bridge, parts.factor
    )


NOT_INCLUDED = "不含各地增发项目和以后年度的养老金调整；实际待遇以社保经办机构核定为准。"


def transitional(request: BenefitRequest, rules: BenefitRules) -> tuple[Transitional | None, str]:
    """过渡性养老金 by the region's rule where it is held and the record gives its years; what the answer says."""
    months, years = request.transitional_months, request.transitional_years
    if months is not None and years is not None:
        both = "过渡性养老金年限和月数只填一项：核定表印有年限的填年限（按所印数值计算），否则填月数。"
        raise QuoteError("transitional_years", both, "conflict", 422)
    rule = rules.transitional
    given = months is not None or years is not None
    share = share_in(rule.phase_in, request.month.year) if rule is not None else None  # 江苏's yearly share
    if request.transitional_old_method is not None and share is None:
        raise QuoteError(
            "transitional_old_method",
            "本地区（本退休年度）过渡性养老金不按新办法、原办法比较发放：原办法过渡性养老金不用填写。",
            "not_applicable",
            422,
        )
    if rule is None:
        unused = "所填过渡性养老金年限未使用；" if given else ""
        return None, (
            "过渡性养老金：本服务未覆盖本地区（未收录本地区过渡性养老金计发办法的文件），"
            f"本核算不含过渡性养老金，{unused}{NOT_INCLUDED}"
        )
    label = CHOICE_LABELS[rule.years]
    if not given:
        return None, (
            f"本地区过渡性养老金按{label}计算（过渡系数{percent(rule.rate)}）：未填写该年限，本核算不含过渡性养老金；"
            + NOT_INCLUDED
        )
    if years is None:
        assert months is not None
        years = contribution_years(months, rules.years_precision) or Decimal(months) / 12
    index = request.transitional_index if request.transitional_index is not None else request.average_index
    printed = request.indexed_wage if request.transitional_index is None else None
    wage = transitional_wage(request.calc_base, index, rule.wage, printed)
    amount = transitional_pension(wage, years, rule, rules.part_rounding)
    said = f"过渡性养老金按{label}计算；{NOT_INCLUDED}"
    if share is not None:
        old = request.transitional_old_method
        if old is None:
            said = (
                f"本地区新办法过渡性养老金高于原办法的部分，{request.month.year}年按{percent(share)}发放：原办法过渡性养老金"
                "未填写，所示为新办法金额（实发以核定表为准）；" + said
            )
        else:
            paid = phased_in(amount, old, share, rules.part_rounding)
            return Transitional(paid, wage, index, years, rule, amount, old, share), said
    if request.transitional_index is None:
        said = (
            f"过渡性养老金所用平均缴费指数未填写，按平均缴费指数{request.average_index:f}计算"
            "（核定表另印过渡性养老金指数的，请填写所印指数）；" + said
        )
    return Transitional(amount, wage, index, years, rule), said


def recomputed(
    at: Lookup, request: BenefitRequest, months: int, years: Decimal | None, rules: BenefitRules
) -> Recomputed | None:
    """The basic pension on the retirement year's final 计发基数, where the sheet used another (预发 → 补发).

    Only a figure the store holds for the retirement year itself counts (not one served provisionally); a
    region without any 计发基数 gives nothing. The index stays the sheet's; a printed indexed wage is not
    recomputed (it was the index × the base the sheet used), so the final one is the final base × the index.
    """
    if request.region == NATIONAL or rules.index_base != "sheet_calc_base":
        # two bases (河南, 吉林) are both replaced when the year's figures come out; the store holds one of them
        return None
    try:  # looked up aside: the version is a reference of the answer only when it changes the figure
        resolved = RegionLookup(at.params, request.region)("pension_calc_base", request.month)
    except QuoteError:
        return None
    figure = resolved.version.decimal("calc_base_monthly")
    if resolved.provisional or figure is None or figure == request.calc_base:
        return None
    at.note(resolved)
    factor = base_factor(request.average_index, rules.low_index_threshold)
    basic = basic_pension_by_rules(figure, figure * request.average_index, months, years, rules, factor)
    return Recomputed(figure, resolved.version.contribution_year, basic)
