"""The clerk's record mode (经办核算) at the edges: its request and answer schemas and their translation.

Split from service.pension.views (module size). Shared by POST /api/v1/pension/benefit and /window/benefit, so
the API and the page load the same fields and give the same money.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields, validate

from calc.lines import percent, plain
from calc.record import NATIONAL, Benefit, BenefitRequest, Transitional
from calc.retirement import age_words
from rates.families import CHOICE_LABELS
from rates.store import Snapshot
from service.answer.present import ordered, used_versions
from service.api import schemas
from service.api.base import current_month
from service.core import errors

errors.FIELD_LABELS.update(
    {
        "transitional_years": "过渡性养老金年限",
        "transitional_months": "过渡性养老金月数",
        "transitional_index": "过渡性养老金所用平均缴费指数",
        "transitional_old_method": "原办法过渡性养老金",
    }
)


class BenefitRequestSchema(Schema):
    region = fields.String(
        load_default=NATIONAL,
        validate=validate.Length(max=12),
        metadata={
            "example": "320000",
            "pattern": schemas.REGION_PATTERN,
            "description": "按哪个地区的计发口径（缴费年限精度、取整）；默认全国口径",
        },
    )
    calc_base = schemas.DecimalText(places=2, maximum=Decimal(10**6), required=True, metadata={"example": "7010"})
    # 山西's sheets print the index to six decimals
    average_index = schemas.DecimalText(places=6, maximum=Decimal(10), required=True, metadata={"example": "2.8635"})
    contribution_months = fields.Integer(
        strict=True,
        load_default=None,
        validate=validate.Range(min=1, max=720, error="须为1至720之间的整数。"),
        metadata={"description": "缴费月数（按地区口径折算为年限）；与 contribution_years 二选一"},
    )
    contribution_years = schemas.DecimalText(
        places=4,
        maximum=Decimal(100),
        load_default=None,
        allow_none=True,
        metadata={"example": "25.33", "description": "核定表所印缴费年限（按所印数值计算），与缴费月数二选一"},
    )
    indexed_wage = schemas.DecimalText(
        places=6,
        maximum=Decimal(10**6),
        load_default=None,
        allow_none=True,
        metadata={"description": "核定表所印本人指数化月平均缴费工资；默认 计发基数 × 平均缴费指数"},
    )
    index_base = schemas.DecimalText(
        places=2,
        maximum=Decimal(10**6),
        load_default=None,
        allow_none=True,
        metadata={
            "example": "7933",
            "description": "第二个计发基数：河南填退休地（统筹地区）计发基数（必填，或填所印指数化工资），"
            "吉林长春填全省计发基数；其他地区不填",
        },
    )
    sheet_payout_months = schemas.DecimalText(
        places=1,
        maximum=Decimal(1000),
        load_default=None,
        allow_none=True,
        metadata={"description": "核定表所印计发月数：与本服务查表所得不同时，回答中说明（按查表所得计算）"},
    )
    transitional_years = schemas.DecimalText(
        places=4,
        maximum=Decimal(100),
        load_default=None,
        allow_none=True,
        metadata={
            "example": "9.42",
            "description": "过渡性养老金年限（视同缴费年限或建账前缴费年限，按地区规定），核定表所印；"
            "与 transitional_months 二选一",
        },
    )
    transitional_months = fields.Integer(
        strict=True,
        load_default=None,
        validate=validate.Range(min=0, max=720, error="须为0至720之间的整数。"),
        metadata={"description": "过渡性养老金月数（按地区口径折算为年限）；与 transitional_years 二选一"},
    )
    transitional_index = schemas.DecimalText(
        places=6,
        maximum=Decimal(10),
        load_default=None,
        allow_none=True,
        metadata={
            "example": "0.81",
            "description": "过渡性养老金所用平均缴费指数（视同缴费指数、1995年底前指数等，核定表另印时填写）；"
            "默认平均缴费指数",
        },
    )
    transitional_old_method = schemas.DecimalText(
        places=2,
        maximum=Decimal(10**6),
        load_default=None,
        allow_none=True,
        metadata={
            "example": "479.83",
            "description": "原办法过渡性养老金（江苏：新办法高于原办法的部分按年度比例发放，核定表所印）；其他地区不填",
        },
    )
    account_balance = schemas.DecimalText(
        places=2, maximum=Decimal(10**9), required=True, metadata={"example": "326284.41"}
    )
    retirement_age_months = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=480, max=840, error="须为480至840之间的整数（720 = 60岁）。"),
        metadata={"example": 720},
    )
    month = schemas.MonthField(load_default=None, metadata={"description": "退休月份（决定所用计发月数表），默认本月"})


class BenefitSchema(Schema):
    basic_pension = schemas.Money(metadata={"description": "按地区口径取整（如广西见分进角）"})
    account_pension = schemas.Money()
    years_precision = fields.String(metadata={"description": "所用缴费年限精度口径"})
    part_rounding = fields.String(metadata={"description": "所用取整口径"})
    basic_rounding = fields.String(metadata={"description": "基础养老金所用取整口径（上海见分进角；其他同各项）"})
    remainder_month_rate = fields.String(
        allow_none=True, metadata={"description": "满整年后剩余月数每月计发比例（上海0.083%）；按月数÷12折算时为空"}
    )
    indexed_by = fields.String(metadata={"description": "本人指数化月平均缴费工资所用基数（河南、吉林另有规定）"})
    base_factor = fields.String(
        allow_none=True,
        metadata={"description": "计发基数一项所乘系数 a（广东：平均缴费指数低于0.6时 a = 指数 ÷ 0.6）；不适用时为空"},
    )
    final_calc_base = schemas.Money(
        allow_none=True, metadata={"description": "退休当年的最终计发基数（与核定表所用不同时；否则为空）"}
    )
    final_basic_pension = schemas.Money(
        allow_none=True, metadata={"description": "按最终计发基数重新核算的基础养老金（预发→补发）"}
    )
    transitional_pension = schemas.Money(
        allow_none=True, metadata={"description": "过渡性养老金（地区计发办法已收录且填写了年限时；否则为空）"}
    )
    transitional_formula = fields.String(allow_none=True, metadata={"description": "过渡性养老金的计算依据"})
    transitional_covered = fields.Boolean(metadata={"description": "false：本地区过渡性养老金计发办法本服务未覆盖"})
    total = schemas.Money(metadata={"description": "基础养老金 + 个人账户养老金 + 过渡性养老金（已计算时）"})
    payout_months = fields.String()
    payout_months_exact = fields.Boolean()
    retirement_age = fields.String()
    notes = fields.List(fields.String())
    references = fields.List(fields.Nested(schemas.VersionSchema))


def transitional_formula(part: Transitional) -> str:
    """The 过渡性养老金 line's basis, as people read it: the wage, the years and the rate it used."""
    years = CHOICE_LABELS[part.rule.years]
    if part.rule.wage == "indexed_wage":
        wage = f"本人指数化月平均缴费工资 {part.wage:f}（过渡性养老金所用平均缴费指数 {part.index:f}）"
    else:
        wage = f"（计发基数 + 本人指数化月平均缴费工资）÷ 2 = {part.wage:f}"
    said = f"过渡性养老金 = {wage} × {years} {plain(part.years)} 年 × 过渡系数 {percent(part.rule.rate)}"
    if part.new_method is None or part.old_method is None or part.share is None:
        return said
    if part.new_method <= part.old_method:
        return f"新办法{said} = {part.new_method:f}，不高于原办法 {part.old_method:f}：按原办法发放"
    return (
        f"新办法{said} = {part.new_method:f}；实发 = 原办法 {part.old_method:f} +（新办法 − 原办法）×"
        f" {percent(part.share)} = {part.amount:f}"
    )


