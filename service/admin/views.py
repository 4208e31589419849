"""The administration pages under /admin: overview, publish (form or file), withdraw, audit log, export.

Clerks may look; only admins write. A publication is never saved from the page that collects it:
the figures go to a preview (the difference with the version in force and its effect on sample
people), which carries the proposal and the family revisions the admin saw; confirming re-validates
both and publishes in one transaction (``rates.publish``), refused whole if anyone published since.
"""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from rates import audit, raises, transfer
from rates import publish as publishing
from rates.audit import audit_target
from rates.families import FAMILIES, TRUST_LABELS, TRUST_LEVELS, Family, Kind
from rates.model import Version
from rates.months import Month
from rates.publish import Planned, Problem, PublishError, StaleError
from rates.store import NotConfigured, Snapshot
from service.admin import preview
from service.admin.audit_words import actor_words, raise_lines, target_words
from service.answer.present import XLSX, version_data
from service.api.base import current_month
from service.core.auth import current_user, login_required, remote_address
from service.core.db import snapshot, store
from service.core.display import beijing_time, choice_label

bp = Blueprint("admin", __name__, url_prefix="/admin")

REFERENCE_INPUTS = ("title", "doc_no", "source", "url", "published")
AUDIT_SHOWN = 200
TEXT_LIMIT = 500  # a sane length for any typed text (titles, notes)
FIGURE_LENGTH = 16  # a figure's input: far more than any wage in yuan with two decimals, or any ratio


def _actor() -> str:
    user = current_user()
    assert user is not None  # login_required ran first
    return user.username


def _regions(snap: Snapshot) -> list[tuple[str, str]]:
    return [(code, f"{region.name}（{code}）") for code, region in sorted(snap.regions.items())]


def _common(snap: Snapshot) -> dict[str, Any]:
    return {
        "regions": _regions(snap),
        "families": FAMILIES,
        "trust_levels": [(t, TRUST_LABELS[t]) for t in TRUST_LEVELS],
        "text_limit": TEXT_LIMIT,
        "figure_length": FIGURE_LENGTH,
    }


# ---------------------------------------------------------------- overview


@bp.get("")
@login_required("clerk")
def index() -> str:
    snap, month = snapshot(), current_month()
    table = []
    for code, region in sorted(snap.regions.items()):
        cells = []
        for name, family in FAMILIES.items():
            try:
                resolved = snap.at(code, name, month)
            except NotConfigured:
                cells.append({"family": name, "label": family.label, "version": None})
                continue
            data = version_data(snap, resolved.version, resolved)
            data["inherited"] = resolved.level != code
            cells.append({"family": name, "label": family.label, "version": data})
        table.append({"code": code, "name": region.name, "cells": cells})
    return render_template("admin/index.html", table=table, month=str(month), **_common(snap))


# ---------------------------------------------------------------- publish through the form


def _form_values(family: Family, form: Any) -> dict[str, str]:
    names = ["effective_from", "effective_to", "contribution_year", "trust", "note", *REFERENCE_INPUTS]
    names += [spec.name for spec in family.fields]
    return {name: str(form.get(name, "")).strip()[:TEXT_LIMIT] for name in names}


def _prefill(snap: Snapshot, region: str, family: Family) -> dict[str, str]:
    """The figures in force now, as a starting point; the reference is always the admin's to give."""
    values = {name: "" for name in _form_values(family, {})}
    try:
        version = snap.at(region, family.name, current_month()).version
    except NotConfigured:
        return values
    values.update({name: str(value) for name, value in version.values.items()})
    return values


def _proposal(region: str, family: Family, values: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"effective_from": values["effective_from"], "trust": values["trust"] or None}
    year = values["contribution_year"]
    if year:
        body["contribution_year"] = int(year) if year.isdigit() else year
    if values["effective_to"]:
        body["effective_to"] = values["effective_to"]
    for spec in family.fields:
        if values[spec.name]:
            body[spec.name] = values[spec.name]
    reference = {name: values[name] for name in REFERENCE_INPUTS if values[name]}
    body["reference"] = reference or None
    if values["note"]:
        body["note"] = values["note"]
    return body


def _field_of(problem: Problem) -> str:
    return "title" if problem.field.startswith("reference") else problem.field


