"""Server-rendered pages in Chinese: 测算 (workers), 窗口 (counter clerks), 参数 (sources).

Pages only translate: the form is loaded with the API's request schema (one set of input rules),
the engine prices, and ``service.present`` shapes the result, dumped by the API's response schemas
so that a page shows exactly the strings the API returns.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from markupsafe import Markup
from marshmallow import ValidationError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from calc.quote import SCHEMES, QuoteError, QuoteRequest, tier_ratios
from rates.families import FAMILIES, TRUST_LABELS, TRUST_LEVELS
from rates.model import NATIONAL
from rates.months import Month
from rates.store import NotConfigured, Snapshot
from service import quotes, schemas
from service.answers import Data, Tiers, snapshot_token
from service.api import current_month
from service.db import snapshot, store
from service.errors import translate
from service.present import (
    PART_LABELS,
    PROVISIONAL_LABEL,
    XLSX,
    percent,
    quote_answer,
    version_data,
)

bp = Blueprint("pages", __name__)

TIERED = ("flexible_pension", "flexible_medical")  # the schemes whose base is chosen by tier
FORM_FIELDS = ("region", "scheme", "start", "end", "basis", "base_ratio", "base", "headcount", "factor")
HEADCOUNT_RE = re.compile(r"^[0-9]{1,7}$")
CHART = {"width": 340, "label": 44, "value": 80, "row": 22, "bar": 14, "top": 6}


@bp.app_template_filter("pct")
def pct(ratio: str) -> str:
    """A ratio as the API writes it ("0.2") shown as a percentage ("20%")."""
    return percent(Decimal(ratio))


# ---------------------------------------------------------------- forms


def typed(form: MultiDict[str, str]) -> dict[str, str]:
    """What the user typed, trimmed and cut to a sane length, to put back into the form."""
    values = {name: form.get(name, "").strip()[:40] for name in FORM_FIELDS}
    values["basis"] = "base" if values["basis"] == "base" else "ratio"
    return values


def load_request(values: dict[str, str]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The form as the API's request, or the Chinese message of each field to fix."""
    raw: dict[str, Any] = {
        name: values[name] for name in ("region", "scheme", "start", "end", "factor") if values[name]
    }
    chosen = "base" if values["basis"] == "base" else "base_ratio"  # only the figure the user chose counts
    if values[chosen]:
        raw[chosen] = values[chosen]
    if values["headcount"]:
        # forms send text; the schema takes whole numbers only, as the API does for JSON
        raw["headcount"] = int(values["headcount"]) if HEADCOUNT_RE.match(values["headcount"]) else values["headcount"]
    try:
        return schemas.CalculateRequestSchema().load(raw), {}
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        return None, {
            name: translate(str(texts[0] if isinstance(texts, list) else texts)) for name, texts in messages.items()
        }


def region_choices(snap: Snapshot) -> list[dict[str, str]]:
    choices = []
    for code, region in sorted(snap.regions.items()):
        if code == NATIONAL:
            continue
        parent = snap.regions.get(region.parent or "")
        prefix = f"{parent.name} · " if parent and parent.code != NATIONAL else ""
        choices.append({"value": code, "label": f"{prefix}{region.name}"})
    return choices


def tier_choices(snap: Snapshot, values: dict[str, str]) -> list[dict[str, str]]:
    """The tiers the scheme in force allows (60% … 300%), read from the parameters, never assumed."""
    scheme = values["scheme"] if values["scheme"] in TIERED else "flexible_pension"
    try:
        month = Month.parse(values["start"])
    except ValueError:
        month = current_month()
    ratios: list[Decimal] = []
    for region in (values["region"], NATIONAL):
        if region not in snap.regions:
            continue
        try:
            version = snap.at(region, scheme, month).version
        except NotConfigured:
            continue
        floor, ceiling = version.decimal("base_ratio_floor"), version.decimal("base_ratio_ceiling")
        if floor is not None and ceiling is not None:
            ratios = tier_ratios(floor, ceiling)
            break
    choices = [{"value": format(r.normalize(), "f"), "label": percent(r)} for r in ratios]
    if values["base_ratio"] and values["base_ratio"] not in {c["value"] for c in choices}:
        choices.append({"value": values["base_ratio"], "label": values["base_ratio"]})  # keep what was typed
    return choices


