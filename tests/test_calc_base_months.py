"""Issue 25: the 计发基数 of a retirement month is the one that applies to it, through the API (cases as data:
tests/cases/calc_base_months.yaml), whatever month the estimate starts from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "calc_base_months.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_the_calc_base_of_a_retirement_month_applies_to_it(client: FlaskClient, case: dict[str, Any]) -> None:
    body = {"region": case["region"], "birth_month": case["birth_month"], "category": "male", "base_ratio": "0.6"}
    answer = client.post("/api/v1/pension/estimate", json={**body, "start": case["start"]})
    assert answer.status_code == 200, answer.get_json()
    data = answer.get_json()
    assert (data["retirement_month"], data["calc_base"]) == (case["retirement"], case["calc_base"])
    (cited,) = [r for r in data["references"] if r["family"] == "pension_calc_base"]
    assert (cited["contribution_year"], cited["provisional"]) == (case["year"], case["provisional"])
    # the figure is said as an assumption only where the retirement year's own figure is not held
    assert any(a["name"] == "calc_base" for a in data["assumptions"]) == case["provisional"]
    # the parameters in force in the retirement month say the same
    month = client.get(f"/api/v1/parameters?region={case['region']}&month={case['retirement']}").get_json()
    (version,) = [v for v in month["families"] if v["family"] == "pension_calc_base"]
    assert version["id"] == cited["id"] and version["provisional"] == case["provisional"]
    assert version["values"]["calc_base_monthly"] == case["calc_base"].removesuffix(".00")