def benefit_data(snap: Snapshot, result: Benefit) -> dict[str, Any]:
    return {
        "basic_pension": result.basic,
        "account_pension": result.account,
        "transitional_pension": result.transitional.amount if result.transitional else None,
        "transitional_formula": transitional_formula(result.transitional) if result.transitional else None,
        "transitional_covered": result.rules.transitional is not None,
        "total": result.total,
        "payout_months": plain(result.payout.months),
        "payout_months_exact": result.payout.exact,
        "years_precision": CHOICE_LABELS[result.rules.years_precision],
        "part_rounding": CHOICE_LABELS[result.rules.part_rounding],
        "basic_rounding": CHOICE_LABELS[result.rules.basic_rounding or result.rules.part_rounding],
        "remainder_month_rate": percent(rate) if (rate := result.rules.remainder_month_rate) is not None else None,
        "indexed_by": CHOICE_LABELS[result.rules.index_base],
        "base_factor": f"{result.factor:f}" if result.factor != 1 else None,
        "final_calc_base": result.final.calc_base if result.final else None,
        "final_basic_pension": result.final.basic if result.final else None,
        "retirement_age": age_words(result.request.retirement_age_months),
        "notes": result.notes,
        "references": used_versions(snap, ordered(result.used)),
    }


def benefit_request(body: dict[str, Any]) -> BenefitRequest:
    """The loaded record (API or the 经办核算 page) as the engine's request (month defaults to this month).

    Every field of the request is the schema's field of the same name: a field added to both is carried
    without being listed here."""
    given = {field.name: body.get(field.name) for field in dataclasses.fields(BenefitRequest)}
    return BenefitRequest(
        **given | {"month": body.get("month") or current_month(), "region": body.get("region") or NATIONAL}
    )
