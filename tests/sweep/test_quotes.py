"""The counter quote (page and .xlsx) gives the same money as the JSON API, each part of a quote of several
schemes is what that scheme answers alone with its own choices, and the service's own rounding rule is
labelled 本服务计算规则 on the quote and in its workbook as on the 测算 page."""

from __future__ import annotations

import dataclasses
import io
import re
from decimal import Decimal
from typing import Any

import openpyxl
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from rates.families import FAMILIES
from service.answer.present import SERVICE_RULE_LABEL
from service.counter import quotes
from service.counter.window import PERSONAL
from tests.sweep import probe, space
from tests.sweep.space import Ask

ROUNDING = FAMILIES["base_rounding"].label
TOTAL = re.compile(r'<strong data-testid="total">([0-9.]+)</strong>')


Choices = dict[str, Ask]  # for each scheme of a quote, the question whose choice it is given


def _form(ask: Ask, choices: Choices, also: tuple[str, ...], estimate: bool) -> dict[str, Any]:
    """The counter form: each scheme its own choice (issue 19): the pension's in the shared fields, medical
    insurance's in its own block (medical_form), resident medical none."""
    form: dict[str, Any] = {"region": ask.region, "scheme": ask.scheme, "start": ask.start, "end": ask.end}
    pension = choices.get("flexible_pension")
    medical = choices.get("flexible_medical")
    if ask.scheme == "flexible_medical" and not also:
        pension, medical = ask, None  # a medical quote alone: the shared fields, as a link of old sends them
    if pension is not None:
        form["basis"] = "base" if pension.base is not None else "ratio"
        for name in ("base_ratio", "base", "medical_tier"):
            if getattr(pension, name) is not None:
                form[name] = str(getattr(pension, name))
    if medical is not None:
        form |= {"medical_form": "1", "medical_basis": "base" if medical.base is not None else "ratio"}
        for name, field in (
            ("base_ratio", "medical_base_ratio"),
            ("base", "medical_base"),
            ("medical_tier", "medical_tier"),
        ):
            if getattr(medical, name) is not None:
                form[field] = str(getattr(medical, name))
    if estimate:  # the quote carries the pension estimate too (a section of its own)
        form |= {"birth_month": "1985-03", "category": "male"}
    return form | {"clerk": "扫测", "also": list(also)}


def _answered(calc: probe.Results) -> dict[tuple[str, str], Choices]:
    """For each region and month, a question of each personal scheme that /calculate answers (the first asked)."""
    found: dict[tuple[str, str], Choices] = {}
    for ask in calc.singles():
        if ask.scheme in PERSONAL and calc.line(ask, ask.start)[0] == 200:
            found.setdefault((ask.region, ask.start), {}).setdefault(ask.scheme, ask)
    return found


def _issue(client: FlaskClient, form: dict[str, Any]) -> tuple[int, str]:
    client.get("/window")
    with client.session_transaction() as session:
        token = session.get("csrf_token")
    probe.TALLY.calls += 1
    response = client.post("/window", data=form | ({"csrf_token": token} if token else {}))
    return response.status_code, response.headers.get("Location", "") or response.get_data(as_text=True)


def _stored(app: Flask, location: str) -> dict[str, Any]:
    key = location.rstrip("/").rsplit("/", 1)[-1]
    with app.app_context(), Session(app.extensions["rates"].engine) as session:
        row = quotes.find(session, key)
        assert row is not None, location
        return quotes.view(row)


def _rows(workbook: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(workbook)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def quote_problems(
    app: Flask, client: FlaskClient, ask: Ask, choices: Choices, also: tuple[str, ...], estimate: bool = False
) -> list[str]:
    where = f"counter quote {ask} also {also}" + (" with an estimate" if estimate else "")
    status, location = _issue(client, _form(ask, choices, also, estimate))
    if status >= 500:
        return [f"{where}: {status}"]
    if status != 303:
        return [] if status == 422 and probe.CHINESE.search(location) else [f"{where}: {status}"]
    data = _stored(app, location)
    problems = []
    for part in data["parts"]:  # each part: what its scheme answers alone for the part's own request
        asked = {k: v for k, v in part["request"].items() if v is not None}
        alone = probe.ask_calc(client, Ask(**asked))
        chosen = choices.get(part["quote"]["scheme"])
        if chosen is not None and also:  # the scheme's own choice, not another scheme's, priced it
            own = probe.ask_calc(client, dataclasses.replace(chosen, start=asked["start"], end=asked["end"]))
            if own.data.get("total") != part["quote"]["total"]:
                problems.append(
                    f"{where}: part {asked} is {part['quote']['total']}, its own choice {chosen} {own.data}"
                )
        if not alone.ok or (alone.data["total"], alone.data["months"]) != (
            part["quote"]["total"],
            part["quote"]["months"],
        ):
            problems.append(
                f"{where}: part {asked} is {part['quote']['total']}, alone {alone.status} {alone.data.get('total')}"
            )
    _, raw = probe.get(client, location)
    page = raw.decode()
    shown = TOTAL.search(page)
    if shown is None or shown.group(1) != data["total"]:
        problems.append(f"{where}: the quote page shows {shown and shown.group(1)}, stored {data['total']}")
    rows = [row for row in page.split("<tr>") if f"{ROUNDING}（" in row]
    if any(SERVICE_RULE_LABEL not in row for row in rows):
        problems.append(f"{where}: the quote page labels the rounding rule otherwise than {SERVICE_RULE_LABEL}")
    _, book = probe.get(client, location + ".xlsx")
    cells = _rows(book)
    totals = [row[3] for row in cells if row and row[0] == "合计"]
    if not totals or Decimal(str(totals[-1])).quantize(Decimal("0.01")) != Decimal(data["total"]):
        problems.append(f"{where}: the workbook's 合计 {totals} is not {data['total']}")
    labels = [row[5] for row in cells if len(row) > 5 and row[2] == ROUNDING]
    if any(label != SERVICE_RULE_LABEL for label in labels):
        problems.append(f"{where}: the workbook labels the rounding rule {labels}")
    return problems


def test_the_counter_quote_is_what_each_scheme_answers(sweep_app: Flask, calc: probe.Results) -> None:
    client = sweep_app.test_client()
    answered = [ask for ask in calc.singles() if ask.scheme in PERSONAL and calc.line(ask, ask.start)[0] == 200]
    alike = _answered(calc)
    problems: list[str] = []
    for ask in space.sample(answered, 8, "quotes", full=150):
        choices = {**alike[(ask.region, ask.start)], ask.scheme: ask}  # the ask's own for its scheme
        others = tuple(code for code in PERSONAL if code != ask.scheme and code in choices)
        for also in ((), others):
            problems += quote_problems(sweep_app, client, ask, choices, also)
            probe.TALLY.add("counter quotes")
        if ask.scheme == "flexible_pension":
            problems += quote_problems(sweep_app, client, ask, choices, (), estimate=True)
            probe.TALLY.add("counter quotes")
    assert not problems, "\n".join(problems[:40])
