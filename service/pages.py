"""Server-rendered pages in Chinese: 测算 (workers), 窗口 (counter clerks), 参数 (sources).

Pages only translate: the form is loaded with the API's request schema (one set of input rules),
the engine prices, and ``service.present`` shapes the result, dumped by the API's response schemas
so that a page shows exactly the strings the API returns.
"""

from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from markupsafe import Markup
from marshmallow import ValidationError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from calc.quote import SCHEMES, QuoteError, QuoteRequest, tier_ratios
from rates.families import FAMILIES, TRUST_LABELS, TRUST_LEVELS, Kind
from rates.model import NATIONAL
from rates.months import Month
from rates.store import NotConfigured, Snapshot
from rates.tables import read_table
from service import coverage, guidance, pension, places, quotes, schemas
from service import window as counter
from service.answers import Data, Tiers, fast_body, snapshot_token
from service.apibase import current_month
from service.auth import current_user
from service.db import snapshot, store
from service.errors import translate
from service.present import (
    DECLARED_LABEL,
    PART_LABELS,
    PROVISIONAL_LABEL,
    XLSX,
    is_service_rule,
    percent,
    quote_answer,
    version_data,
)
from service.region_picker import region_groups

bp = Blueprint("pages", __name__)

TIERED = ("flexible_pension", "flexible_medical")  # the schemes whose base is chosen by tier
FORM_FIELDS = (
    "region",
    "scheme",
    "start",
    "end",
    "basis",
    "base_ratio",
    "base",
    "headcount",
    "factor",
    # medical insurance's own choice (issue 19): sent with the marker medical_form by the medical block
    "medical_form",
    "medical_basis",
    "medical_base_ratio",
    "medical_base",
    "medical_tier",
)
# The engine's choice fields as the medical block names them, to say a message next to the field typed.
MEDICAL_FIELDS = {"base": "medical_base", "base_ratio": "medical_base_ratio", "medical_tier": "medical_tier"}
HEADCOUNT_RE = re.compile(r"^[0-9]{1,7}$")
REQUEST_SCHEMA = schemas.CalculateRequestSchema()  # the API's input rules; a schema keeps no state between loads
CHART = {"width": 340, "label": 44, "value": 80, "row": 22, "bar": 14, "top": 6}


@bp.app_template_filter("pct")
@functools.lru_cache(maxsize=1024)  # a page shows the same few rates on every row
def pct(ratio: str) -> str:
    """A ratio as the API writes it ("0.2") shown as a percentage ("20%")."""
    return percent(Decimal(ratio))


# ---------------------------------------------------------------- forms


def typed(form: MultiDict[str, str]) -> dict[str, str]:
    """What the user typed, trimmed and cut to a sane length, to put back into the form."""
    given = form.to_dict()  # a plain dict: a MultiDict raises (and catches) an error for every field absent
    values = Data({name: given.get(name, "").strip()[:40] for name in FORM_FIELDS})  # read as attributes too
    values["basis"] = "base" if values["basis"] == "base" else "ratio"
    values["medical_basis"] = "base" if values["medical_basis"] == "base" else "ratio"
    return values


def medical_shape(snap: Snapshot, region: str, month: Month) -> str | None:
    """The rule shape (basis) of the region's medical insurance in ``month``; None where it is not configured."""
    if region not in snap.regions:
        return None
    try:
        version = snap.at(region, "flexible_medical", month).version
    except NotConfigured:
        return None
    return str(version.values.get("basis", "ratio_range"))


