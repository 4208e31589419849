"""The clerk's record mode on a page (经办核算, /window/benefit): the API's schema and answer, as a form.

Split from service.pension.views (module size); the request and the answer are the API's own.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from marshmallow import ValidationError, fields

from calc.quote import QuoteError
from calc.record import NATIONAL, benefit
from rates.families import TRUST_LABELS
from service.core import errors
from service.core.db import snapshot
from service.pension.benefit_api import BenefitRequestSchema, BenefitSchema, benefit_data, benefit_request

pages_bp = Blueprint("pension_pages", __name__)
BENEFIT_FIELDS = (
    "region",
    "contribution_years",
    "indexed_wage",
    "calc_base",
    "index_base",
    "average_index",
    "contribution_months",
    "account_balance",
    "retirement_age_months",
    "month",
    "transitional_years",
    "transitional_months",
    "transitional_index",
    "transitional_old_method",
)


# the schema's whole numbers, typed as text on the page (strict: the API takes them as JSON numbers)
INTEGERS = tuple(name for name, field in BenefitRequestSchema().fields.items() if isinstance(field, fields.Integer))


@pages_bp.get("/window/benefit")
def benefit_page() -> tuple[str, int] | str:
    """The clerk's record mode: the figures of a 核定表 in, the two parts of the pension out, to the fen."""
    values = {name: request.args.get(name, "").strip()[:20] for name in BENEFIT_FIELDS}
    snap = snapshot()
    regions = [(NATIONAL, "全国口径")] + [(c, r.name) for c, r in sorted(snap.regions.items()) if c != NATIONAL]
    context: dict[str, Any] = {"values": values, "errors": {}, "result": None, "regions": regions}
    if not any(v for k, v in values.items() if k != "region"):
        return render_template("pages/benefit.html", **context)
    raw: dict[str, Any] = {name: value for name, value in values.items() if value}
    for name in INTEGERS:
        if name in raw and raw[name].isdigit():
            raw[name] = int(raw[name])
    try:
        body = BenefitRequestSchema().load(raw)
    except ValidationError as error:
        context["errors"] = {name.split(".")[-1]: texts[0] for name, texts in errors._flatten(error.messages).items()}
        return render_template("pages/benefit.html", **context), 422
    record = benefit_request(body)
    try:
        context["result"] = BenefitSchema().dump(benefit_data(snap, benefit(snap, record)))
    except QuoteError as error:
        context["errors"] = {error.field: error.message}
        return render_template("pages/benefit.html", **context), 422
    return render_template("pages/benefit.html", trust_labels=TRUST_LABELS, **context)
