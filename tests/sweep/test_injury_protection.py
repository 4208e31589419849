"""职业伤害保障 for every region and a spread of months from 2021 to the last year of the data: the API answers
in Chinese (never a 5xx), a city answers as its province, and the 测算 page says the same (issue 24)."""

from __future__ import annotations

import json
from html import escape
from urllib.parse import urlencode

from flask.testing import FlaskClient

from rates.months import Month
from rates.store import Snapshot
from tests.sweep import probe, space


def test_every_region_and_month_answers_the_same_on_the_api_and_the_page(client: FlaskClient, snap: Snapshot) -> None:
    months = [Month(year, month) for year in range(2021, space.last_year(snap) + 2) for month in (1, 7)]
    problems: list[str] = []
    for region in space.regions(snap):
        for month in space.sample(months, 2, f"protection {region}"):
            where = f"职业伤害保障 {region} {month}"
            status, raw = probe.get(client, f"/api/v1/injury-protection?region={region}&month={month}")
            data = json.loads(raw)
            if status != 200:
                problems.append(f"{where}: {status} {data}")
                continue
            if not probe.CHINESE.search(data["message"]):
                problems.append(f"{where}: no Chinese message: {data['message']!r}")
            query = {"region": region, "scheme": "flexible_pension", "start": str(month), "end": str(month)}
            status, page = probe.get(client, "/?" + urlencode(query))
            if status >= 500:
                problems.append(f"{where}: the 测算 page answered {status}")
            elif status == 200 and escape(data["message"], quote=False) not in page.decode():
                problems.append(f"{where}: the 测算 page does not say what the API says")
            probe.TALLY.add("injury protection")
    assert probe.TALLY.parts.get("injury protection"), "no region swept"
    assert not problems, "\n".join(problems[:40])
