"""What a platform (or its partner) pays for a month's orders under 新就业形态人员职业伤害保障 (人社部发〔2025〕24号).

The per-order amounts, the provinces' starts and floats come from ``rates.protection`` (its YAML, with the
documents); the arithmetic is ``calc.rules.injury_protection_fee``. A month the service cannot price from a
document (before a province's pilot, before the first known schedule, a province without a notice, a draft) is
refused with the reason in Chinese, never estimated. The API, the orders batch and the CLI all price here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from calc.lines import MAX_FACTOR, QuoteError, plain
from calc.rules import rule_for
from rates.families import TRUST_LEVELS
from rates.model import Region
from rates.months import Month
from rates.protection import ASK, Document, FeeSchedule, Protection, Province, province_of

SCHEME = "injury_protection_fee"
LABEL = "新就业形态人员职业伤害保障费"
# A sanity limit on one row (one month, place and industry), not a policy figure.
MAX_ORDERS = 1_000_000_000


@dataclass(frozen=True)
class FeeRequest:
    region: str
    month: Month
    industry: str
    orders: int
    per_order: Decimal | None = None  # 缴费基准额: needed where the industry has several (即时配送)
    factor: Decimal = Decimal(1)  # 浮动系数, as the 经办机构 set it; 1 where nothing floats


@dataclass(frozen=True)
class FeeAnswer:
    region: str
    region_name: str
    province: str
    province_name: str
    month: Month
    industry: str
    orders: int
    per_order: Decimal
    factor: Decimal
    fee: Decimal  # to the fen
    trust: str  # the weakest of the documents it rests on
    documents: tuple[Document, ...]
    notes: tuple[str, ...]


def _amounts(values: tuple[Decimal, ...]) -> str:
    return "或".join(f"{plain(v)}" for v in values)


def _day(province: Province) -> str:
    since = province.since
    return f"{since.year}年{since.month}月{since.day}日"


def schedule_for(data: Protection, month: Month) -> FeeSchedule | None:
    """The per-order amounts in force in ``month``: the latest schedule from that month or before, or None."""
    in_force = [s for s in data.order_fees if s.since <= month]
    return in_force[-1] if in_force else None


def _industry(data: Protection, asked: str) -> str:
    industry = asked.strip()
    known = list(data.national["industries"])
    if industry in known:
        return industry
    renamed = {k: v for s in data.order_fees for k, v in s.renamed.items()}
    if industry in renamed:
        raise QuoteError("industry", renamed[industry], "out_of_range", 422)
    shown = industry[:20] or "（空）"
    raise QuoteError(
        "industry",
        f"“{shown}”不是职业伤害保障试点的行业：试点行业为{'、'.join(known)}（人社部发〔2025〕24号），请从中选择。",
        "out_of_range",
        422,
    )


def _entry(data: Protection, province: Region, month: Month) -> Province:
    """The province's pilot entry, if the month is in its pilot; otherwise why not, in Chinese."""
    entry = data.provinces.get(province.code)
    if entry is None:
        raise QuoteError(
            "region",
            f"未查到{province.name}的职业伤害保障试点通知或启动时间，本服务不作推断，不计算缴费。"
            f"{data.national['rollout']}请向{ASK}咨询。",
            "not_configured",
            422,
        )
    if entry.draft:
        raise QuoteError(
            "region",
            f"{province.name}拟于{_day(entry)}起开展试点，但只见于征求意见稿，未查到正式通知，本服务不计算缴费："
            f"以正式通知为准，请向{ASK}咨询。",
            "not_configured",
            422,
        )
    if month < Month(entry.since.year, entry.since.month):
        raise QuoteError(
            "month",
            f"{province.name}自{_day(entry)}起开展新就业形态人员职业伤害保障试点（{entry.batch}），"
            f"{month}不在试点期内，本服务不计算该月的缴费：请改选{entry.since.year}-{entry.since.month:02d}及以后的月份。",
            "not_configured",
            422,
        )
    return entry


