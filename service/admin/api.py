"""JSON API of the administration: POST /api/v1/admin/publish, and the trust raises (issue 25:
/api/v1/admin/trust-raises), the same rules as the pages.

Logged in with the session of the login page (an admin). The JSON API takes no CSRF token: the
session cookie is SameSite=Lax (never sent with another site's POST) and the route takes only
``application/json``, which no plain HTML form can send. ``dry_run`` answers what the page's
preview shows and the ``based_on`` revisions to send back with the publication, so that two
clients publishing over the same version get the second refused (409) instead of a lost update.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from calc.quote import QuoteError
from rates import excerpts
from rates import publish as publishing
from rates import raises as raising
from rates.families import FAMILIES
from rates.publish import PublishError, StaleError
from service.admin import preview
from service.admin.trust import not_a_rule
from service.admin.views import refusals
from service.api.base import CONTROL_MESSAGE, FreeFormBlueprint
from service.api.contract import SESSION_SECURITY
from service.api.schemas import ApiErrorSchema
from service.core.auth import current_user, login_required, remote_address
from service.core.db import snapshot, store

blp = FreeFormBlueprint("admin_api", __name__, url_prefix="/api/v1/admin", description="参数管理（须以管理员身份登录）")
MAX_VERSIONS = 500


NO_CONTROL = "^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # the characters service.api.base.CONTROL refuses


class BasedOnSchema(Schema):
    # no control character (the JSON parser refuses them, 400) and a family the store knows: said in the
    # OpenAPI document as a pattern and a list, so that what the document accepts is never refused
    region = fields.String(
        required=True,
        validate=[validate.Length(max=12), validate.Regexp(NO_CONTROL, error=CONTROL_MESSAGE)],
    )
    family = fields.String(required=True, validate=validate.OneOf(sorted(FAMILIES), error="没有这一类参数。"))
    revision = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class PublishRequestSchema(Schema):
    versions = fields.List(
        fields.Dict(keys=fields.String()),
        required=True,
        validate=validate.Length(min=1, max=MAX_VERSIONS),
        metadata={
            "description": (
                "每项一个版本：region、family、effective_from（YYYY-MM），其余与 rates/params 文件中一个月份的内容相同"
            ),
            "example": [
                {
                    "region": "360000",
                    "family": "avg_wage",
                    "effective_from": "2026-01",
                    "contribution_year": 2026,
                    "avg_wage_monthly": "6800",
                    "reference": {"title": "（依据文件标题）", "doc_no": "（文号）"},
                    "trust": "official",
                }
            ],
        },
    )
    based_on = fields.List(
        fields.Nested(BasedOnSchema), load_default=None, metadata={"description": "预览时返回的版本号"}
    )
    dry_run = fields.Boolean(load_default=False, metadata={"description": "true：只预览差异与影响，不保存"})


class _Difference(Schema):
    label = fields.String()
    old = fields.String(allow_none=True)
    new = fields.String(allow_none=True)


class ChangeSchema(_Difference):
    field = fields.String()


class PlannedSchema(Schema):
    region = fields.String()
    family = fields.String()
    effective_from = fields.String()
    replaces = fields.Integer(allow_none=True, metadata={"description": "被更正（取代）的版本号"})
    in_force = fields.Integer(allow_none=True, metadata={"description": "生效月份之前在用的版本号"})
    unchanged = fields.Boolean()
    changes = fields.List(fields.Nested(ChangeSchema))


class EffectSchema(_Difference):
    """A sample person's amount before and after (无法测算 where the month cannot be priced)."""

    region = fields.String()
    region_name = fields.String()
    month = fields.String()
    changed = fields.Boolean()


class PublishAnswerSchema(Schema):
    dry_run = fields.Boolean()
    planned = fields.List(fields.Nested(PlannedSchema))
    effects = fields.List(fields.Nested(EffectSchema))
    based_on = fields.List(fields.Nested(BasedOnSchema))
    inserted = fields.List(fields.Integer(), metadata={"description": "新写入的版本号"})
    superseded = fields.Integer()
    unchanged = fields.Integer()


def _refuse(error: PublishError) -> QuoteError:
    first = error.problems[0]
    if isinstance(error, StaleError):
        return QuoteError("based_on", first.message, "stale", 409)
    return QuoteError(first.field, "；".join(p.message for p in error.problems), "invalid", 422)