def form_context(snap: Snapshot, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "regions": region_choices(snap),
        "schemes": SCHEMES,
        "tiered": TIERED,
        "tier_options": tier_choices(snap, values),
    }


def defaults() -> dict[str, str]:
    month = current_month()
    values = {name: "" for name in FORM_FIELDS}
    values.update(
        start=str(Month(month.year, 1)), end=str(Month(month.year, 12)), basis="ratio", scheme="flexible_pension"
    )
    return values


# ---------------------------------------------------------------- results


def priced(snap: Snapshot, body: dict[str, Any]) -> dict[str, Any]:
    """The quote as the API returns it (amounts as strings), plus what the page needs to show it."""
    return decorate(answer(snap, body))


def answer(snap: Snapshot, body: dict[str, Any]) -> dict[str, Any]:
    """The API's answer, through the API's cache when the API is there (the answer is shared: never mutate it)."""
    return current_app.extensions.get("calc_cache", quote_answer)(snap, QuoteRequest(**body))


def decorate(quote: dict[str, Any]) -> dict[str, Any]:
    amounts = sorted({line["amount"] for line in quote["months"]}, key=Decimal)
    worst = max((TRUST_LEVELS.index(r["trust"]) for r in quote["references"]), default=0)
    return {
        "quote": quote,
        "per": "年" if quote["scheme"] == "resident_medical" else "月",
        "amounts": amounts,
        "versions": {r["id"]: r for r in quote["references"]},
        "trust": TRUST_LEVELS[worst],
        "trust_label": TRUST_LABELS[TRUST_LEVELS[worst]],
        "months_count": Month.parse(quote["start"]).count_until(Month.parse(quote["end"])),
        "ratio_label": percent(Decimal(quote["base_ratio"])) if quote.get("base_ratio") else None,
    }


def tier_table(snap: Snapshot, region: str, scheme: str, month: Month) -> dict[str, Any]:
    answer = current_app.extensions["tier_cache"](snap, region, scheme, month)  # the API's, kept per snapshot
    data = answer["tiers"]
    top = max((Decimal(t["yearly"]) for t in data), default=Decimal(0))
    span = CHART["width"] - CHART["label"] - CHART["value"]
    for i, tier in enumerate(data):
        # drawing only: the bar length in SVG units, proportional to the yearly amount
        tier["bar"] = int(Decimal(tier["yearly"]) * span / top) if top else 0
        tier["y"] = CHART["top"] + i * CHART["row"]
    return Data(  # read as attributes by the template, hundreds of times
        year=month.year,
        month=str(month),
        rows=data,
        references=answer["references"],
        chart=Data(CHART, height=CHART["top"] * 2 + len(data) * CHART["row"]),
        provisional=any(t["provisional"] for t in data),
    )


def tier_section(snap: Snapshot, region: str, scheme: str, month: Month, chosen: str | None) -> Markup:
    """The tier comparison as HTML: the same for everyone asking there and then, so drawn once per snapshot.

    Half of the 测算 page's rendering; kept beside the API's tier tables (the same snapshot key, so a
    publication never leaves an old table on the page).
    """
    cache: Tiers = current_app.extensions["tier_cache"]

    def draw() -> str:
        table = tier_table(snap, region, scheme, month)
        return render_template("pages/_tiers.html", tiers=table, region=region, chosen=chosen, **common())

    # render_template's output, every value in it escaped by the template: safe to insert as it is
    key = ("html", snapshot_token(snap), region, scheme, month.index(), chosen)
    return Markup(cache.get(key, draw))  # noqa: S704