def _check_form(region: str, family: Family, values: dict[str, str]) -> tuple[Version | None, dict[str, str]]:
    """The version the form describes, or a Chinese message for each field to fix."""
    errors: dict[str, str] = {}
    try:
        Month.parse(values["effective_from"])
    except ValueError:
        errors["effective_from"] = "生效月份：请填写年月，如2026-01。"
    if values["trust"] not in TRUST_LEVELS:
        errors["trust"] = "可信度：请选择。"
    if family.yearly and not values["contribution_year"].isdigit():
        errors["contribution_year"] = "缴费年度：请填写四位年份，如2026。"
    try:
        publishing.parse_reference(family.name, {k: values[k] for k in REFERENCE_INPUTS if values[k]}, need_doc_no=True)
    except PublishError as error:
        errors.update({_field_of(p): p.message for p in error.problems})
    version = None
    if not errors:
        try:
            version = publishing.parse_proposal(region, family.name, _proposal(region, family, values), "admin form")
        except PublishError as error:
            errors.update({_field_of(p): p.message for p in error.problems})
    return version, errors


def _target(snap: Snapshot, source: Any) -> tuple[str, Family] | None:
    region, name = str(source.get("region", "")).strip(), str(source.get("family", "")).strip()
    if region in snap.regions and name in FAMILIES:
        return region, FAMILIES[name]
    return None


def _form_page(
    snap: Snapshot, region: str, family: Family, values: dict[str, str], errors: dict[str, str], revision: int
) -> str:
    return render_template(
        "admin/publish.html",
        region=region,
        region_name=snap.regions[region].name,
        family=family,
        values=values,
        errors=errors,
        revision=revision,
        kinds=Kind,
        **_common(snap),
    )


@bp.get("/publish")
@login_required("admin")
def publish_form() -> str:
    snap = snapshot()
    target = _target(snap, request.args)
    if target is None:
        return render_template("admin/choose.html", **_common(snap))
    region, family = target
    revision = publishing.family_revision(snap, region, family.name)
    return _form_page(snap, region, family, _prefill(snap, region, family), {}, revision)


@bp.post("/publish")
@login_required("admin")
def publish_preview() -> str | tuple[str, int]:
    snap = snapshot()
    target = _target(snap, request.form)
    if target is None:
        return render_template("admin/choose.html", error="请选择地区和参数类别。", **_common(snap)), 422
    region, family = target
    values = _form_values(family, request.form)
    revision = _int(request.form.get("revision"))
    version, errors = _check_form(region, family, values)
    if version is None:
        return _form_page(snap, region, family, values, errors, revision), 422
    return _preview(snap, [version], {(region, family.name): revision}, "form")


def _int(raw: Any) -> int:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() else -1  # -1 matches no revision: the publication is refused as stale


# ---------------------------------------------------------------- publish from a file


@bp.get("/upload")
@login_required("admin")
def upload_form() -> str:
    return render_template("admin/upload.html", error=None, problems=[], values={}, **_common(snapshot()))


@bp.post("/upload")
@login_required("admin")
def upload() -> str | tuple[str, int]:
    snap = snapshot()
    values = {"region": request.form.get("region", ""), "family": request.form.get("family", "")}
    try:
        versions = _read_upload(snap, request.files.get("file"), values)
    except PublishError as error:
        context = _common(snap)
        return render_template("admin/upload.html", problems=error.problems, values=values, **context), 422
    revisions = {(v.region, v.family): publishing.family_revision(snap, v.region, v.family) for v in versions}
    return _preview(snap, versions, revisions, "upload")


def _read_upload(snap: Snapshot, file: FileStorage | None, values: dict[str, str]) -> list[Version]:
    if file is None or not file.filename:
        raise PublishError([Problem("file", "文件：请选择要上传的 .xlsx、.yaml 或 .zip 文件。")])
    name = file.filename.lower()
    data = file.read()
    origin = f"upload {file.filename}"[:200]
    if name.endswith(".xlsx"):
        return transfer.read_workbook(data, known_regions=snap.regions)[1]
    if name.endswith(".zip"):
        return transfer.read_yaml_zip(data, snap.regions)
    if name.endswith((".yaml", ".yml")):
        target = _target(snap, values)
        if target is None:
            raise PublishError([Problem("region", "上传 YAML 文件时，请选择它所属的地区和参数类别。")])
        return transfer.read_family_yaml(target[0], target[1].name, data, origin)
    raise PublishError([Problem("file", "文件：只接受 .xlsx 工作簿、.yaml 参数文件或导出的 .zip。")])


# ---------------------------------------------------------------- preview and confirm