@blp.route("/publish")
class Publish(MethodView):
    @login_required("admin")
    @blp.doc(security=SESSION_SECURITY)
    @blp.arguments(PublishRequestSchema())
    @blp.response(200, PublishAnswerSchema, description="dry_run：差异与对示例人员测算结果的影响，不保存")
    @blp.alt_response(201, schema=PublishAnswerSchema, description="已发布（一个事务，含审计记录）")
    @blp.alt_response(400, schema=ApiErrorSchema, description="请求格式有误")
    @blp.alt_response(401, schema=ApiErrorSchema, description="未登录")
    @blp.alt_response(403, schema=ApiErrorSchema, description="不是管理员")
    @blp.alt_response(409, schema=ApiErrorSchema, description="有人已发布了同一类参数（based_on 过期）")
    @blp.alt_response(415, schema=ApiErrorSchema, description="须以 JSON 提交")
    @blp.alt_response(422, schema=ApiErrorSchema, description="参数有误（中文说明哪一项）；未保存任何内容")
    def post(self, body: dict[str, Any]) -> Any:
        """发布参数版本（先以 dry_run 预览，再带上返回的 based_on 发布）"""
        try:
            return _publish(body)
        except PublishError as error:
            raise _refuse(error) from None


def _publish(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    snap = snapshot()
    versions = publishing.parse_proposals(body["versions"], "api")
    planned = publishing.plan(snap, versions)
    problems = refusals(planned)
    if problems:
        raise PublishError(problems)
    if body["dry_run"]:
        revisions = sorted({(v.region, v.family) for v in versions})
        return {
            "dry_run": True,
            "planned": [_planned(p) for p in planned],
            "effects": [dataclasses.asdict(e) for e in preview.effects(snap, planned)],
            "based_on": [
                {"region": r, "family": f, "revision": publishing.family_revision(snap, r, f)} for r, f in revisions
            ],
        }, 200
    if body["based_on"] is None:
        message = "须带上 based_on（先以 dry_run 预览，使用返回的 based_on），以免覆盖他人刚发布的版本。"
        raise PublishError([publishing.Problem("based_on", message)])
    based_on = {(b["region"], b["family"]): b["revision"] for b in body["based_on"]}
    if not {(v.region, v.family) for v in versions} <= set(based_on):
        raise PublishError([publishing.Problem("based_on", "based_on 须包含每个发布的地区和类别。")])
    user = current_user()
    assert user is not None
    report = publishing.publish(
        store(), versions, user.username, remote_address(), based_on=based_on, allow_unchanged=True
    )
    return {
        "dry_run": False,
        "inserted": report.inserted,
        "superseded": report.superseded,
        "unchanged": report.unchanged,
    }, 201


def _planned(p: publishing.Planned) -> dict[str, Any]:
    return {
        "region": p.version.region,
        "family": p.version.family,
        "effective_from": str(p.version.effective_from),
        "replaces": p.replaces.id if p.replaces else None,
        "in_force": p.in_force.id if p.in_force else None,
        "unchanged": p.unchanged,
        "changes": [dataclasses.asdict(c) for c in p.changes],
    }


# ---------------------------------------------------------------- trust raises (issue 25)


def _text(limit: int, required: bool = False, description: str = "") -> fields.String:
    checks = [validate.Length(max=limit), validate.Regexp(NO_CONTROL, error=CONTROL_MESSAGE)]
    if required:
        return fields.String(required=True, validate=checks, metadata={"description": description})
    return fields.String(load_default=None, allow_none=True, validate=checks, metadata={"description": description})


class RaiseRequestSchema(Schema):
    version_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    excerpt = _text(excerpts.EXCERPT_LIMIT, True, "原文摘录：通知中载有该版本数字的原句（逐字）")
    url = _text(excerpts.URL_LIMIT, True, "读到这句话的网页（http:// 或 https://）")
    note = _text(raising.REASON_LIMIT, description="原句中没有某个数字时，写明原因")
    reference_index = fields.Integer(
        load_default=0,
        strict=True,
        validate=validate.Range(min=0, max=99),
        metadata={"description": "第几个依据文件（从0起）"},
    )


class ReviewSchema(Schema):
    reason = _text(raising.REASON_LIMIT, description="驳回时必填：驳回的原因；核准时可填备注")


class RaiseSchema(Schema):
    id = fields.Integer()
    version_id = fields.Integer()
    reference_index = fields.Integer()
    excerpt = fields.String()
    url = fields.String()
    government_site = fields.Boolean(metadata={"description": "网址是否为政府网站（gov.cn），仅供核准人参考"})
    note = fields.String(allow_none=True)
    proposed_by = fields.String()
    proposed_at = fields.String()
    status = fields.String(metadata={"description": "pending 待核准、approved 已核准、refused 已驳回"})
    status_label = fields.String()
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    result_version_id = fields.Integer(allow_none=True, metadata={"description": "核准后写入的官方原文版本号"})


class RaiseListQuery(Schema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(list(raising.STATUS_LABELS), error="只能是 pending、approved 或 refused。"),
    )


class RaiseListSchema(Schema):
    raises = fields.List(fields.Nested(RaiseSchema))


def _refuse_raise(error: PublishError) -> QuoteError:
    first = error.problems[0]
    if isinstance(error, StaleError):
        return QuoteError("raise_id", first.message, "stale", 409)
    return QuoteError(first.field, "；".join(p.message for p in error.problems), "invalid", 422)


def _one(raise_id: int) -> dict[str, Any]:
    found = next((r for r in raising.raises(store()) if r.id == raise_id), None)
    assert found is not None  # just written or reviewed
    return found.to_json()


def _actor_name() -> str:
    user = current_user()
    assert user is not None
    return user.username


@blp.route("/trust-raises")
class TrustRaises(MethodView):
    @login_required("clerk")
    @blp.doc(security=SESSION_SECURITY)
    @blp.arguments(RaiseListQuery(), location="query")
    @blp.response(200, RaiseListSchema, description="提升可信度的申请，最新的在前")
    @blp.alt_response(400, schema=ApiErrorSchema, description="请求格式有误")
    @blp.alt_response(401, schema=ApiErrorSchema, description="未登录")
    def get(self, query: dict[str, Any]) -> Any:
        """提升可信度的申请（status=pending：待核准）"""
        return {"raises": [r.to_json() for r in raising.raises(store(), query["status"])]}

    @login_required("admin")
    @blp.doc(security=SESSION_SECURITY)
    @blp.arguments(RaiseRequestSchema())
    @blp.response(201, RaiseSchema, description="已提交，待另一位管理员核准（含审计记录）")
    @blp.alt_response(400, schema=ApiErrorSchema, description="请求格式有误")
    @blp.alt_response(401, schema=ApiErrorSchema, description="未登录")
    @blp.alt_response(403, schema=ApiErrorSchema, description="不是管理员")
    @blp.alt_response(409, schema=ApiErrorSchema, description="该版本已被更正或撤回")
    @blp.alt_response(415, schema=ApiErrorSchema, description="须以 JSON 提交")
    @blp.alt_response(422, schema=ApiErrorSchema, description="原句、网址或版本有误（中文说明哪一项）；未保存任何内容")
    def post(self, body: dict[str, Any]) -> Any:
        """附上通知原文的句子和网址，申请把一个版本的可信度提升为官方原文（须另一位管理员核准）"""
        try:
            not_a_rule(snapshot(), body["version_id"])
            raise_id = raising.propose(
                store(),
                body["version_id"],
                body["excerpt"],
                body["url"],
                body["note"],
                _actor_name(),
                remote_address(),
                body["reference_index"],
            )
        except PublishError as error:
            raise _refuse_raise(error) from None
        return _one(raise_id), 201


@blp.route("/trust-raises/<int(signed=True):raise_id>/approve")
class ApproveRaise(MethodView):
    @login_required("admin")
    @blp.doc(security=SESSION_SECURITY)
    @blp.arguments(ReviewSchema())
    @blp.response(201, RaiseSchema, description="已核准：写入官方原文的新版本（取代原版本，含审计记录）")
    @blp.alt_response(400, schema=ApiErrorSchema, description="请求格式有误")
    @blp.alt_response(401, schema=ApiErrorSchema, description="未登录")
    @blp.alt_response(403, schema=ApiErrorSchema, description="不是管理员")
    @blp.alt_response(404, schema=ApiErrorSchema, description="路径中的申请编号不是整数")
    @blp.alt_response(409, schema=ApiErrorSchema, description="申请已处理，或该版本已被更正或撤回")
    @blp.alt_response(415, schema=ApiErrorSchema, description="须以 JSON 提交")
    @blp.alt_response(422, schema=ApiErrorSchema, description="找不到申请，或由提出申请的管理员本人核准（四眼原则）")
    def post(self, body: dict[str, Any], raise_id: int) -> Any:
        """核准提升可信度（须由提出申请以外的管理员核准）"""
        try:
            raising.approve(store(), raise_id, _actor_name(), remote_address(), body["reason"])
        except PublishError as error:
            raise _refuse_raise(error) from None
        return _one(raise_id), 201


@blp.route("/trust-raises/<int(signed=True):raise_id>/refuse")
class RefuseRaise(MethodView):
    @login_required("admin")
    @blp.doc(security=SESSION_SECURITY)
    @blp.arguments(ReviewSchema())
    @blp.response(200, RaiseSchema, description="已驳回（含审计记录）")
    @blp.alt_response(400, schema=ApiErrorSchema, description="请求格式有误")
    @blp.alt_response(401, schema=ApiErrorSchema, description="未登录")
    @blp.alt_response(403, schema=ApiErrorSchema, description="不是管理员")
    @blp.alt_response(404, schema=ApiErrorSchema, description="路径中的申请编号不是整数")
    @blp.alt_response(409, schema=ApiErrorSchema, description="申请已处理")
    @blp.alt_response(415, schema=ApiErrorSchema, description="须以 JSON 提交")
    @blp.alt_response(422, schema=ApiErrorSchema, description="找不到申请，或未写驳回理由")
    def post(self, body: dict[str, Any], raise_id: int) -> Any:
        """驳回提升可信度（须写明理由）"""
        try:
            raising.refuse(store(), raise_id, body["reason"] or "", _actor_name(), remote_address())
        except PublishError as error:
            raise _refuse_raise(error) from None
        return _one(raise_id), 200
