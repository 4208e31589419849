"""Every cache on and every cache off give byte-identical answers, over a long seeded sequence of questions in
which most are near-repeats of a recent one (the same question with one field changed): the answers a cache
keeps are keyed by everything that makes them differ (issue 19: medical_tier was forgotten)."""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Callable
from typing import Any

from flask import Flask

from rates.months import Month
from rates.store import Snapshot
from tests.sweep import probe, space
from tests.sweep.space import Ask

CSRF = re.compile(rb'name="csrf_token" value="[^"]*"')


def _near(rng: random.Random, ask: Ask, snap: Snapshot, pool: dict[tuple[str, str, str], list[Ask]]) -> Ask:
    """The same question with one field changed: the month, the figures, the region, the tier or the scheme."""
    how = rng.choice(("month", "figures", "region", "tier", "span", "scheme"))
    if how == "month":
        month = str(Month.parse(ask.start) + rng.choice((-1, 1, 12)))
        return dataclasses.replace(ask, start=month, end=month)
    if how == "span":
        return dataclasses.replace(ask, end=str(Month.parse(ask.start) + rng.randrange(1, 14)))
    if how == "tier" and ask.scheme == "flexible_medical":
        return dataclasses.replace(ask, medical_tier=3 - (ask.medical_tier or 2))
    if how == "region":
        region = rng.choice(space.regions(snap))
        return dataclasses.replace(ask, region=region)
    if how == "scheme":
        return dataclasses.replace(ask, scheme=rng.choice(("flexible_pension", "flexible_medical")))
    alike = pool.get((ask.region, ask.scheme, ask.start)) or [ask]
    other = rng.choice(alike)
    return dataclasses.replace(other, end=ask.end) if Month.parse(other.start) <= Month.parse(ask.end) else other


def _asks(snap: Snapshot, count: int) -> list[tuple[str, Any]]:
    rng = random.Random(f"{space.SEED}-caches")
    points = [ask for _, ask in space.calc_points(snap)]
    pool: dict[tuple[str, str, str], list[Ask]] = {}
    for ask in points:
        pool.setdefault((ask.region, ask.scheme, ask.start), []).append(ask)
    sequence: list[tuple[str, Any]] = []
    recent: list[Ask] = []
    for _ in range(count):
        ask = _near(rng, rng.choice(recent[-8:]), snap, pool) if recent and rng.random() < 0.6 else rng.choice(points)
        recent.append(ask)
        what = rng.random()
        if what < 0.7:
            sequence.append(("calculate", ask))
        elif what < 0.8:
            scheme = ask.scheme if ask.scheme in ("flexible_pension", "flexible_medical") else "flexible_pension"
            sequence.append(("tiers", f"/api/v1/tiers?region={ask.region}&scheme={scheme}&month={ask.start}"))
        elif what < 0.92:
            sequence.append(("page", ask.page_query()))
        else:
            birth = f"{rng.randrange(1962, 2006)}-{rng.randrange(1, 13):02d}"
            ratio = ask.base_ratio or "0.6"
            sequence.append(
                (
                    "estimate",
                    {
                        "region": ask.region,
                        "birth_month": birth,
                        "category": "male",
                        "base_ratio": ratio,
                        "start": ask.start,
                    },
                )
            )
    return sequence


def _send(app: Flask) -> Callable[[str, Any], tuple[int, bytes]]:
    client = app.test_client()

    def send(kind: str, question: Any) -> tuple[int, bytes]:
        if kind == "calculate":
            return probe.post(client, "/api/v1/calculate", question.body())
        if kind == "estimate":
            return probe.post(client, "/api/v1/pension/estimate", question)
        status, raw = probe.get(client, question)
        return status, CSRF.sub(b"", raw)

    return send


def test_caches_on_and_off_answer_the_same_bytes(sweep_app: Flask, cold_app: Flask, snap: Snapshot) -> None:
    warm, cold = _send(sweep_app), _send(cold_app)
    problems = []
    for index, (kind, question) in enumerate(_asks(snap, 400 if not space.FULL else 5000)):
        on, off = warm(kind, question), cold(kind, question)
        if on != off:
            problems.append(
                f"#{index} {kind} {question}: cached {on[0]} {on[1][:300]!r} / uncached {off[0]} {off[1][:300]!r}"
            )
        if on[0] >= 500:
            problems.append(f"#{index} {kind} {question}: {on[0]}")
        probe.TALLY.add("caches")
    assert not problems, "\n".join(problems[:20])