def refusals(planned: list[Planned]) -> list[Problem]:
    """Why a planned publication cannot go ahead: no 文号, an unreviewed 官方原文, or nothing to publish at all."""
    problems = [
        Problem("doc_no", f"{p.version.region}/{p.version.family}/{p.version.effective_from}：须填写依据文件的文号。")
        for p in planned
        if not p.unchanged and not any(r.doc_no for r in p.version.references)
    ]
    problems += [  # issue 25: 官方原文 on new held text is a trust raise (/admin/trust), never one admin's publication
        Problem("trust", f"{audit_target(p.version)}{raises.UNREVIEWED}")
        for p in planned
        if not p.unchanged and raises.unreviewed(p.version, (p.replaces, p.in_force))
    ]
    if all(p.unchanged for p in planned):
        problems.append(Problem("file", "与在用版本完全相同，没有需要发布的内容。"))
    return problems


def _preview(
    snap: Snapshot, versions: list[Version], revisions: dict[tuple[str, str], int], source: str
) -> str | tuple[str, int]:
    planned = publishing.plan(snap, versions)
    problems = refusals(planned)
    payload = [
        {"region": v.region, "family": v.family, "effective_from": str(v.effective_from), **transfer.version_body(v)}
        for v in versions
    ]
    context = {
        "rows": preview.rows(snap, planned),
        "effects": preview.effects(snap, planned) if not problems else [],
        "problems": problems,
        "payload": json.dumps(payload, ensure_ascii=False),
        "based_on": json.dumps([[r, f, n] for (r, f), n in sorted(revisions.items())]),
        "origin": versions[0].origin or "",
        "source": source,
    }
    return render_template("admin/preview.html", **context, **_common(snap)), (422 if problems else 200)


def _confirmed() -> tuple[list[Version], dict[tuple[str, str], int]]:
    """The proposal the preview carried, validated again (the page is the admin's, not trusted blindly)."""
    try:
        payload = json.loads(request.form.get("payload", ""))
        based_on = {(str(r), str(f)): int(n) for r, f, n in json.loads(request.form.get("based_on", ""))}
        if not isinstance(payload, list):
            raise TypeError(payload)
    except (ValueError, TypeError):
        raise PublishError([Problem("payload", "提交的内容不完整，请重新填写或上传。")]) from None
    versions = publishing.parse_proposals(payload, request.form.get("origin", "")[:200] or None)
    touched = {(v.region, v.family) for v in versions}
    if not touched <= set(based_on):
        raise StaleError()
    return versions, based_on


@bp.post("/publish/confirm")
@login_required("admin")
def confirm() -> Response | tuple[str, int]:
    source = "upload" if request.form.get("source") == "upload" else "form"
    try:
        versions, based_on = _confirmed()
        problems = refusals(publishing.plan(snapshot(), versions))
        if problems:
            raise PublishError(problems)
        report = publishing.publish(
            store(),
            versions,
            _actor(),
            remote_address(),
            based_on=based_on,
            action="import" if source == "upload" else "publish",
            allow_unchanged=source == "upload",
        )
    except StaleError:
        return render_template(
            "admin/refused.html", problems=[Problem("revision", publishing.STALE_MESSAGE)], stale=True
        ), 409
    except PublishError as error:
        return render_template("admin/refused.html", problems=error.problems, stale=False), 422
    flash(
        f"已发布：新增 {len(report.inserted) - report.superseded} 个版本，更正 {report.superseded} 个，"
        f"未变 {report.unchanged} 个（版本号 {'、'.join(f'v{i}' for i in report.inserted)}）。"
    )
    return redirect(url_for("admin.index"), 303)


# ---------------------------------------------------------------- withdraw


def _version(snap: Snapshot, version_id: int) -> Version | None:
    return next((v for v in snap.all_versions if v.id == version_id), None)


@bp.route("/withdraw/<int:version_id>", methods=["GET", "POST"])
@login_required("admin")
def withdraw_version(version_id: int) -> str | Response | tuple[str, int]:
    snap = snapshot()
    version = _version(snap, version_id)
    if version is None:
        return render_template("admin/refused.html", problems=[Problem("version", "找不到这个参数版本。")]), 404
    values = {name: request.form.get(name, "").strip()[:TEXT_LIMIT] for name in ("title", "doc_no", "note")}
    context = {"version": version_data(snap, version), "values": values, **_common(snap)}
    if request.method == "GET":
        effects = preview.withdrawal_effects(snap, version)
        return render_template("admin/withdraw.html", errors={}, effects=effects, **context)
    try:
        raw = {k: values[k] for k in ("title", "doc_no") if values[k]}
        reference = publishing.parse_reference(version.family, raw, need_doc_no=True)
        new = publishing.withdraw(store(), version_id, reference, values["note"] or None, _actor(), remote_address())
    except PublishError as error:
        errors = {_field_of(p): p.message for p in error.problems}
        effects = preview.withdrawal_effects(snap, version)  # only when the page is shown again
        status = 409 if errors.get("revision") else 422
        return render_template("admin/withdraw.html", errors=errors, effects=effects, **context), status
    flash(f"已撤回 v{version_id}（撤回记录 v{new}）。")
    return redirect(url_for("admin.index"), 303)


