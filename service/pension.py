"""The pension estimate at the edges: the JSON API (/api/v1/pension/...), and what the pages show.

Interfaces only translate: marshmallow loads the request, calc.estimate computes, and the answer
(every amount a two-decimal string) lists every parameter version used, as /calculate does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from calc.estimate import Benefit, BenefitRequest, Estimate, EstimateRequest, benefit, estimate, estimate_tiers
from calc.pension import Assumptions
from calc.retirement import CATEGORIES, age_words, years_words
from calc.rounding import to_index
from rates.store import Snapshot
from service import errors, schemas
from service.api import ApiBlueprint, current_month, document_errors
from service.db import snapshot
from service.present import ordered, percent, used_versions

blp = ApiBlueprint("pension", __name__, url_prefix="/api/v1/pension", description="养老金估算（基本养老金）")

errors.FIELD_LABELS.update(
    {
        "birth_month": "出生年月",
        "category": "人员类别",
        "paid_months": "已缴费月数",
        "paid_average_index": "已缴月份平均缴费指数",
        "account_balance": "个人账户储存额",
        "retire_early_months": "弹性提前退休月数",
        "retire_late_months": "弹性延迟退休月数",
        "assumptions": "假设",
        "calc_base": "计发基数",
        "average_index": "平均缴费指数",
        "contribution_months": "缴费月数",
        "retirement_age_months": "退休年龄（月）",
    }
)

MAX_RATE = Decimal("0.2")  # a sanity limit on an assumed yearly rate, not a policy figure


# ---------------------------------------------------------------- schemas


class AssumptionsSchema(Schema):
    account_interest_rate = schemas.DecimalText(
        places=4,
        maximum=MAX_RATE,
        load_default=Decimal(0),
        metadata={"description": "个人账户记账利率（每年，假设），如 0.02；默认0（今天的钱）", "example": "0"},
    )
    wage_growth = schemas.DecimalText(
        places=4,
        maximum=MAX_RATE,
        load_default=Decimal(0),
        metadata={"description": "平均工资年增长率（假设），如 0.03；默认0（今天的钱）", "example": "0"},
    )


_MONTHS = validate.Range(min=0, max=120, error="须为0至120之间的整数。")


class EstimateRequestSchema(Schema):
    region = fields.String(required=True, validate=validate.Length(max=12), metadata={"example": "530100"})
    birth_month = schemas.MonthField(required=True, metadata={"description": "出生年月"})
    category = fields.String(
        required=True,
        validate=validate.OneOf(list(CATEGORIES), error="只能是 male、female_55 或 female_50。"),
        metadata={"enum": list(CATEGORIES), "description": "男职工；原55岁退休的女职工；原50岁退休的女职工"},
    )
    base_ratio = schemas.DecimalText(places=4, maximum=Decimal(10), required=True)
    start = schemas.MonthField(load_default=None, metadata={"description": "从哪个月起缴费，默认本月"})
    paid_months = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=720, error="须为0至720之间的整数。")
    )
    paid_average_index = schemas.DecimalText(
        places=4, maximum=Decimal(10), load_default=None, allow_none=True, metadata={"example": "0.6"}
    )
    account_balance = schemas.DecimalText(
        places=2, maximum=Decimal(10**9), load_default=None, allow_none=True, metadata={"example": "20000"}
    )
    retire_early_months = fields.Integer(strict=True, load_default=0, validate=_MONTHS)
    retire_late_months = fields.Integer(strict=True, load_default=0, validate=_MONTHS)
    assumptions = fields.Nested(AssumptionsSchema, load_default=lambda: {"account_interest_rate": 0, "wage_growth": 0})

    @validates_schema
    def _one_direction(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("retire_early_months") and data.get("retire_late_months"):
            raise ValidationError("提前退休和延迟退休只能选一项。", "retire_late_months")


class BenefitRequestSchema(Schema):
    calc_base = schemas.DecimalText(places=2, maximum=Decimal(10**6), required=True, metadata={"example": "7010"})
    average_index = schemas.DecimalText(places=4, maximum=Decimal(10), required=True, metadata={"example": "2.8635"})
    contribution_months = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=720, error="须为1至720之间的整数。")
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


class AssumptionOutSchema(Schema):
    name = fields.String()
    label = fields.String()
    value = fields.String()
    text = fields.String()
    sourced = fields.Boolean(metadata={"description": "false：假设（无公布数值）"})


class PensionPartsSchema(Schema):
    basic = schemas.Money(metadata={"description": "基础养老金"})
    account = schemas.Money(metadata={"description": "个人账户养老金"})
    total = schemas.Money()


class EstimateSchema(Schema):
    region = fields.String()
    region_name = fields.String()
    birth_month = fields.String()
    category = fields.String()
    category_label = fields.String()
    base_ratio = schemas.Ratio()
    percent = fields.String()
    start = fields.String()
    retirement_month = fields.String()
    retirement_age = fields.String(metadata={"description": "退休年龄（文字），如 63岁"})
    retirement_age_months = fields.Integer()
    statutory_retirement_month = fields.String()
    statutory_retirement_age = fields.String()
    contribution_months = fields.Integer(metadata={"description": "到退休时累计缴费月数（含已缴）"})
    contribution_years = fields.String()
    future_months = fields.Integer(metadata={"description": "从起始月份到退休前一个月的缴费月数"})
    minimum_months = fields.Integer()
    minimum_years = fields.String()
    minimum_reached = fields.Boolean()
    months_short = fields.Integer()
    base = schemas.Money(metadata={"description": "所选档次今天的月缴费基数"})
    monthly_contribution = schemas.Money()
    contributions = schemas.Money(metadata={"description": "从起始月份缴到退休的合计"})
    average_index = fields.String(metadata={"description": "本人平均缴费指数（显示四位小数，计算用精确值）"})
    calc_base = schemas.Money()
    calc_base_year = fields.Integer(allow_none=True)
    account_balance = schemas.Money(metadata={"description": "退休时个人账户储存额"})
    payout_months = fields.String()
    payout_months_exact = fields.Boolean()
    monthly_pension = fields.Nested(PensionPartsSchema)
    payback_years = fields.String(allow_none=True, metadata={"description": "回本年限 = 缴费合计 ÷ 每年养老金"})
    provisional = fields.Boolean()
    assumptions = fields.List(fields.Nested(AssumptionOutSchema))
    notes = fields.List(fields.String())
    references = fields.List(fields.Nested(schemas.VersionSchema))


class BenefitSchema(Schema):
    basic_pension = schemas.Money()
    account_pension = schemas.Money()
    total = schemas.Money()
    payout_months = fields.String()
    payout_months_exact = fields.Boolean()
    retirement_age = fields.String()
    notes = fields.List(fields.String())
    references = fields.List(fields.Nested(schemas.VersionSchema))


# ---------------------------------------------------------------- answers


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def estimate_data(snap: Snapshot, result: Estimate) -> dict[str, Any]:
    request, reached = result.request, result.retirement
    return {
        "region": request.region,
        "region_name": snap.regions[request.region].name,
        "birth_month": str(request.birth_month),
        "category": request.category,
        "category_label": CATEGORIES[request.category],
        "base_ratio": request.base_ratio,
        "percent": percent(request.base_ratio),
        "start": str(request.start),
        "retirement_month": str(reached.month),
        "retirement_age": age_words(reached.age),
        "retirement_age_months": reached.age,
        "statutory_retirement_month": str(result.statutory_month),
        "statutory_retirement_age": age_words(reached.statutory_age),
        "contribution_months": result.months_by_retirement,
        "contribution_years": years_words(result.months_by_retirement),
        "future_months": result.future_months,
        "minimum_months": result.minimum_months,
        "minimum_years": years_words(result.minimum_months),
        "minimum_reached": result.minimum_reached,
        "months_short": result.months_short,
        "base": result.base,
        "monthly_contribution": result.monthly_contribution,
        "contributions": result.contributions,
        "average_index": _plain(to_index(result.average_index)),
        "calc_base": result.calc_base,
        "calc_base_year": result.calc_base_year,
        "account_balance": result.balance,
        "payout_months": _plain(result.payout.months),
        "payout_months_exact": result.payout.exact,
        "monthly_pension": {"basic": result.basic, "account": result.account, "total": result.total},
        "payback_years": _plain(result.payback) if result.payback is not None else None,
        "provisional": result.provisional,
        "assumptions": [a.__dict__ | {"sourced": False} for a in result.assumptions],
        "notes": result.notes,
        "references": used_versions(snap, ordered(result.used)),
    }


def benefit_data(snap: Snapshot, result: Benefit) -> dict[str, Any]:
    return {
        "basic_pension": result.basic,
        "account_pension": result.account,
        "total": result.total,
        "payout_months": _plain(result.payout.months),
        "payout_months_exact": result.payout.exact,
        "retirement_age": age_words(result.request.retirement_age_months),
        "notes": result.notes,
        "references": used_versions(snap, ordered(result.used)),
    }


def estimate_request(body: dict[str, Any]) -> EstimateRequest:
    """The loaded request schema as the engine's request (start defaults to this month)."""
    assumed = body.get("assumptions") or {}
    return EstimateRequest(
        region=body["region"],
        birth_month=body["birth_month"],
        category=body["category"],
        base_ratio=body["base_ratio"],
        start=body.get("start") or current_month(),
        paid_months=body.get("paid_months", 0),
        paid_average_index=body.get("paid_average_index"),
        account_balance=body.get("account_balance"),
        retire_early_months=body.get("retire_early_months", 0),
        retire_late_months=body.get("retire_late_months", 0),
        assumptions=Assumptions(
            Decimal(assumed.get("account_interest_rate", 0)), Decimal(assumed.get("wage_growth", 0))
        ),
    )