def scheme_choice(
    snap: Snapshot, values: dict[str, str], scheme: str, main: bool
) -> tuple[dict[str, str], dict[str, str]]:
    """What one scheme of the form chose, by the API's names, and the form field each came from.

    Each scheme reads its own fields (issue 19): the pension its tier or base; medical insurance only what
    its city's rule takes (a base, a ratio tier, a yearly tier, or nothing), so that a default of another
    scheme is never sent to it. The scheme chosen above also reads the shared fields when the form sent
    no medical block (a link written before it, like the API's body: base_ratio, base, medical_tier).
    """
    if scheme == "flexible_medical" and (values["medical_form"] or not main):
        shape = medical_shape(snap, values["region"], form_month(values))
        wanted: dict[str, str] = {}
        if shape == "ratio_range":
            if values["medical_basis"] == "base":
                wanted["base"] = "medical_base"
            else:
                wanted["base_ratio"] = "medical_base_ratio"
        elif shape in ("declared", "avg_ratio"):  # avg_ratio: an approved base may be typed, else the ratio
            wanted["base"] = "medical_base"
        elif shape == "yearly_tiers":
            wanted["medical_tier"] = "medical_tier"
        chosen = {name: values[field] for name, field in wanted.items() if values[field]}
        # a select the form did not send counts as its first option, as a browser sends it
        if "base_ratio" in wanted and not chosen:
            first = medical_tier_choices(snap, values)
            if first:
                chosen["base_ratio"] = first[0]["value"]
        if "medical_tier" in wanted and not chosen:
            chosen["medical_tier"] = "1"
        return chosen, wanted
    if scheme not in TIERED:  # resident medical, the outlet: no tier, no base
        return {}, {}
    field = "base" if values["basis"] == "base" else "base_ratio"  # only the figure the user chose counts
    chosen = {field: values[field]} if values[field] else {}
    if scheme == "flexible_medical" and values["medical_tier"]:
        chosen["medical_tier"] = values["medical_tier"]
    return chosen, {field: field, "medical_tier": "medical_tier"}