def _per_order(schedule: FeeSchedule, industry: str, asked: Decimal | None) -> Decimal:
    amounts = schedule.amounts[industry]
    cited = schedule.document.doc_no or schedule.document.title
    if asked is None:
        if len(amounts) == 1:
            return amounts[0]
        raise QuoteError(
            "per_order",
            f"{schedule.choose[industry]}请填写缴费基准额（{_amounts(amounts)}元/单）。",
            "required",
            422,
        )
    if asked not in amounts:
        raise QuoteError(
            "per_order",
            f"{industry}行业的缴费基准额只能是每单{_amounts(amounts)}元（{cited}），不能是{plain(asked)}元："
            "请按经办机构核定的基准额填写。",
            "out_of_range",
            422,
        )
    return asked


def _factor(province: Region, entry: Province, month: Month, factor: Decimal) -> list[str]:
    if not Decimal(0) < factor <= MAX_FACTOR:
        raise QuoteError("factor", f"浮动系数须大于0且不超过{MAX_FACTOR}（不浮动填1）。", "out_of_range", 422)
    if factor == 1:
        return []
    if entry.float_from is not None and month < entry.float_from:
        raise QuoteError(
            "factor",
            f"{province.name}的缴费基准额自{entry.float_from.year}年{entry.float_from.month}月起才浮动"
            f"（{entry.float_note}），{month}请按浮动系数1填写。",
            "out_of_range",
            422,
        )
    return [f"浮动系数{plain(factor)}按填写的经办机构核定值计算，本服务未能查到浮动档次，不作核实。"]


def _weakest(documents: tuple[Document, ...]) -> str:
    return max((d.trust for d in documents), key=TRUST_LEVELS.index)


def terms(data: Protection, regions: dict[str, Region], request: FeeRequest) -> FeeAnswer:
    """Everything of a request's answer but its orders (the per-order amount, the float, the documents), with no
    fee yet; ``QuoteError`` (Chinese) when the month, place or industry is not priced. A batch asks it once per
    distinct (place, month, industry, amount, float) and prices each row with ``with_orders``."""
    if request.region not in regions or request.region == "000000":
        raise QuoteError("region", f"未知地区代码“{request.region[:12]}”，请从地区列表中选择。", "unknown_region", 404)
    province = province_of(regions, request.region)
    schedule = schedule_for(data, request.month)
    industry = _industry(data, request.industry)
    entry = _entry(data, province, request.month)
    if schedule is None:
        first = data.order_fees[0]
        raise QuoteError(
            "month",
            f"{first.before}：{first.since.year}年{first.since.month}月起按"
            f"{first.document.doc_no or first.document.title}的缴费基准额计算。"
            f"{request.month}的缴费标准请向{ASK}咨询。",
            "not_configured",
            422,
        )
    per_order = _per_order(schedule, industry, request.per_order)
    notes = _factor(province, entry, request.month, request.factor)
    since = entry.since
    if request.month == Month(since.year, since.month) and since.day != 1:
        notes.insert(0, f"{province.name}自{_day(entry)}起试点：{request.month}只计该日起的订单。")
    documents = (schedule.document, *entry.documents)
    return FeeAnswer(
        request.region,
        regions[request.region].name,
        province.code,
        province.name,
        request.month,
        industry,
        0,
        per_order,
        request.factor,
        Decimal("0.00"),
        _weakest(documents),
        documents,
        tuple(notes),
    )


def with_orders(answer: FeeAnswer, orders: int) -> FeeAnswer:
    """The answer for ``orders`` orders: the fee by the rule in force in its month (``calc.rules``)."""
    if isinstance(orders, bool) or not 0 <= orders <= MAX_ORDERS:
        raise QuoteError("orders", f"单量须为0至{MAX_ORDERS}之间的整数。", "out_of_range", 422)
    fee = rule_for(SCHEME, answer.month)(orders, answer.per_order, answer.factor)
    assert isinstance(fee, Decimal)
    return replace(answer, orders=orders, fee=fee)


def price_fee(data: Protection, regions: dict[str, Region], request: FeeRequest) -> FeeAnswer:
    """The fee of one month's orders of one industry in one region; ``QuoteError`` (Chinese) when not priced."""
    return with_orders(terms(data, regions, request), request.orders)