_ESTIMATE = EstimateSchema()


def estimate_answer(snap: Snapshot, request: EstimateRequest) -> dict[str, Any]:
    """The API's answer for one tier (amounts as two-decimal strings)."""
    return _ESTIMATE.dump(estimate_data(snap, estimate(snap, request)))


def tiers_answer(snap: Snapshot, request: EstimateRequest) -> list[dict[str, Any]]:
    """The API's answer for every tier (60% … 300%) of the same worker."""
    return [_ESTIMATE.dump(estimate_data(snap, e)) for e in estimate_tiers(snap, request)]


# ---------------------------------------------------------------- routes


@blp.route("/estimate")
class PensionEstimate(MethodView):
    @blp.arguments(EstimateRequestSchema())
    @blp.response(200, EstimateSchema)
    @document_errors(400, 404, 415, 422, on=blp)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """按出生年月、人员类别和缴费档次估算退休时间、月养老金（基础养老金和个人账户养老金）与回本年限"""
        snap = snapshot()
        return estimate_data(snap, estimate(snap, estimate_request(body)))


@blp.route("/benefit")
class PensionBenefit(MethodView):
    @blp.arguments(BenefitRequestSchema())
    @blp.response(200, BenefitSchema)
    @document_errors(400, 415, 422, on=blp)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """经办核算：按核定表数据计算基础养老金和个人账户养老金，各自精确到分"""
        snap = snapshot()
        request = BenefitRequest(
            calc_base=body["calc_base"],
            average_index=body["average_index"],
            contribution_months=body["contribution_months"],
            account_balance=body["account_balance"],
            retirement_age_months=body["retirement_age_months"],
            month=body.get("month") or current_month(),
        )
        return benefit_data(snap, benefit(snap, request))
