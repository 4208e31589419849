"""The tier comparison of every region, tiered scheme and month: it answers (or says why not in a 422),
and each tier's figures are what /calculate answers for that tier, that month and that year."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient

from rates.store import Snapshot
from tests.sweep import probe, space
from tests.sweep.space import Ask

TIERED = ("flexible_pension", "flexible_medical")


def _figures(tier: dict[str, Any]) -> dict[str, Any]:
    """The question a tier row stands for, read from its shape (never from its label)."""
    ratio = Decimal(tier["ratio"])
    if tier["base"] is None and tier["monthly"] is None and tier["unavailable"] is None:
        return {"medical_tier": int(ratio)}  # a yearly amount by tier (一档, 二档)
    if ratio == 0:
        return {"base": tier["base"]} if tier["base"] is not None else {}  # the published ends, or a fixed amount
    return {"base_ratio": tier["ratio"]}


def _answer(client: FlaskClient, calc: probe.Results, ask: Ask) -> probe.Outcome:
    found = calc.answers.get(ask)
    return found if found is not None else probe.ask_calc(client, ask)


def _month_line(client: FlaskClient, calc: probe.Results, ask: Ask) -> tuple[int, dict[str, Any]]:
    found = calc.line(ask, ask.start)
    if found is not None:
        return found
    outcome = probe.ask_calc(client, ask)
    return (200, outcome.data["months"][0]) if outcome.ok else (outcome.status, outcome.error)


def tier_problems(client: FlaskClient, calc: probe.Results, region: str, scheme: str, month: str) -> list[str]:
    where = f"tiers {region} {scheme} {month}"
    status, raw = probe.get(client, f"/api/v1/tiers?region={region}&scheme={scheme}&month={month}")
    data = json.loads(raw)
    if status != 200:
        return probe.error_problems(where, status, data)
    problems = []
    year = month[:4]
    for tier in data["tiers"]:
        figures = _figures(tier)
        single = Ask(region, scheme, month, month, **figures)
        status, line = _month_line(client, calc, single)
        if tier["unavailable"] is not None:
            if status != 422 or line.get("code") != "no_average":
                problems.append(f"{where} {tier['percent']}: unavailable, but /calculate says {status} {line}")
            continue
        priced = status == 200 and (line["amount"], line["base"]) == (tier["monthly"], tier["base"])
        if tier["monthly"] is not None and not priced:
            problems.append(f"{where} {tier['percent']}: {tier['base']}/{tier['monthly']} but /calculate {line}")
        first, last = (tier["note"] or f"{year}-01至{year}-12").split("至")
        whole = _answer(client, calc, Ask(region, scheme, first, last, **figures))
        if tier["yearly_unavailable"] is not None:  # the month priced, part of the year lacks an average
            if whole.status != 422 or whole.error.get("code") != "no_average" or tier["yearly"] is not None:
                problems.append(f"{where} {tier['percent']}: no yearly amount, but /calculate {whole.data}")
        elif not whole.ok or whole.data["total"] != tier["yearly"]:
            problems.append(f"{where} {tier['percent']}: yearly {tier['yearly']} but /calculate {whole.data}")
    probe.TALLY.add("tiers", len(data["tiers"]))
    return problems


def test_every_tier_table_is_what_calculate_answers(client: FlaskClient, snap: Snapshot, calc: probe.Results) -> None:
    tables = [
        (region, scheme, str(month))
        for region in space.regions(snap)
        for scheme in TIERED
        for month in space.sweep_months(snap, region, scheme)
    ]
    problems: list[str] = []
    for region, scheme, month in space.sample(tables, 150, "tiers"):
        problems += tier_problems(client, calc, region, scheme, month)
    assert not problems, "\n".join(problems[:40])