# ---------------------------------------------------------------- audit log


def _local(entry: audit.AuditEntry) -> str:
    return beijing_time(entry.at)


def _changes(entry: audit.AuditEntry) -> list[str]:
    """The values and sources a write changed, in words; the full before/after is one click away."""
    before, after = entry.before or {}, entry.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    lines = []
    old_values, new_values = before.get("values") or {}, after.get("values") or {}
    family = FAMILIES.get(str(after.get("family") or before.get("family")))
    for name in sorted(set(old_values) | set(new_values)):
        if old_values.get(name) != new_values.get(name):
            spec = family.field(name) if family else None
            pair = (old_values.get(name), new_values.get(name))
            old, new = (choice_label(str(v)) if v is not None else "—" for v in pair)
            lines.append(f"{spec.label if spec else name}：{old} → {new}")
    if "trust" in after and before.get("trust") != after["trust"]:
        old, new = before.get("trust"), after["trust"]
        lines.append(f"可信度：{TRUST_LABELS.get(old, '—')} → {TRUST_LABELS.get(new, new)}")
    if after.get("withdrawn"):
        lines.append("已撤回")
    return lines + raise_lines(entry.action, after)


def _audit_rows(limit: int | None) -> tuple[list[dict[str, Any]], str, str]:
    action = request.args.get("action", "").strip()
    action = action if action in audit.ACTION_LABELS else ""
    actor = request.args.get("actor", "").strip()[:80]
    with Session(store().engine) as session:
        found = audit.entries(session, limit=limit, action=action, actor=actor)
    regions = {code: region.name for code, region in snapshot().regions.items()}
    rows = [
        {
            "entry": e,
            "actor": actor_words(e.actor),
            "target": target_words(e.target, regions),
            "at": _local(e),
            "changes": _changes(e),
            "before": json.dumps(e.before, ensure_ascii=False, indent=1) if e.before is not None else "",
            "after": json.dumps(e.after, ensure_ascii=False, indent=1) if e.after is not None else "",
        }
        for e in found
    ]
    return rows, action, actor


@bp.get("/audit")
@login_required("clerk")
def audit_log() -> str:
    rows, action, actor = _audit_rows(AUDIT_SHOWN)
    return render_template(
        "admin/audit.html",
        rows=rows,
        action=action,
        actor=actor,
        actions=audit.ACTION_LABELS,
        shown=AUDIT_SHOWN,
    )


@bp.get("/audit.xlsx")
@login_required("clerk")
def audit_xlsx() -> Response:
    import openpyxl  # here: every start is spared it

    rows, action, _ = _audit_rows(None)  # the download holds every entry the filter lets through
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "审计日志"
    transfer.append_text_row(
        sheet, ["编号", "时间（北京时间）", "操作人", "操作", "对象", "来源地址", "变更", "变更前", "变更后"]
    )
    for row in rows:
        e = row["entry"]
        changes = "\n".join(row["changes"])
        transfer.append_text_row(
            sheet,
            [
                e.id,
                row["at"],
                row["actor"],
                e.action_label,
                row["target"],
                e.address,
                changes,
                row["before"],
                row["after"],
            ],
        )
    for letter, width in zip("ABCDEFGHI", (8, 20, 14, 18, 32, 16, 40, 60, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    name = f"审计日志-{action}.xlsx" if action else "审计日志.xlsx"
    return _xlsx(transfer.saved(book), name)


def _xlsx(data: bytes, name: str) -> Response:
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)


# ---------------------------------------------------------------- export


@bp.get("/export")
@login_required("clerk")
def export_page() -> str:
    return render_template("admin/export.html", scope=transfer.SCOPE_NOTE, **_common(snapshot()))


@bp.get("/export.xlsx")
@login_required("clerk")
def export_xlsx() -> Response:
    return _xlsx(transfer.export_workbook(snapshot()), "参数库.xlsx")


@bp.get("/export.zip")
@login_required("clerk")
def export_zip() -> Response:
    data = transfer.yaml_zip(snapshot())
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True, download_name="参数库.zip")


@bp.get("/template.xlsx")
@login_required("clerk")
def template_xlsx() -> Response:
    return _xlsx(transfer.template_workbook(snapshot()), "参数导入模板.xlsx")
