"""The 测算 page gives the same money as the JSON API for the same question, shows as its trust the weakest
trust of the documents it priced with, and labels the service's own rounding rule as such."""

from __future__ import annotations

import html
from typing import Any

from flask.testing import FlaskClient

from rates.families import TRUST_LABELS
from service.answer.present import SERVICE_RULE_LABEL
from tests.sweep import probe, space
from tests.sweep.space import Ask


def page_problems(client: FlaskClient, ask: Ask, status: int, answer: dict[str, Any]) -> list[str]:
    where = f"page {ask.page_query()}"
    got, raw = probe.get(client, ask.page_query())
    page = raw.decode()
    if got >= 500:
        return [f"{where}: {got}"]
    if status != 200:
        if got != 422 or html.escape(answer["message"], quote=False) not in page:
            return [f"{where}: {got}, the API's {status} message is not on the page: {answer['message']}"]
        return []
    problems = []
    if got != 200:
        return [f"{where}: {got}, the API answered 200"]
    if f'data-testid="total"><a href="#sources">{answer["total"]}</a>' not in page:
        problems.append(f"{where}: total {answer['total']} not shown")
    for line in answer["months"]:
        if f'<td class="num amount">{line["amount"]}</td>' not in page:
            problems.append(f"{where}: {line['month']} amount {line['amount']} not shown")
    trust = probe.weakest(answer["references"])
    if f'数据可信度：<span class="trust trust-{trust}">{TRUST_LABELS[trust]}</span>' not in page:
        problems.append(f"{where}: the headline trust is not {TRUST_LABELS[trust]} (the weakest source)")
    if any(probe.is_service_rule(r) for r in answer["references"]) and SERVICE_RULE_LABEL not in page:
        problems.append(f"{where}: the rounding rule is not labelled {SERVICE_RULE_LABEL}")
    return problems


def test_the_page_shows_what_the_api_answers(client: FlaskClient, calc: probe.Results) -> None:
    problems: list[str] = []
    asked = calc.singles()
    for ask in space.sample(asked, 60, "pages", full=1500):
        found = calc.line(ask, ask.start)
        assert found is not None
        status, _ = found
        answer = probe.ask_calc(client, ask)  # the whole answer (the sweep kept the month's line)
        assert answer.status == status, ask
        problems += page_problems(client, ask, status, answer.data if answer.ok else answer.error)
        probe.TALLY.add("pages")
    assert not problems, "\n".join(problems[:40])
