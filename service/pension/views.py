"""The pension estimate at the edges: the JSON API (/api/v1/pension/...), and what the pages show.

Interfaces only translate: marshmallow loads the request, calc.estimate computes, and the answer
(every amount a two-decimal string) lists every parameter version used, as /calculate does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate

from calc.estimate import Estimate, EstimateRequest, estimate, estimate_tiers
from calc.lines import plain
from calc.pension import Assumptions
from calc.quote import QuoteError
from calc.record import benefit
from calc.retirement import CATEGORIES, age_words, years_words
from calc.rounding import to_index
from rates.store import Snapshot
from service.answer.present import ordered, percent, used_versions
from service.api import schemas
from service.api.base import ApiBlueprint, current_month, document_errors
from service.api.contract import engine_refusals
from service.core import errors
from service.core.db import snapshot
from service.pension.benefit_api import BenefitRequestSchema, BenefitSchema, benefit_data, benefit_request

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
        "contribution_years": "缴费年限",
        "indexed_wage": "本人指数化月平均缴费工资",
        "sheet_payout_months": "核定表所印计发月数",
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
    region = fields.String(
        required=True,
        validate=validate.Length(max=12),
        metadata={"example": "530100", "pattern": schemas.REGION_PATTERN},
    )
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


# ---------------------------------------------------------------- answers


def estimate_data(snap: Snapshot, result: Estimate, references: bool = True) -> dict[str, Any]:
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
        "average_index": plain(to_index(result.average_index)),
        "calc_base": result.calc_base,
        "calc_base_year": result.calc_base_year,
        "account_balance": result.balance,
        "payout_months": plain(result.payout.months),
        "payout_months_exact": result.payout.exact,
        "monthly_pension": {"basic": result.basic, "account": result.account, "total": result.total},
        "payback_years": f"{result.payback:f}" if result.payback is not None else None,
        "provisional": result.provisional,
        "assumptions": [a.__dict__ | {"sourced": False} for a in result.assumptions],
        "notes": result.notes,
        **({"references": used_versions(snap, ordered(result.used))} if references else {}),
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


def estimate_answer(snap: Snapshot, result: Estimate) -> dict[str, Any]:
    """The API's answer for one estimate (amounts as two-decimal strings)."""
    answer: dict[str, Any] = _ESTIMATE.dump(estimate_data(snap, result))
    return answer


def tiers_answer(snap: Snapshot, request: EstimateRequest) -> list[dict[str, Any]]:
    """The API's answer for every tier (60% … 300%) of the same worker."""
    return [estimate_answer(snap, e) for e in estimate_tiers(snap, request)]


# ---------------------------------------------------------------- routes


@blp.route("/estimate")
class PensionEstimate(MethodView):
    @blp.arguments(EstimateRequestSchema())
    @blp.response(200, EstimateSchema)
    @document_errors(blp, 400, 404, 415, 422)
    @engine_refusals
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """按出生年月、人员类别和缴费档次估算退休时间、月养老金（基础养老金和个人账户养老金）与回本年限"""
        snap = snapshot()
        return estimate_data(snap, estimate(snap, estimate_request(body)))


@blp.route("/benefit")
class PensionBenefit(MethodView):
    @blp.arguments(BenefitRequestSchema())
    @blp.response(200, BenefitSchema)
    @document_errors(blp, 400, 404, 415, 422)
    @engine_refusals
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """经办核算：按核定表数据计算基础养老金和个人账户养老金，各自精确到分"""
        snap = snapshot()
        return benefit_data(snap, benefit(snap, benefit_request(body)))


# ---------------------------------------------------------------- pages (测算 and 窗口)

PAGE_FIELDS = (
    "birth_month",
    "category",
    "paid_months",
    "paid_average_index",
    "account_balance",
    "retire_early_months",
    "retire_late_months",
    "account_interest_rate",
    "wage_growth",
)
_INTEGER_FIELDS = ("paid_months", "retire_early_months", "retire_late_months")
PENSION_CHART = {"width": 340, "label": 44, "value": 110, "row": 22, "bar": 14, "top": 6}


def page_values(form: Any) -> dict[str, str]:
    """What the user typed into the pension fields, trimmed and cut to a sane length."""
    given = (
        form.to_dict() if hasattr(form, "to_dict") else form
    )  # a plain dict: a MultiDict raises for every field absent
    values = {name: str(given.get(name, "")).strip()[:20] for name in PAGE_FIELDS}
    values["category"] = values["category"] if values["category"] in CATEGORIES else "male"
    return values


def load_page_request(values: dict[str, str], region: str) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The pension fields as the API's request (every tier is estimated), or a Chinese message per field."""
    raw: dict[str, Any] = {"region": region, "birth_month": values["birth_month"], "category": values["category"]}
    raw["base_ratio"] = "1"  # replaced by every tier; the schema only needs one
    for name in ("paid_average_index", "account_balance"):
        if values[name]:
            raw[name] = values[name]
    for name in _INTEGER_FIELDS:
        if values[name]:
            raw[name] = int(values[name]) if values[name].isdigit() else values[name]
    assumed = {name: values[name] for name in ("account_interest_rate", "wage_growth") if values[name]}
    if assumed:
        raw["assumptions"] = assumed
    try:
        return EstimateRequestSchema().load(raw), {}
    except ValidationError as error:
        found: dict[str, str] = {}
        for name, texts in errors._flatten(error.messages).items():
            found[name.split(".")[-1]] = texts[0]
        return None, found


def page_section(snap: Snapshot, region: str, values: dict[str, str], chosen: str | None) -> dict[str, Any]:
    """The 养老金估算 part of a page: every tier's cost until retirement, pension and payback, with a chart."""
    body, found = load_page_request(values, region)
    section: dict[str, Any] = {"values": values, "errors": found, "categories": CATEGORIES}
    if body is None:
        return section
    try:
        rows = tiers_answer(snap, estimate_request(body))
    except QuoteError as error:
        section["errors"] = {error.field if error.field in PAGE_FIELDS else "_section": error.message}
        return section
    top = max((Decimal(r["monthly_pension"]["total"]) for r in rows), default=Decimal(0))
    span = PENSION_CHART["width"] - PENSION_CHART["label"] - PENSION_CHART["value"]
    references: dict[int, Any] = {}
    for i, row in enumerate(rows):
        # drawing only: the bar length in SVG units, proportional to the monthly pension
        row["bar"] = int(Decimal(row["monthly_pension"]["total"]) * span / top) if top else 0
        row["y"] = PENSION_CHART["top"] + i * PENSION_CHART["row"]
        references.update({r["id"]: r for r in row["references"]})
    first = rows[0]
    section.update(
        rows=rows,
        first=first,
        chosen=chosen,
        references=list(references.values()),
        notes=list(dict.fromkeys(note for row in rows for note in row["notes"])),
        chart=PENSION_CHART | {"height": PENSION_CHART["top"] * 2 + len(rows) * PENSION_CHART["row"]},
    )
    return section


def quote_section(section: dict[str, Any]) -> dict[str, Any] | None:
    """What a counter quote stores of the estimate: plain strings, so a reprint shows the day's figures."""
    if "rows" not in section:
        return None
    keep = ("percent", "base_ratio", "monthly_contribution", "contributions", "monthly_pension", "payback_years")
    return {
        "first": {k: v for k, v in section["first"].items() if k not in ("references", "bar", "y")},
        "rows": [{k: row.get(k) for k in keep} for row in section["rows"]],
        "notes": section["notes"],
        "references": section["references"],
    }
