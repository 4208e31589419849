"""The counter's pages (窗口, issue 19): the clerk's form, issuing a quote, and the quote printed or as a workbook.

Each scheme of a quote is priced on the one answer path (``service.answer.answers``): what it answers alone on
``POST /api/v1/calculate`` with its own choice.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, send_file, url_for
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from calc.quote import SCHEMES, QuoteError, QuoteRequest
from service.answer.present import PART_LABELS, XLSX
from service.api import schemas
from service.core.auth import current_user
from service.core.db import snapshot, store
from service.counter import checks, quotes
from service.counter import window as desk
from service.pages.calc_form import common, defaults, form_context, form_field, load_request, typed
from service.pages.views import answer, decorate, pension_context
from service.pension import views as pension

bp = Blueprint("counter", __name__)


@bp.get("/window")
def window() -> str:
    """The clerk's form; 再出一张 opens it with the last quote's region, scheme, months, choice and clerk."""
    snap, values = snapshot(), defaults()
    values.update({name: value for name, value in typed(request.args).items() if name in request.args})
    clerk = request.args.get("clerk", "").strip()[: quotes.MAX_CLERK]
    person = desk.empty_person() | {"also": [c for c in request.args.getlist("also") if c in desk.PERSONAL]}
    context = form_context(snap, values, {}) | common() | window_context() | pension_context(snap, values, MultiDict())
    return render_template("pages/window.html", clerk=clerk, person=person, **context)


def window_context() -> dict[str, Any]:
    return {"personal": {code: SCHEMES[code] for code in desk.PERSONAL}, "office": quote_office()}


def quote_office() -> str:
    """The issuing office printed on every quote (QUOTE_OFFICE); empty: a line for a stamp."""
    return str(current_app.config.get("QUOTE_OFFICE") or "").strip()[: quotes.MAX_OFFICE]


@bp.post("/window")
def window_issue() -> Response | tuple[str, int]:
    snap = snapshot()
    values = typed(request.form)
    clerk = request.form.get("clerk", "").strip()[: quotes.MAX_CLERK]
    person = desk.person_values(request.form)
    question, errors = load_request(values, snap)
    applicant, person_errors = desk.applicant(person)
    requests: list[QuoteRequest] = []
    results: list[dict[str, Any]] = []
    if question is not None:
        codes, also_errors = desk.schemes(question.scheme, person["also"])
        errors = errors | also_errors
        for index, code in enumerate(codes):
            # each scheme with its own choice: what it answers alone, as POST /api/v1/calculate would
            part, part_errors = (question, {}) if index == 0 else load_request(values, snap, code, main=False)
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
    if errors or question is None or extra["pension"]["errors"]:
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
            actor=checks.issuer(clerk),
        )
        key = row.access_key
    return redirect(url_for("counter.quote_page", serial=key), 303)


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
    path = url_for("counter.quote_page", serial=serial)
    base = str(current_app.config.get("QUOTE_BASE_URL") or "").rstrip("/")
    return base + path if base else url_for("counter.quote_page", serial=serial, _external=True)


@bp.get("/window/quote/<serial>")
def quote_page(serial: str) -> str:
    data = issued(serial)
    parts = [decorate(part["quote"]) | {"part": part} for part in data["parts"]]
    return render_template(
        "pages/quote.html",
        issued=data,
        parts=parts,
        qr=desk.qr_svg(quote_url(data["key"])),
        **decorate(data["quote"]),
        **common(),
    )


@bp.get("/window/quote/<serial>.xlsx")
def quote_xlsx(serial: str) -> Response:
    data = issued(serial)
    # send_file writes the Chinese name for every browser: an ASCII fallback and RFC 5987's filename*
    return send_file(
        io.BytesIO(quotes.workbook(data, PART_LABELS)),
        mimetype=XLSX,
        as_attachment=True,
        download_name=data["download_name"],
    )
