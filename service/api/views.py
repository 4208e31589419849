"""JSON API under /api/v1, documented as OpenAPI 3 at /api/v1/openapi.json."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Any

import flask_swagger_ui
from flask import Flask, Response, current_app, jsonify, send_from_directory
from flask.views import MethodView
from flask_smorest import Api

from calc.protection_fee import FeeRequest, price_fee
from calc.quote import QuoteError, QuoteRequest
from rates import protection
from rates.families import FAMILIES
from rates.store import NotConfigured, Snapshot
from service.answer import answers
from service.answer.fees import fee_data
from service.answer.present import version_data
from service.api import contract, schemas
from service.api.base import ApiBlueprint, current_month, document_errors, section_tags
from service.api.contract import content_refusals
from service.core.db import snapshot

SWAGGER_ASSETS = Path(flask_swagger_ui.__file__).parent / "dist"


DOCS_INTRO = (
    "社保缴费测算网站的数据接口：与网站各页面用同一套参数和算法，金额到分。"
    "错误一律以同一形式返回中文说明。\n\n[返回社保缴费测算网站首页](/)"
)

blp = ApiBlueprint("api", __name__, url_prefix="/api/v1", description="社保缴费测算")
ERRORS = (400, 404, 415, 422)
_document_errors = functools.partial(document_errors, blp)


def _region_or_404(code: str, snap: Snapshot | None = None) -> None:
    if code not in (snap or snapshot()).regions:
        raise QuoteError("region", f"未知地区代码“{code[:12]}”，请从地区列表中选择。", "unknown_region", 404)


@blp.route("/regions")
class Regions(MethodView):
    @blp.response(200, schemas.RegionSchema(many=True))
    def get(self) -> list[Any]:
        """地区列表（GB/T 2260 代码）"""
        return [r for code, r in sorted(snapshot().regions.items()) if code != "000000"]


@blp.route("/parameters")
class Parameters(MethodView):
    @blp.arguments(schemas.RegionMonthQuerySchema(), location="query")
    @blp.response(200, schemas.ParametersSchema)
    @_document_errors(*ERRORS)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """某地区某月在用的参数，含文号、可信度与是否暂按上年度标准"""
        _region_or_404(query["region"])
        snap, month = snapshot(), query["month"] or current_month()
        families, missing = [], []
        for family in FAMILIES:
            try:
                resolved = snap.at(query["region"], family, month)
            except NotConfigured:
                missing.append({"family": family, "label": FAMILIES[family].label, "message": "未配置"})
                continue
            families.append(version_data(snap, resolved.version, resolved))
        return {
            "region": query["region"],
            "region_name": snap.regions[query["region"]].name,
            "month": str(month),
            "families": families,
            "not_configured": missing,
        }


@blp.route("/parameters/<region>/history")
class History(MethodView):
    @blp.response(200, schemas.HistorySchema)
    @_document_errors(404)
    def get(self, region: str) -> dict[str, Any]:
        """某地区（含上级）全部参数版本，包括已更正和已撤回的记录"""
        _region_or_404(region)
        snap = snapshot()
        return {
            "region": region,
            "region_name": snap.regions[region].name,
            "versions": [version_data(snap, v) for v in snap.history(region)],
        }


@blp.route("/calculate")
class Calculate(MethodView):
    @blp.arguments(schemas.CalculateRequestSchema())
    @blp.response(200, schemas.QuoteSchema)
    @_document_errors(*ERRORS)
    @content_refusals
    def post(self, question: QuoteRequest) -> Response:
        """按月测算缴费金额（每月使用当月在用的参数版本）"""
        data = answers.caches().answer_json(snapshot(), question)
        return current_app.response_class(data, mimetype="application/json")


@blp.route("/tiers")
class Tiers(MethodView):
    @blp.arguments(schemas.TiersQuerySchema(), location="query")
    @blp.response(200, schemas.TiersSchema)
    @_document_errors(*ERRORS)
    @content_refusals
    def get(self, query: dict[str, Any]) -> Response:
        """各缴费档次（60%…300%）的基数、月缴费额与全年缴费额"""
        snap = snapshot()  # one revision query per request
        _region_or_404(query["region"], snap)
        asked = answers.TierRequest(query["region"], query["scheme"], query["month"] or current_month())
        data = answers.caches().tiers_json(snap, asked)
        return current_app.response_class(data, mimetype="application/json")


@blp.route("/injury-protection")
class InjuryProtection(MethodView):
    @blp.arguments(schemas.RegionMonthQuerySchema(), location="query")
    @blp.response(200, schemas.InjuryProtectionSchema)
    @_document_errors(400, 404)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """新就业形态人员职业伤害保障：平台从业人员在该地是否已纳入试点、自何时起、谁缴费、受伤后怎么办"""
        snap = snapshot()
        _region_or_404(query["region"], snap)
        month = query["month"] or current_month()
        return protection.answer(snap.regions, query["region"], date(month.year, month.month, 1)) | {
            "month": str(month)
        }


@blp.route("/injury-protection/fee")
class InjuryProtectionFee(MethodView):
    @blp.arguments(schemas.InjuryProtectionFeeRequestSchema())
    @blp.response(200, schemas.InjuryProtectionFeeSchema)
    @_document_errors(*ERRORS)
    def post(self, question: FeeRequest) -> dict[str, Any]:
        """平台企业（或其合作企业）一个月订单的职业伤害保障费：单量 × 缴费基准额 × 浮动系数（人社部发〔2025〕24号）"""
        snap = snapshot()
        _region_or_404(question.region, snap)
        return fee_data(price_fee(protection.bundled(), snap.regions, question))


def swagger_asset(filename: str) -> Response:
    return send_from_directory(SWAGGER_ASSETS, filename)


def health() -> Response:
    """A trivial answer: for load balancers, and the floor the load benchmark measures against."""
    return jsonify(status="ok")


def init_app(app: Flask) -> Api:
    """The API's settings, the caches and its own blueprint; the app factory registers the others'."""
    app.add_url_rule("/healthz", "health", health)
    app.config.update(
        API_TITLE="社保缴费测算服务接口",
        API_VERSION="1",
        # the sections by their Chinese names (this list replaces the one flask-smorest makes of the
        # blueprints' English names), and the way back to the site for whoever arrived at the docs
        API_SPEC_OPTIONS={"info": {"description": DOCS_INTRO}, "tags": section_tags()},
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/api/v1/docs/assets/",
    )
    answers.init_app(app)
    api = Api(app)
    api.register_blueprint(blp)
    app.add_url_rule("/api/v1/docs/assets/<path:filename>", "swagger_asset", swagger_asset)
    return api


def finish(app: Flask, api: Api) -> None:
    """The document tightened once every blueprint is registered (``service.api.contract``)."""
    contract.tighten(api.spec)
    contract.declare_session(api.spec, app.config["SESSION_COOKIE_NAME"])