def common() -> dict[str, Any]:
    return {"part_labels": PART_LABELS, "provisional_label": PROVISIONAL_LABEL, "trust_labels": TRUST_LABELS}


# ---------------------------------------------------------------- 测算


@bp.get("/")
def calculate() -> tuple[str, int] | str:
    snap = snapshot()
    if "region" not in request.args:
        return render_template("pages/calculate.html", **form_context(snap, defaults(), {}), **common())
    values = typed(request.args)
    body, errors = load_request(values)
    result = tiers_html = None
    tier_error = None
    if body is not None:
        try:
            result = priced(snap, body)
        except QuoteError as error:
            errors = {error.field: error.message}
    if body is not None and body["scheme"] in TIERED and body["region"] in snap.regions:
        try:
            chosen = values["base_ratio"] if values["basis"] == "ratio" else None
            tiers_html = tier_section(snap, body["region"], body["scheme"], body["start"], chosen)
        except QuoteError as error:
            tier_error = error.message
    context = form_context(snap, values, errors) | common()
    status = 200 if not errors else 422
    page = render_template(
        "pages/calculate.html", result=result, tiers_html=tiers_html, tier_error=tier_error, **context
    )
    return page, status


# ---------------------------------------------------------------- 窗口


@bp.get("/window")
def window() -> str:
    return render_template("pages/window.html", **form_context(snapshot(), defaults(), {}), clerk="", **common())


@bp.post("/window")
def window_issue() -> Response | tuple[str, int]:
    snap = snapshot()
    values = typed(request.form)
    clerk = request.form.get("clerk", "").strip()[: quotes.MAX_CLERK]
    body, errors = load_request(values)
    if body is not None:
        try:
            result = answer(snap, body)
        except QuoteError as error:
            errors = {error.field: error.message}
    if errors or body is None:
        context = form_context(snap, values, errors) | common()
        return render_template("pages/window.html", clerk=clerk, **context), 422
    with Session(store().engine) as session, session.begin():
        row = quotes.issue(session, schemas.CalculateRequestSchema().dump(body), result, clerk)
        serial = row.serial
    return redirect(url_for("pages.quote_page", serial=serial), 303)


def issued(serial: str) -> dict[str, Any]:
    with Session(store().engine) as session:
        row = quotes.find(session, serial)
        if row is None:
            abort(404)
        return quotes.view(row)


@bp.get("/window/quote/<serial>")
def quote_page(serial: str) -> str:
    data = issued(serial)
    return render_template("pages/quote.html", issued=data, **decorate(data["quote"]), **common())


@bp.get("/window/quote/<serial>.xlsx")
def quote_xlsx(serial: str) -> Response:
    data = issued(serial)
    return Response(
        quotes.workbook(data, PART_LABELS),
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="quote-{data["serial"]}.xlsx"'},
    )


# ---------------------------------------------------------------- 参数


@bp.get("/parameters")
def parameters_index() -> Response | str:
    region = request.args.get("region", "").strip()
    if region:
        return redirect(url_for("pages.parameters", region=region[:12]))
    return render_template("pages/parameters_index.html", regions=region_choices(snapshot()))


def field_label(family: str, name: str) -> str:
    spec = FAMILIES[family].field(name)
    return spec.label if spec else name


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
        month, month_error = current_month(), f"“{month_text}”不是有效月份，请写成 YYYY-MM，例如 2025-01。"
    in_force, missing = [], []
    for family in FAMILIES:
        try:
            resolved = snap.at(region, family, month)
        except NotConfigured:
            missing.append(FAMILIES[family].label)
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
        history=history,
        superseded_by=superseded_by,
        level_names={code: r.name for code, r in snap.regions.items()},
        field_label=field_label,
        schemes=SCHEMES,
        **common(),
    ), (200 if month_error is None else 422)
