"""Asking the app in-process (Flask's test client) and checking each answer's own shape.

The invariants between answers (interfaces, caches, coverage) are in the test modules; here is what
every single answer must satisfy: no 5xx; 400 only for what the OpenAPI document refuses (the sweep
sends only requests the document accepts); an error in the one shape with a Chinese message naming a
field; an answer whose total is the sum of its months and whose months are the sum of their parts.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient

from rates.families import TRUST_LABELS, TRUST_LEVELS, trust_allowed
from tests.sweep.space import SEED, Ask, Group

CHINESE = re.compile(r"[\u4e00-\u9fff]")
NOT_PARTS = ("per_courier",)  # a breakdown entry that is a rate per courier, not a share of the amount


@dataclass
class Tally:
    """How many points were checked and how long it took (printed at the end of the run)."""

    points: int = 0
    calls: int = 0
    started: float = field(default_factory=time.perf_counter)
    parts: dict[str, int] = field(default_factory=dict)

    def add(self, part: str, points: int = 1) -> None:
        self.points += points
        self.parts[part] = self.parts.get(part, 0) + points


TALLY = Tally()


@dataclass
class Outcome:
    status: int
    data: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def error(self) -> dict[str, Any]:
        return self.data.get("error", {})


def post(client: FlaskClient, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
    TALLY.calls += 1
    response = client.post(path, json=body)
    return response.status_code, response.get_data()


def get(client: FlaskClient, path: str) -> tuple[int, bytes]:
    TALLY.calls += 1
    response = client.get(path)
    return response.status_code, response.get_data()


def error_problems(where: str, status: int, data: dict[str, Any]) -> list[str]:
    """An error answer: a 4xx in the one shape, in Chinese, naming what to fix."""
    problems = []
    if status >= 500:
        return [f"{where}: {status} {data}"]
    if status == 400:
        problems.append(f"{where}: 400 for a request the OpenAPI document accepts: {data}")
    error = data.get("error") or {}
    if error.get("status") != status or not error.get("code"):
        problems.append(f"{where}: error shape {data}")
    if not CHINESE.search(str(error.get("message", ""))):
        problems.append(f"{where}: message not in Chinese: {error}")
    if not error.get("field"):
        problems.append(f"{where}: the error names no field to fix: {error}")
    return problems


def quote_problems(ask: Ask, data: dict[str, Any]) -> list[str]:
    """An answer to a calculation: it echoes the question, and its sums add up to the fen."""
    problems = []
    where = str(ask)
    for name in ("region", "scheme", "start", "end", "medical_tier"):
        if data.get(name) != ask.body().get(name):
            problems.append(f"{where}: echoes {name}={data.get(name)!r}")
    if ask.base_ratio is not None and Decimal(data["base_ratio"]) != Decimal(ask.base_ratio):
        problems.append(f"{where}: echoes base_ratio={data['base_ratio']}")
    total = sum((Decimal(line["amount"]) for line in data["months"]), Decimal(0))
    if total != Decimal(data["total"]):
        problems.append(f"{where}: total {data['total']} is not the sum of its months {total}")
    cited = {r["id"] for r in data["references"]}
    for line in data["months"]:
        parts = sum((Decimal(v) for k, v in line["breakdown"].items() if k not in NOT_PARTS), Decimal(0))
        if line["breakdown"] and parts != Decimal(line["amount"]):
            problems.append(f"{where}: {line['month']} parts {parts} != amount {line['amount']}")
        if not set(line["version"].values()) <= cited:
            problems.append(f"{where}: {line['month']} priced with a version it does not cite")
    for version in data["references"]:
        if version["trust_label"] != label(version):
            problems.append(f"{where}: v{version['id']} labelled {version['trust_label']}, not {label(version)}")
        # a version claims no more trust than its own source lines give (defect 5: 官方原文 over 据公开汇编转引),
        # and 官方原文 only where the notice's verbatim sentence and its page are held (issue 25)
        held = any(r.get("excerpt") and r.get("excerpt_url") for r in version["references"])
        allowed = trust_allowed(version["trust"], [r.get("source") for r in version["references"]], held=held)
        if allowed != version["trust"]:
            problems.append(f"{where}: v{version['id']} claims {version['trust']}, its sources allow {allowed}")
        if version["trust_label"] == TRUST_LABELS["official"] and not held:
            problems.append(f"{where}: v{version['id']} shown as 官方原文 without its verbatim text held")
    documents = [r for r in data["references"] if not is_service_rule(r)]
    weaker = any(r["trust"] != "official" for r in documents)
    said = any("未取自官方原文" in note for note in data["notes"])
    if weaker != said:
        problems.append(f"{where}: the note on unofficial figures ({said}) disagrees with the sources ({weaker})")
    return problems


def official_without_text(page: str) -> list[str]:
    """Issue 25: every version the 参数 page shows as 官方原文 quotes the notice's sentence it holds, with its page."""
    problems = []
    for block in page.split('<article class="version')[1:]:
        block = block.split("</article>")[0]
        name = block.split('id="', 1)[1].split('"', 1)[0] if 'id="' in block else "?"
        if 'class="trust trust-official"' in block and 'class="held-text"' not in block:
            problems.append(f"{name} shown as 官方原文 without its verbatim text")
    return problems


