"""The 参数 pages: every region's parameters in force in a month, every version with its documents."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from calc.quote import SCHEMES
from rates.families import FAMILIES, FLOAT_KEY, Kind
from rates.months import Month
from rates.store import NotConfigured
from rates.tables import read_table
from service.answer.present import version_data
from service.api.base import current_month
from service.core.db import snapshot
from service.pages import coverage, guidance
from service.pages.calc_form import common, region_choices

bp = Blueprint("parameters", __name__)


@bp.get("/parameters")
def parameters_index() -> Response | str:
    region = request.args.get("region", "").strip()
    if region:
        return redirect(url_for("parameters.parameters", region=region[:12]))
    snap = snapshot()
    return render_template("pages/parameters_index.html", regions=region_choices(snap), coverage=coverage.table(snap))


def field_label(family: str, name: str) -> str:
    spec = FAMILIES[family].field(name)
    return spec.label if spec else name


def field_table(family: str, name: str, value: str) -> list[tuple[str, str]] | None:
    """A table value (Kind.TABLE) as rows people read (60-01 -> 60岁1个月), or None for any other value."""
    spec = FAMILIES[family].field(name)
    if spec is None or spec.kind is not Kind.TABLE:
        return None
    if spec.key_pattern == FLOAT_KEY:  # an outlet's allowed floats: 120 -> 基准费率的120%, factor 1.2
        return [(f"基准费率的{key}%", format(number, "f")) for key, number in read_table(value).items()]
    return [(table_key_label(key), format(number, "f")) for key, number in read_table(value).items()]


def table_key_label(key: str) -> str:
    years, _, months = key.partition("-")
    if len(years) == 4:
        return f"{years}年起"
    return f"{years}岁{int(months)}个月" if months else f"{years}岁"


@bp.get("/parameters/<region>")
def parameters(region: str) -> tuple[str, int] | str:
    snap = snapshot()
    if region not in snap.regions:
        abort(404)
    month_text = request.args.get("month", "").strip()[:7]
    month_error = None
    try:
        month = Month.parse(month_text) if month_text else current_month()
    except ValueError:
        month, month_error = current_month(), f"“{month_text}”不是有效月份，请写成年份和月份，例如 2025-01。"
    in_force, missing, missing_help = [], [], {}
    for family in FAMILIES:
        try:
            resolved = snap.at(region, family, month)
        except NotConfigured:
            missing.append(FAMILIES[family].label)
            ask = guidance.where_to_ask(family)
            missing_help.setdefault(ask["office"], {"ask": ask, "labels": []})["labels"].append(FAMILIES[family].label)
            continue
        in_force.append(version_data(snap, resolved.version, resolved))
    history = [version_data(snap, v) for v in reversed(snap.history(region))]
    superseded_by = {v["supersedes"]: v["id"] for v in history if v["supersedes"] is not None}
    return render_template(
        "pages/parameters.html",
        region=region,
        region_name=snap.regions[region].name,
        regions=region_choices(snap),
        month=str(month),
        month_text=month_text or str(month),
        month_error=month_error,
        in_force=in_force,
        missing=missing,
        missing_help=list(missing_help.values()),
        history=history,
        superseded_by=superseded_by,
        level_names={code: r.name for code, r in snap.regions.items()},
        field_label=field_label,
        field_table=field_table,
        schemes=SCHEMES,
        **common(),
    ), (200 if month_error is None else 422)