def load_request(
    values: dict[str, str], snap: Snapshot, scheme: str | None = None, main: bool = True
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The form as the API's request for ``scheme`` (the one chosen above unless named), or the Chinese message
    of each field to fix, by the form's own field names."""
    scheme = scheme or values["scheme"]
    raw: dict[str, Any] = {name: values[name] for name in ("region", "start", "end") if values[name]}
    if scheme:
        raw["scheme"] = scheme
    chosen, fields = scheme_choice(snap, values, scheme, main)
    for name, text in chosen.items():
        raw[name] = (int(text) if text in ("1", "2") else text) if name == "medical_tier" else text
    if main and values["factor"]:
        raw["factor"] = values["factor"]
    if not main:
        raw["headcount"] = 1
    elif values["headcount"]:
        # forms send text; the schema takes whole numbers only, as the API does for JSON
        raw["headcount"] = int(values["headcount"]) if HEADCOUNT_RE.match(values["headcount"]) else values["headcount"]
    fast = fast_body(raw)  # a plainly valid form is read as the API reads a plain body, without the schema's walk
    if fast is not None:
        return dict(vars(fast)), {}
    try:
        return REQUEST_SCHEMA.load(raw), {}
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        return None, {
            fields.get(name, name): translate(str(texts[0] if isinstance(texts, list) else texts))
            for name, texts in messages.items()
        }


def form_field(values: dict[str, str], snap: Snapshot, scheme: str, main: bool, field: str) -> str:
    """The form field where an engine message about ``field`` of ``scheme`` is said (medical: its own fields)."""
    _, fields = scheme_choice(snap, values, scheme, main)
    if field in fields:
        return fields[field]
    figures = [typed for name, typed in fields.items() if name in ("base", "base_ratio")]
    if field in ("base", "base_ratio") and len(figures) == 1:  # said by the one figure the person chose to give
        return figures[0]
    if scheme == "flexible_medical" and (values["medical_form"] or not main) and field in MEDICAL_FIELDS:
        return MEDICAL_FIELDS[field]
    return field


def region_choices(snap: Snapshot) -> list[dict[str, str]]:
    choices = []
    for code, region in sorted(snap.regions.items()):
        if code == NATIONAL:
            continue
        parent = snap.regions.get(region.parent or "")
        prefix = f"{parent.name} · " if parent and parent.code != NATIONAL else ""
        choices.append({"value": code, "label": f"{prefix}{region.name}"})
    return choices


def form_month(values: dict[str, str]) -> Month:
    """The month the form's parts are about: the first month typed, or this month while it is not a month."""
    try:
        return Month.parse(values["start"])
    except ValueError:
        return current_month()


def tier_choices(snap: Snapshot, values: dict[str, str]) -> list[dict[str, str]]:
    """The tiers the scheme in force allows (60% … 300%), read from the parameters, never assumed.

    A scheme not configured in the region (medical in 南昌) offers the pension's tiers, so that the
    list stays a list: the answer then says the scheme is not configured, for every tier alike.
    """
    return ratio_choices(snap, values, "flexible_pension", "base_ratio")


def medical_tier_choices(snap: Snapshot, values: dict[str, str]) -> list[dict[str, str]]:
    """The ratio tiers of the region's medical insurance, where its rule is a range of the average wage."""
    return ratio_choices(snap, values, "flexible_medical", "medical_base_ratio")


def ratio_choices(snap: Snapshot, values: dict[str, str], chosen: str, field: str) -> list[dict[str, str]]:
    month = form_month(values)
    ratios: list[Decimal] = []
    for scheme in dict.fromkeys((chosen, "flexible_pension")):
        ratios = scheme_ratios(snap, values["region"], scheme, month)
        if len(ratios) > 1 or scheme == "flexible_pension":  # a fixed ratio (成都 80%) is no choice
            break
    choices = [{"value": format(r.normalize(), "f"), "label": percent(r)} for r in ratios]
    typed_ratio = values[field]
    if typed_ratio and typed_ratio not in {c["value"] for c in choices}:
        try:  # keep what was typed, written as the others are when it is a number
            label = percent(Decimal(typed_ratio))
        except ArithmeticError:
            label = typed_ratio
        choices.append({"value": typed_ratio, "label": label})
    return choices


def scheme_ratios(snap: Snapshot, region: str, scheme: str, month: Month) -> list[Decimal]:
    for level in (region, NATIONAL):
        if level not in snap.regions:
            continue
        try:
            version = snap.at(level, scheme, month).version
        except NotConfigured:
            continue
        floor, ceiling = version.decimal("base_ratio_floor"), version.decimal("base_ratio_ceiling")
        if floor is not None and ceiling is not None:
            return tier_ratios(floor, ceiling)
        if (fixed := version.decimal("base_ratio")) is not None:  # a base fixed as one ratio of the average (成都 80%)
            return [fixed]
    return []


def medical_help(snap: Snapshot, values: dict[str, str]) -> dict[str, Any]:
    """What the medical block of the form says: which regions price medical, and what the chosen one needs."""
    month = form_month(values)
    configured = snap.kept(("medical configured", month.index()), lambda: medical_regions(snap, month))
    need = None
    if values["region"] in snap.regions:
        try:
            version = snap.at(values["region"], "flexible_medical", month).version
        except NotConfigured:
            need = "not_configured"
        else:
            need = str(version.values.get("basis", "ratio_range"))
    return {
        "month": str(month),
        "configured": configured,
        "need": need,
        "instruction": MEDICAL_INSTRUCTIONS.get(need or "", ""),
        "instructions": MEDICAL_INSTRUCTIONS,
        "region_name": snap.regions[values["region"]].name if values["region"] in snap.regions else "",
    }


def medical_regions(snap: Snapshot, month: Month) -> list[str]:
    """The names of the regions where flexible-worker medical insurance is priced in ``month``."""
    configured = []
    for code, region in sorted(snap.regions.items()):
        if code == NATIONAL:
            continue
        try:
            snap.at(code, "flexible_medical", month)
        except NotConfigured:
            continue
        configured.append(region.name)
    return configured


NOT_CONFIGURED_HERE = "所选地区和月份尚未配置该险种的参数，本服务不作估算：见下方说明和咨询方式。"

MEDICAL_INSTRUCTIONS = {
    "ratio_range": "选择医保缴费比例档次，或选“按医保缴费基数”并填写。",
    "declared": "按本人申报的缴费基数缴费：请填写医保缴费基数。",
    "avg_ratio": "缴费基数固定为上年度全省全口径月平均工资的一定比例，无需选择；也可填写经办机构核定的医保缴费基数。",
    "yearly_tiers": "按年度固定标准缴费：请选择医保缴费档次（一档或二档），不填缴费基数。",
    "fixed_monthly": "按每月固定金额缴费，无需选择档次或填写基数。",
    "not_configured": "尚未配置（没有可查证来源的数据）：请向参保地医保经办机构咨询，或拨打12393医保服务热线。",
}


def form_context(
    snap: Snapshot, values: dict[str, str], errors: dict[str, str], missing: object = None
) -> dict[str, Any]:
    """The form as the page shows it: drawn once, filled with what was typed (``form_html``)."""
    return {"values": values, "errors": errors, "form_html": form_html(snap, values, errors, missing)}


def drawing(template: str, **context: Any) -> places.Drawing:
    """A template that depends on nothing but its places, drawn once per app."""
    if not current_app.config.get("KEEP_DERIVED", True):  # drawn anew: the sweep compares pages with and without
        return places.Drawing(render_template(template, **context))
    kept: dict[str, places.Drawing] = current_app.extensions.setdefault("drawings", {})
    found = kept.get(template)
    if found is None:
        found = kept[template] = places.Drawing(render_template(template, **context))
    return found


def form_html(snap: Snapshot, values: dict[str, str], errors: dict[str, str], missing: object = None) -> Markup:
    """The calculation form (pages/_form.html) filled with what was typed and the messages about it."""
    hint, configured = medical_parts(snap, values)
    parts = {
        # a scheme not configured is no mistake to fix: the answer (missing) says it, and whom to ask
        "error-summary": render_template("pages/_error_summary.html", errors=errors) if errors and not missing else "",
        "region-options": region_options(snap, values["region"]),
        "tier-options": tier_options_html(snap, values),
        "medical-tier-options": tier_options_html(snap, values, "medical_base_ratio"),
        "medical-hint": hint,
        "medical-configured": configured,
        "medical-needs": medical_needs(snap, form_month(values)),
    }
    return drawing("pages/_form.html", schemes=SCHEMES).fill(places.form_fill(values, errors, parts))


def medical_parts(snap: Snapshot, values: dict[str, str]) -> tuple[Markup, Markup]:
    """The medical block's words for the region and month asked (what it needs, where it is priced), drawn once."""

    def draw() -> tuple[Markup, Markup]:
        medical = medical_help(snap, values)
        module = current_app.jinja_env.get_template("pages/_medical_help.html").module
        return Markup(module.hint(medical)), Markup(module.configured(medical))  # noqa: S704  # escaped by the template

    parts: tuple[Markup, Markup] = snap.kept(("medical parts", values["region"], form_month(values).index()), draw)
    return parts


def tier_options_html(snap: Snapshot, values: dict[str, str], field: str = "base_ratio") -> Markup:
    """The options of a tier field (the pension's, or medical's own) for the region and month, drawn once."""
    choices = tier_choices(snap, values) if field == "base_ratio" else medical_tier_choices(snap, values)
    key = ("tier options", field, *(c["value"] for c in choices))

    def draw() -> places.Drawing:
        return places.Drawing(render_template("pages/_tier_options.html", tier_options=choices, field=field))

    options: places.Drawing = snap.kept(key, draw)
    return options.fill(places.form_fill(values, {}, {}))


def medical_needs(snap: Snapshot, month: Month) -> Markup:
    """The attribute that tells forms.js each region's medical rule shape by month (runs of months, first and
    last included; a month in none: not configured), so that a month typed on the page is answered too."""

    def draw() -> Markup:
        versions = [v for v in snap.all_versions if v.family == "flexible_medical"]
        first = min((v.effective_from for v in versions), default=month)
        last = max([month, *(v.effective_to or v.effective_from for v in versions)])
        needs: dict[str, list[list[str]]] = {}
        for code in sorted(snap.regions):
            runs: list[list[str]] = []
            for each in Month(first.year, 1).until(Month(last.year + 1, 12)):
                shape = medical_shape(snap, code, each)
                if shape is None:
                    continue
                if runs and runs[-1][2] == shape and Month.parse(runs[-1][1]) + 1 == each:
                    runs[-1][1] = str(each)
                else:
                    runs.append([str(each), str(each), shape])
            if runs:
                needs[code] = runs
        return Markup('data-month="{}" data-needs="{}"').format(str(month), json.dumps(needs, separators=(",", ":")))

    drawn: Markup = snap.kept(("medical needs", month.index()), draw)
    return drawn


def defaults() -> dict[str, str]:
    month = current_month()
    values = Data({name: "" for name in FORM_FIELDS})
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
    # the headline trust is that of the figures from documents; the service's own rules are shown as such
    documented = [r for r in quote["references"] if not is_service_rule(r)]
    worst = max((TRUST_LEVELS.index(r["trust"]) for r in documented), default=0)
    return {
        "quote": quote,
        "per": "年" if quote["months"] and all(line.get("year") for line in quote["months"]) else "月",
        "amounts": amounts,
        "versions": {r["id"]: r for r in quote["references"]},
        "trust": TRUST_LEVELS[worst],
        "trust_label": TRUST_LABELS[TRUST_LEVELS[worst]],
        "months_count": Month.parse(quote["start"]).count_until(Month.parse(quote["end"])),
        "ratio_label": percent(Decimal(quote["base_ratio"])) if quote.get("base_ratio") else None,
        "spans": month_spans(quote),
    }


def answer_sources(snap: Snapshot, result: dict[str, Any]) -> Markup:
    """The 依据 list of a result: drawn once per snapshot for the versions it cites, its months filled in."""
    quote = result["quote"]
    cited = tuple((r["id"], r["provisional"], r["level"]) for r in quote["references"])

    def draw() -> places.Drawing:
        context = {"region": quote["region"], "references": quote["references"], "spans": places.SPAN_PLACES}
        return places.Drawing(render_template("pages/_sources.html", **context, **common()))

    drawn: places.Drawing = snap.kept(("sources", quote["region"], cited), draw)
    return drawn.fill(places.spans_fill(result["spans"]))


def month_spans(quote: dict[str, Any]) -> dict[int, str]:
    """For each version the answer used, the months (or years) it priced, as runs: "2025-01 至 2025-12"."""
    yearly = quote["scheme"] == "resident_medical"
    runs: dict[int, list[list[str]]] = {}
    last: dict[int, int] = {}
    for index, line in enumerate(quote["months"]):
        label = f"{line['year']}年" if yearly else line["month"]
        for vid in line["version"].values():
            if last.get(vid) == index - 1:
                runs[vid][-1][1] = label
            else:
                runs.setdefault(vid, []).append([label, label])
            last[vid] = index
    return {
        vid: "、".join(first if first == end else f"{first} 至 {end}" for first, end in spans)
        for vid, spans in runs.items()
    }


def tier_table(snap: Snapshot, region: str, scheme: str, month: Month) -> dict[str, Any]:
    answer = current_app.extensions["tier_cache"](snap, region, scheme, month)  # the API's, kept per snapshot
    data = answer["tiers"]
    top = max((Decimal(t["yearly"]) for t in data if t["yearly"] is not None), default=Decimal(0))
    span = CHART["width"] - CHART["label"] - CHART["value"]
    for i, tier in enumerate(data):
        # drawing only: the bar length in SVG units, proportional to the yearly amount
        tier["bar"] = int(Decimal(tier["yearly"]) * span / top) if top and tier["yearly"] is not None else 0
        tier["y"] = CHART["top"] + i * CHART["row"]
    return Data(  # read as attributes by the template, hundreds of times
        year=month.year,
        month=str(month),
        rows=data,
        references=answer["references"],
        chart=Data(CHART, height=CHART["top"] * 2 + len(data) * CHART["row"]),
        provisional=any(t["provisional"] for t in data),
    )


# The places in the tier section that mark the tier a request chose: (when chosen, when not).
CHOSEN_FILLS = {
    "bar": (" chosen", ""),
    "row": (' class="chosen"', ""),
    "row-provisional": (' class="is-provisional chosen"', ' class="is-provisional"'),
    "label": ('<span class="visually-hidden">（所选档次）</span>', ""),
}


def tier_section(snap: Snapshot, region: str, scheme: str, month: Month, chosen: str | None) -> Markup:
    """The tier comparison as HTML: the same for everyone asking there and then, so drawn once per snapshot.

    Kept beside the API's tier tables (the same snapshot key, so a publication never leaves an old
    table on the page), with places (``service.places``) that mark the chosen tier.
    """
    cache: Tiers = current_app.extensions["tier_cache"]

    def draw() -> places.Drawing:
        table = tier_table(snap, region, scheme, month)
        return places.Drawing(render_template("pages/_tiers.html", tiers=table, region=region, **common()))

    drawn: places.Drawing = cache.get(("html", snapshot_token(snap), region, scheme, month.index()), draw)
    return drawn.mark(CHOSEN_FILLS, chosen)


def region_options(snap: Snapshot, selected: str) -> Markup:
    """The options of the region field, every province a group: drawn once per snapshot, the selected one marked."""

    def draw() -> places.Drawing:
        return places.Drawing(render_template("pages/_region_options.html", groups=region_groups(snap)))

    drawn: places.Drawing = snap.kept(("region options",), draw)
    return drawn.mark(SELECTED_FILLS, selected)


SELECTED_FILLS = {"selected": (" selected", "")}


def common() -> dict[str, Any]:
    return {
        "part_labels": PART_LABELS,
        "provisional_label": PROVISIONAL_LABEL,
        "declared_label": DECLARED_LABEL,
        "trust_labels": TRUST_LABELS,
    }


# ---------------------------------------------------------------- 测算


@bp.get("/")
def calculate() -> tuple[str, int] | str:
    snap = snapshot()
    if "region" not in request.args:
        context = form_context(snap, defaults(), {}) | common() | pension_context(snap, defaults(), MultiDict())
        return render_template("pages/calculate.html", **context)
    values = typed(request.args)
    body, errors = load_request(values, snap)
    result = tiers_html = missing = None
    tier_error = None
    if body is not None:
        try:
            result = priced(snap, body)
            result["sources_html"] = answer_sources(snap, result)
        except QuoteError as error:
            errors = {form_field(values, snap, body["scheme"], True, error.field): error.message}
            if error.code == "not_configured":
                missing = guidance.not_configured(snap, body["region"], body["scheme"], body["start"], error.message)
                errors = {error.field: NOT_CONFIGURED_HERE}  # the whole message once, where it says whom to ask
    if body is not None and body["scheme"] in TIERED and body["region"] in snap.regions:
        try:
            ratio = body.get("base_ratio")  # the tier the request priced, whichever field it came from
            chosen = format(ratio.normalize(), "f") if ratio is not None else None
            tiers_html = tier_section(snap, body["region"], body["scheme"], body["start"], chosen)
        except QuoteError as error:
            tier_error = None if missing else error.message  # said once, with whom to ask
    context = form_context(snap, values, errors, missing) | common() | pension_context(snap, values, request.args)
    status = 200 if not errors else 422
    page = render_template(
        "pages/calculate.html", result=result, tiers_html=tiers_html, tier_error=tier_error, missing=missing, **context
    )
    return page, status


def pension_context(snap: Snapshot, values: dict[str, str], form: MultiDict[str, str]) -> dict[str, Any]:
    """The 养老金估算 part (issue 11, service/pension.py): estimated only once a birth month is given."""
    typed_pension = pension.page_values(form)
    chosen = values["base_ratio"] if values["basis"] == "ratio" else None
    section = None
    if typed_pension["birth_month"] and values["region"] in snap.regions:
        section = pension.page_section(snap, values["region"], typed_pension, chosen)
    section = section or {"values": typed_pension, "errors": {}}
    return {"pension": section, "pension_fields_html": pension_fields_html(section)}


PENSION_MORE = ("paid_months", "account_interest_rate", "wage_growth", "retire_early_months", "retire_late_months")


def pension_fields_html(section: dict[str, Any]) -> Markup:
    """The pension estimate's fields (pages/_pension_fields.html), filled with what was typed."""
    typed_values, errors = section["values"], section["errors"]
    # the details open where something in them was typed, or something is to fix
    opened = " open" if errors or any(typed_values.get(name) for name in PENSION_MORE) else ""
    drawn = drawing("pages/_pension_fields.html", categories=pension.CATEGORIES)
    return drawn.fill(places.form_fill(typed_values, errors, {"pension-open": opened}))


# ---------------------------------------------------------------- 窗口


@bp.get("/window")
def window() -> str:
    snap, values = snapshot(), defaults()
    context = form_context(snap, values, {}) | common() | window_context() | pension_context(snap, values, MultiDict())
    return render_template("pages/window.html", clerk="", person=counter.empty_person(), **context)


def window_context() -> dict[str, Any]:
    return {"personal": {code: SCHEMES[code] for code in counter.PERSONAL}, "office": quote_office()}


def quote_office() -> str:
    """The issuing office printed on every quote (QUOTE_OFFICE); empty: a line for a stamp."""
    return str(current_app.config.get("QUOTE_OFFICE") or "").strip()[: quotes.MAX_OFFICE]


@bp.post("/window")
def window_issue() -> Response | tuple[str, int]:
    snap = snapshot()
    values = typed(request.form)
    clerk = request.form.get("clerk", "").strip()[: quotes.MAX_CLERK]
    person = counter.person_values(request.form)
    body, errors = load_request(values, snap)
    applicant, person_errors = counter.applicant(person)
    requests: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    if body is not None:
        codes, also_errors = counter.schemes(body["scheme"], person["also"])
        errors = errors | also_errors
        for index, code in enumerate(codes):
            # each scheme with its own choice: what it answers alone, as POST /api/v1/calculate would
            part, part_errors = (body, {}) if index == 0 else load_request(values, snap, code, main=False)
            if part is None:
                errors = errors | part_errors
                break
            requests.append(part)
            try:
                results.append(answer(snap, part))
            except QuoteError as error:
                # a ticked scheme that cannot be priced (not configured here) is said next to 另加险种
                field = "also" if index and error.field == "scheme" else ""
                field = field or form_field(values, snap, code, index == 0, error.field)
                errors = errors | {field: error.message}
                break
    errors = errors | person_errors
    extra = pension_context(snap, values, request.form)
    if errors or body is None or extra["pension"]["errors"]:
        context = form_context(snap, values, errors) | common() | window_context() | extra
        return render_template("pages/window.html", clerk=clerk, person=person, **context), 422
    estimate = pension.quote_section(extra["pension"])
    if estimate is not None:
        results[0] = {**results[0], "pension": estimate}  # a copy: the cached answer is shared
    dumped = [schemas.CalculateRequestSchema().dump(part) for part in requests]
    with Session(store().engine) as session, session.begin():
        row = quotes.issue(
            session,
            dumped,
            results,
            clerk,
            applicant,
            office=quote_office(),
            secret=current_app.config["SECRET_KEY"],
        )
        key = row.access_key
    return redirect(url_for("pages.quote_page", serial=key), 303)


def issued(link: str) -> dict[str, Any]:
    """The quote of a link's random key, or, for logged-in staff, of its printed serial."""
    with Session(store().engine) as session:
        row = quotes.find(session, link)
        if row is None and quotes.SERIAL_RE.match(link) and current_user() is not None:
            row = quotes.find_by_serial(session, link)
        if row is None:
            abort(404)
        return quotes.view(row)


def quote_url(serial: str) -> str:
    """The address the printed QR code leads to (QUOTE_BASE_URL when the public address differs)."""
    path = url_for("pages.quote_page", serial=serial)
    base = str(current_app.config.get("QUOTE_BASE_URL") or "").rstrip("/")
    return base + path if base else url_for("pages.quote_page", serial=serial, _external=True)


@bp.get("/window/quote/<serial>")
def quote_page(serial: str) -> str:
    data = issued(serial)
    parts = [decorate(part["quote"]) | {"part": part} for part in data["parts"]]
    return render_template(
        "pages/quote.html",
        issued=data,
        parts=parts,
        qr=counter.qr_svg(quote_url(data["key"])),
        **decorate(data["quote"]),
        **common(),
    )


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
        month, month_error = current_month(), f"“{month_text}”不是有效月份，请写成 YYYY-MM，例如 2025-01。"
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