def is_service_rule(version: dict[str, Any]) -> bool:
    from service.answer.present import is_service_rule as rule

    return rule(version)


def label(version: dict[str, Any]) -> str:
    """The one label of a version everywhere: the service's own rule as such, a document by its trust level."""
    from service.answer.present import SERVICE_RULE_LABEL

    return SERVICE_RULE_LABEL if is_service_rule(version) else TRUST_LABELS[version["trust"]]


def weakest(references: Iterable[dict[str, Any]]) -> str:
    """The weakest trust of the documents an answer priced with (the service's own rules are no document)."""
    levels = [TRUST_LEVELS.index(r["trust"]) for r in references if not is_service_rule(r)]
    return TRUST_LEVELS[max(levels, default=0)]


@dataclass
class Results:
    """Every one-month question's outcome: the line of its month from a range answer, or its own answer."""

    by_month: dict[tuple[Any, ...], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    answers: dict[Ask, Outcome] = field(default_factory=dict)  # the range answers (and singles asked)
    problems: list[str] = field(default_factory=list)

    @staticmethod
    def key(ask: Ask, month: str) -> tuple[Any, ...]:
        return (ask.region, ask.scheme, ask.figures(), month)

    def line(self, ask: Ask, month: str) -> tuple[int, dict[str, Any]] | None:
        return self.by_month.get(self.key(ask, month))

    def singles(self) -> list[Ask]:
        """Every one-month question asked (within a range or alone), in the order asked."""
        return [Ask(region, scheme, month, month, *figures) for region, scheme, figures, month in self.by_month]


def ask_calc(client: FlaskClient, ask: Ask) -> Outcome:
    status, raw = post(client, "/api/v1/calculate", ask.body())
    return Outcome(status, json.loads(raw))


def _line_of(data: dict[str, Any], month: str) -> dict[str, Any] | None:
    year = int(month[:4])
    for line in data["months"]:
        if line["month"] == month or (line.get("year") == year and line["year"] is not None):
            return line
    return None


def sweep_calc(client: FlaskClient, groups: list[Group], verify_share: float) -> Results:
    """Ask each group as one range; a refused range is asked month by month. ``verify_share`` of the answered
    ranges also have one month asked alone, which must give the very same line."""
    results = Results()
    rng = random.Random(SEED)
    for group in groups:
        ask = group.ask()
        outcome = results.answers[ask] = ask_calc(client, ask)
        if outcome.ok:
            results.problems += quote_problems(ask, outcome.data)
            for month in group.months:
                line = _line_of(outcome.data, str(month))
                if line is None:
                    results.problems.append(f"{ask}: no line for {month}")
                    continue
                results.by_month[Results.key(ask, str(month))] = (200, line)
            TALLY.add("calculate", len(group.months))
            if rng.random() < verify_share:
                single = rng.choice(group.singles())
                alone = ask_calc(client, single)
                if not alone.ok:
                    results.problems.append(f"{single}: {alone.status} alone, answered within {ask}")
                elif _comparable(_line_of(alone.data, single.start)) != _comparable(
                    _line_of(outcome.data, single.start)
                ):
                    results.problems.append(f"{single}: its line alone differs from its line within {ask}")
            continue
        results.problems += error_problems(str(ask), outcome.status, outcome.data)
        codes = set()
        for single in group.singles():
            alone = results.answers[single] = ask_calc(client, single)
            TALLY.add("calculate")
            if alone.ok:
                results.problems += quote_problems(single, alone.data)
                results.by_month[Results.key(single, single.start)] = (200, alone.data["months"][0])
            else:
                results.problems += error_problems(str(single), alone.status, alone.data)
                results.by_month[Results.key(single, single.start)] = (alone.status, alone.error)
                codes.add(alone.error.get("code"))
        if outcome.error.get("code") not in codes:
            results.problems.append(f"{ask}: refused ({outcome.error.get('code')}) though no month alone is: {codes}")
    return results


def _comparable(line: dict[str, Any] | None) -> Any:
    """A line as compared between a range and a single month (a yearly line is the same for any month)."""
    if line is None:
        return None
    return {k: v for k, v in line.items() if not (k == "month" and line.get("year"))}
