"""提升可信度 (issue 25): the pages of a trust raise. One administrator attaches the notice's verbatim sentence
and the page it was read on to a version in force; another approves (the version becomes 官方原文, holding the
text) or refuses it with a reason. Clerks may look. The rules are ``rates.raises``; the JSON twin is
``service.admin.api`` (/api/v1/admin/trust-raises)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from rates import excerpts, raises
from rates.families import FAMILIES
from rates.publish import Problem, PublishError, StaleError
from rates.store import Snapshot
from service.answer.present import SERVICE_RULE_LABEL, is_service_rule, version_data
from service.core.auth import current_user, login_required, remote_address
from service.core.db import snapshot, store

bp = Blueprint("admin_trust", __name__, url_prefix="/admin/trust")
DECIDED_SHOWN = 50
INPUTS = ("excerpt", "url", "note", "reference_index")


def _actor() -> str:
    user = current_user()
    assert user is not None  # login_required ran first
    return user.username


def _version(snap: Snapshot, version_id: int) -> dict[str, Any] | None:
    found = next((v for v in snap.all_versions if v.id == version_id), None)
    return version_data(snap, found) if found is not None else None


def _listed(snap: Snapshot, items: list[raises.Raise]) -> list[dict[str, Any]]:
    return [{"raise": item, "version": _version(snap, item.version_id)} for item in items]


def not_a_rule(snap: Snapshot, version_id: int) -> None:
    """The service's own conventions (本服务计算规则, no 文号) rest on no notice: there is no sentence to attach."""
    version = next((v for v in snap.all_versions if v.id == version_id), None)
    if version is not None and is_service_rule(version):
        message = f"这是{SERVICE_RULE_LABEL}，不是通知中的数字，没有原文可附，不能标为官方原文。"
        raise PublishError([Problem("version", message)])


def _overview(errors: dict[int, dict[str, str]] | None = None, status: int = 200) -> tuple[str, int]:
    snap, every = snapshot(), raises.raises(store())
    pending = [r for r in every if r.status == raises.PENDING]
    decided = [r for r in every if r.status != raises.PENDING][:DECIDED_SHOWN]
    page = render_template(
        "admin/trust.html",
        pending=_listed(snap, pending),
        decided=_listed(snap, decided),
        errors=errors or {},
        user=_actor(),
        shown=DECIDED_SHOWN,
    )
    return page, status


@bp.get("")
@login_required("clerk")
def overview() -> tuple[str, int]:
    return _overview()


def _form(version: dict[str, Any], values: dict[str, str], errors: dict[str, str], status: int) -> tuple[str, int]:
    others = raises.raises(store(), version_id=version["id"])
    return render_template("admin/trust_new.html", version=version, values=values, errors=errors, others=others), status


@bp.get("/new")
@login_required("admin")
def choose() -> Response | tuple[str, int]:
    """By version number (v78 or 78), as the 参数 page shows it: the form of that version."""
    typed = str(request.args.get("version", "")).strip().lstrip("vV")
    if not typed.isdigit() or len(typed) > 10:
        return _overview({0: {"version": "版本号：请填写参数页上的版本号，如 78。"}}, 422)
    return redirect(url_for("admin_trust.propose", version_id=int(typed)), 303)


@bp.route("/new/<int:version_id>", methods=["GET", "POST"])
@login_required("admin")
def propose(version_id: int) -> tuple[str, int] | Response:
    snap = snapshot()
    version = _version(snap, version_id)
    if version is None:
        return render_template("admin/refused.html", problems=[Problem("version", "找不到这个参数版本。")]), 404
    values = {name: str(request.form.get(name, "")).strip() for name in INPUTS}
    if request.method == "GET":
        return _form(version, values, {}, 200)
    index = int(values["reference_index"]) if values["reference_index"].isdigit() else 0
    try:
        not_a_rule(snap, version_id)
        raise_id = raises.propose(
            store(),
            version_id,
            values["excerpt"],
            values["url"],
            values["note"] or None,
            _actor(),
            remote_address(),
            index,
        )
    except PublishError as error:
        errors: dict[str, str] = {}
        for problem in error.problems:  # several problems of one field are all said
            errors[problem.field] = "；".join(filter(None, (errors.get(problem.field), problem.message)))
        return _form(version, values, errors, 409 if isinstance(error, StaleError) else 422)
    flash(f"已提交申请 {raise_id}：v{version_id} 提升为官方原文，待另一位管理员核准。")
    return redirect(url_for("admin_trust.overview"), 303)


@bp.post("/<int:raise_id>/approve")
@login_required("admin")
def approve(raise_id: int) -> tuple[str, int] | Response:
    remark = str(request.form.get("reason", "")).strip()
    try:
        new = raises.approve(store(), raise_id, _actor(), remote_address(), remark or None)
    except PublishError as error:
        status = 409 if isinstance(error, StaleError) else 422
        return _overview({raise_id: {p.field: p.message for p in error.problems}}, status)
    flash(f"已核准申请 {raise_id}：写入官方原文版本 v{new}（原版本保留在历史中）。")
    return redirect(url_for("admin_trust.overview"), 303)


@bp.post("/<int:raise_id>/refuse")
@login_required("admin")
def refuse(raise_id: int) -> tuple[str, int] | Response:
    try:
        raises.refuse(store(), raise_id, str(request.form.get("reason", "")), _actor(), remote_address())
    except PublishError as error:
        status = 409 if isinstance(error, StaleError) else 422
        return _overview({raise_id: {p.field: p.message for p in error.problems}}, status)
    flash(f"已驳回申请 {raise_id}。")
    return redirect(url_for("admin_trust.overview"), 303)


@bp.app_template_global("government_site")
def government_site(url: str | None) -> bool:
    """Whether a page is on a government site: the reviewer sees it, nothing requires it."""
    return excerpts.government_site(url)


@bp.app_template_global("families_fields")
def families_fields(family: str) -> tuple[Any, ...]:
    """The fields of a family, in order (the pages list a version's figures by them)."""
    return FAMILIES[family].fields
