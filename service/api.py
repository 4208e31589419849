"""JSON API under /api/v1, documented as OpenAPI 3 at /api/v1/openapi.json."""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flask_swagger_ui
from cachetools import LRUCache
from flask import Flask, Response, current_app, g, jsonify, request, send_from_directory
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from webargs.flaskparser import is_json_request

from calc.quote import QuoteError, QuoteRequest
from rates.families import FAMILIES
from rates.store import NotConfigured, Snapshot
from service import answers, contract, schemas
from service.admin import api as admin_api
from service.apibase import ApiBlueprint, current_month
from service.contract import ERROR_DESCRIPTIONS, content_refusals
from service.db import snapshot
from service.present import version_data

SWAGGER_ASSETS = Path(flask_swagger_ui.__file__).parent / "dist"


blp = ApiBlueprint("api", __name__, url_prefix="/api/v1", description="社保缴费测算")
ERRORS = (400, 404, 415, 422)


def document_errors(*statuses: int, on: Blueprint | None = None):  # type: ignore[no-untyped-def]
    """Document the one error shape for these statuses (on this API's blueprint unless ``on`` names another)."""

    def decorate(function):  # type: ignore[no-untyped-def]
        for status in statuses:
            description = ERROR_DESCRIPTIONS.get(status, "错误（中文说明）")
            function = (on or blp).alt_response(status, schema=schemas.ApiErrorSchema, description=description)(
                function
            )
        return function

    return decorate


_document_errors = document_errors


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


class BodyCache:
    """Answers already given to the same request body under the same parameter snapshot.

    Many people send the very same question; this answers it again without parsing it again. Only
    successful answers are kept, and a publication makes a new snapshot, so none is ever stale. A
    question is a few hundred bytes: larger bodies are not remembered, and bodies are kept as digests.
    """

    MAX_BODY = 4096

    def __init__(self, size: int):
        self._answers: LRUCache[tuple[int, bytes], bytes] = LRUCache(maxsize=size)
        self._lock = threading.Lock()  # LRUCache reorders itself on every read

    def respond(self, view: Callable[[], Response]) -> Response:
        length = request.content_length
        if not is_json_request(request) or length is None or length > self.MAX_BODY:
            return view()  # refused by the parser in the one error shape, or too unusual to keep
        g.calc_snapshot = snap = snapshot()  # the view prices on this one: one revision query per request
        key = (answers.snapshot_token(snap), hashlib.blake2b(request.get_data(cache=True), digest_size=16).digest())
        with self._lock:
            data = self._answers.get(key)
        if data is not None:
            return current_app.response_class(data, mimetype="application/json")
        response = view()
        if response.status_code == 200:
            with self._lock:
                self._answers[key] = response.get_data()  # bytes: nothing for the garbage collector to walk
        return response


def _answered_again(view: Callable[..., Response]) -> Callable[..., Response]:
    """The app's BodyCache in front of the view (none when CALC_CACHE_SIZE is 0), and the fast path."""

    @functools.wraps(view)
    def answer(*args: Any, **kwargs: Any) -> Response:
        cache: BodyCache | None = current_app.extensions["calc_bodies"]
        full = functools.partial(_plain_answer, functools.partial(view, *args, **kwargs))
        return full() if cache is None else cache.respond(full)

    return answer


def _plain_answer(view: Callable[[], Response]) -> Response:
    """A plainly valid question is answered without the request schema's walk (``answers.fast_request``).

    Anything else goes through the view: the schema, then the same pricing and the same bytes.
    """
    length = request.content_length
    if not is_json_request(request) or length is None or length > BodyCache.MAX_BODY:
        return view()
    question = answers.fast_request(request.get_data(cache=True))
    if question is None:
        return view()
    return _fast_answer(question)


@content_refusals
def _fast_answer(question: QuoteRequest) -> Response:
    cache: answers.Answers = current_app.extensions["calc_cache"]
    data = cache.json(g.get("calc_snapshot") or snapshot(), question)
    return current_app.response_class(data, mimetype="application/json")


@blp.route("/calculate")
class Calculate(MethodView):
    @_answered_again
    @blp.arguments(schemas.CalculateRequestSchema())
    @blp.response(200, schemas.QuoteSchema)
    @_document_errors(*ERRORS)
    @content_refusals
    def post(self, body: dict[str, Any]) -> Response:
        """按月测算缴费金额（每月使用当月在用的参数版本）"""
        cache: answers.Answers = current_app.extensions["calc_cache"]
        data = cache.json(g.get("calc_snapshot") or snapshot(), QuoteRequest(**body))
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
        cache: answers.Tiers = current_app.extensions["tier_cache"]
        data = cache.json(snap, query["region"], query["scheme"], query["month"] or current_month())
        return current_app.response_class(data, mimetype="application/json")


def swagger_asset(filename: str) -> Response:
    return send_from_directory(SWAGGER_ASSETS, filename)


def health() -> Response:
    """A trivial answer: for load balancers, and the floor the load benchmark measures against."""
    return jsonify(status="ok")


def init_app(app: Flask) -> None:
    app.add_url_rule("/healthz", "health", health)
    app.config.update(
        API_TITLE="社保缴费测算服务 API",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/api/v1/docs/assets/",
    )
    app.config.setdefault("CALC_CACHE_SIZE", int(os.environ.get("CALC_CACHE_SIZE", "4096")))
    app.config.setdefault("TIERS_CACHE_SIZE", int(os.environ.get("TIERS_CACHE_SIZE", "4096")))
    # An answer depends only on the snapshot and the request, and a publication makes a new
    # snapshot, so a remembered answer is never stale; many people ask the same few questions.
    size = app.config["CALC_CACHE_SIZE"]
    app.extensions["calc_cache"] = answers.Answers(size)
    app.extensions["tier_cache"] = answers.Tiers(app.config["TIERS_CACHE_SIZE"])
    app.extensions["calc_bodies"] = BodyCache(size) if size else None
    api = Api(app)
    api.register_blueprint(blp)
    api.register_blueprint(admin_api.blp)
    from service import pension  # the pension estimate (issue 11): its own blueprint

    api.register_blueprint(pension.blp)
    contract.tighten(api.spec)
    contract.declare_session(api.spec, app.config["SESSION_COOKIE_NAME"])
    app.add_url_rule("/api/v1/docs/assets/<path:filename>", "swagger_asset", swagger_asset)
