"""The 测算 page (workers): the form, the answer, the tier comparison and the pension estimate.

Pages only translate: the form is read by the API's request schema into the frozen request
(``service.pages.calc_form``), and the answer is the API's own (``service.answer.answers``: the same bytes, decoded),
rendered by plain Jinja templates. The counter's pages are ``service.counter.views``, the 参数 pages
``service.pages.parameter_pages``.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from flask import Blueprint, render_template, request
from werkzeug.datastructures import MultiDict

from calc.quote import QuoteError, QuoteRequest
from rates.families import TRUST_LABELS, TRUST_LEVELS
from rates.months import Month
from rates.store import Snapshot
from service.answer.answers import TierRequest, caches
from service.answer.present import is_service_rule, percent
from service.api.base import current_month
from service.core.db import snapshot
from service.pages import drawn, guidance
from service.pages.calc_form import (
    FORM_CHOICES,
    NOT_CONFIGURED_HERE,
    TIERED,
    common,
    defaults,
    form_context,
    form_field,
    load_request,
    typed,
)
from service.pension import views as pension

bp = Blueprint("pages", __name__)

CHART = {"width": 340, "label": 44, "value": 80, "row": 22, "bar": 14, "top": 6}


@bp.app_template_filter("pct")
@functools.lru_cache(maxsize=256)
def pct(ratio: str) -> str:
    """A ratio as the API writes it ("0.2") shown as a percentage ("20%"); the same few on every month's row."""
    return percent(Decimal(ratio))


# ---------------------------------------------------------------- results


def answer(snap: Snapshot, question: QuoteRequest) -> dict[str, Any]:
    """The API's answer, decoded afresh (a page may change its copy)."""
    return caches().answer(snap, question)


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


def tier_table(snap: Snapshot, asked: TierRequest) -> dict[str, Any]:
    """The tier comparison: the API's table (decoded afresh), with what the chart draws."""
    answer = caches().tier_table(snap, asked)
    data = answer["tiers"]
    top = max((Decimal(t["yearly"]) for t in data if t["yearly"] is not None), default=Decimal(0))
    span = CHART["width"] - CHART["label"] - CHART["value"]
    for i, tier in enumerate(data):
        # drawing only: the bar length in SVG units, proportional to the yearly amount; the row's coordinates
        # worked out here once rather than by the template, expression by expression, on every row
        tier["bar"] = int(Decimal(tier["yearly"]) * span / top) if top and tier["yearly"] is not None else 0
        tier["y"] = CHART["top"] + i * CHART["row"]
        tier["text_y"] = tier["y"] + CHART["bar"] - 3
        tier["value_x"] = CHART["label"] + tier["bar"] + 4
    return dict(
        region=asked.region,
        year=asked.month.year,
        month=str(asked.month),
        rows=data,
        references=answer["references"],
        chart=dict(
            CHART,
            height=CHART["top"] * 2 + len(data) * CHART["row"],
            percent_x=CHART["label"] - 4,
            note_x=CHART["label"] + 4,
        ),
        provisional=any(t["provisional"] for t in data),
    )


# ---------------------------------------------------------------- 测算


@bp.get("/")
def calculate() -> tuple[str, int] | str:
    snap = snapshot()
    if "region" not in request.args:
        context = form_context(snap, defaults(), {}) | common() | pension_context(snap, defaults(), MultiDict())
        return render_template(
            "pages/calculate.html", calc_form=drawn.calc_form(snap, context, FORM_CHOICES), **context
        )
    values = typed(request.args)
    question, errors = load_request(values, snap)
    result = tiers = missing = None
    tier_error = None
    if question is not None:
        try:
            result = decorate(answer(snap, question))
            result["sources"] = drawn.sources(snap, question.region, result["quote"]["references"], result["spans"])
        except QuoteError as error:
            errors = {form_field(values, snap, question.scheme, True, error.field): error.message}
            if error.code == "not_configured":
                missing = guidance.not_configured(snap, question.region, question.scheme, question.start, error.message)
                errors = {error.field: NOT_CONFIGURED_HERE}  # the whole message once, where it says whom to ask
    if question is not None and question.scheme in TIERED and question.region in snap.regions:
        try:
            ratio = question.base_ratio  # the tier the request priced, whichever field it came from
            chosen = format(ratio.normalize(), "f") if ratio is not None else None
            asked = TierRequest(question.region, question.scheme, question.start)
            tiers = drawn.tier_section(snap, asked, lambda: tier_table(snap, asked), chosen)
        except QuoteError as error:
            tier_error = None if missing else error.message  # said once, with whom to ask
    context = form_context(snap, values, errors) | common() | pension_context(snap, values, request.args)
    status = 200 if not errors else 422
    region = values.get("region")
    info = None  # 职业伤害保障 of the chosen region, this month (issue 24)
    if isinstance(region, str) and region in snap.regions and region != "000000":
        info = drawn.injury_box(snap, region, current_month())
    page = render_template(
        "pages/calculate.html",
        calc_form=drawn.calc_form(snap, {**context, "missing": missing}, FORM_CHOICES),
        result=result,
        tiers=tiers,
        tier_error=tier_error,
        missing=missing,
        protection=info,
        **context,
    )
    return page, status


# The pension fields tucked in a details element: it opens where one of them was typed, or something is to fix.
PENSION_MORE = ("paid_months", "account_interest_rate", "wage_growth", "retire_early_months", "retire_late_months")


def pension_context(snap: Snapshot, values: dict[str, str], form: MultiDict[str, str]) -> dict[str, Any]:
    """The 养老金估算 part (issue 11, service/pension/views.py): estimated only once a birth month is given."""
    typed_pension = pension.page_values(form)
    chosen = values["base_ratio"] if values["basis"] == "ratio" else None
    section = None
    if typed_pension["birth_month"] and values["region"] in snap.regions:
        section = pension.page_section(snap, values["region"], typed_pension, chosen)
    section = section or {"values": typed_pension, "errors": {}}
    opened = bool(section["errors"]) or any(section["values"].get(name) for name in PENSION_MORE)
    return {"pension": section, "pension_open": opened, "categories": pension.CATEGORIES}
