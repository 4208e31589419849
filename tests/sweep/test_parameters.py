"""The parameters in force, their history and the 参数 page, for every region and every month the sweep covers:
an answer (never a 5xx), and what the API says is in force is what the page lists."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

from rates.store import Snapshot
from tests.sweep import probe, space


def test_every_region_and_month_shows_its_parameters(client: FlaskClient, snap: Snapshot) -> None:
    problems: list[str] = []
    asked = [
        (region, str(month))
        for region in space.regions(snap)
        for month in space.sweep_months(snap, region, "flexible_pension")
        if month.month in (1, 7) or month == space.sweep_months(snap, region, "flexible_pension")[-1]
    ]
    for region, month in space.sample(asked, 40, "parameters"):
        status, raw = probe.get(client, f"/api/v1/parameters?region={region}&month={month}")
        data = json.loads(raw)
        if status != 200:
            problems.append(f"parameters {region} {month}: {status} {data}")
            continue
        page_status, page = probe.get(client, f"/parameters/{region}?month={month}")
        if page_status != 200:
            problems.append(f"参数 page {region} {month}: {page_status}")
            continue
        for version in data["families"]:
            if f'id="v{version["id"]}"' not in page.decode():
                problems.append(f"参数 page {region} {month}: v{version['id']} ({version['family']}) not listed")
        problems += [f"参数 page {region} {month}: {p}" for p in probe.official_without_text(page.decode())]
        probe.TALLY.add("parameters")
    for region in space.regions(snap):
        status, _ = probe.get(client, f"/api/v1/parameters/{region}/history")
        if status != 200:
            problems.append(f"history {region}: {status}")
    assert not problems, "\n".join(problems[:40])
