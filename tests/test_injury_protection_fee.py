"""新就业形态人员职业伤害保障费 of a month's orders (issue 24): tests/cases/injury_protection_fee.yaml through
POST /api/v1/injury-protection/fee, for every province of the pilot's CSV; the data file's checks of its amounts."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient

from rates.loader import ParameterFileError
from rates.protection import DATA, load

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "injury_protection_fee.yaml").read_text(encoding="utf-8"))
PILOT_CSV = Path(__file__).resolve().parents[2] / "shared" / "reference" / "schemes" / "injury_protection_pilot.csv"
URL = "/api/v1/injury-protection/fee"


def ask(client: FlaskClient, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    answer = client.post(URL, json=body)
    return answer.status_code, answer.get_json()


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c['region']} {c['name']}") for c in CASES["provinces"]])
def test_every_province_of_the_pilot(case: dict[str, Any], client: FlaskClient) -> None:
    standard = CASES["standard"]
    if "priced" in case:
        for line in standard["fees"]:
            body = {"region": case["region"], "month": case["priced"], "orders": standard["orders"], **line}
            body.pop("fee")
            status, data = ask(client, body)
            assert status == 200, data
            assert data["fee"] == line["fee"] and data["worker_pays"] == "0.00", data
            assert (data["province_name"], data["month"], data["industry"]) == (
                case["name"],
                case["priced"],
                body["industry"],
            )
            assert data["trust"] == case.get("trust", "medium")
            assert data["documents"][0]["doc_no"] == "人社部发〔2025〕24号"
            assert "本服务计算规则" in data["rounding"]
            if "note" in case:
                assert any(case["note"] in note for note in data["notes"]), data["notes"]
    for month, words in case["refused"].items():
        body = {"region": case["region"], "month": month, "industry": "出行", "orders": 100}
        status, data = ask(client, body)
        assert status == 422, data
        error = data["error"]
        assert error["code"] == "not_configured" and error["field"] in ("month", "region")
        assert words in error["message"], error["message"]


@pytest.mark.parametrize("case", [pytest.param(c, id=c["name"]) for c in CASES["cases"]])
def test_single_cases(case: dict[str, Any], client: FlaskClient) -> None:
    status, data = ask(client, case["body"])
    if "fee" in case:
        assert status == 200, data
        assert data["fee"] == case["fee"]
        if "province_name" in case:
            assert data["province_name"] == case["province_name"]
        return
    assert status == case["status"], data
    assert data["error"]["field"] == case["field"]
    assert case["words"] in data["error"]["message"], data["error"]["message"]


def test_every_province_of_the_csv_has_a_case() -> None:
    if not PILOT_CSV.exists():
        pytest.skip("../shared/reference is not beside the checkout")
    with PILOT_CSV.open(encoding="utf-8") as file:
        codes = {row["region_code"] for row in csv.DictReader(file)} - {"000000"}
    assert codes <= {c["region"] for c in CASES["provinces"]}


def test_the_national_amounts_are_the_csvs() -> None:
    """The per-order amounts in the data are the CSV's national row of 人社部发〔2025〕24号, never restated by hand."""
    if not PILOT_CSV.exists():
        pytest.skip("../shared/reference is not beside the checkout")
    with PILOT_CSV.open(encoding="utf-8") as file:
        row = next(
            r for r in csv.DictReader(file) if r["region_code"] == "000000" and r["doc_no"] == "人社部发〔2025〕24号"
        )
    amounts = load().order_fees[0].amounts
    assert [str(a) for a in amounts["出行"]] == [row["fee_travel_per_order"]]
    assert " or ".join(str(a) for a in amounts["即时配送"]) == row["fee_instant_delivery_per_order"]
    assert [str(a) for a in amounts["同城货运"]] == [row["fee_intra_city_freight_per_order"]]


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('出行: ["0.01"]', "出行: [0.01]", "order_fees[0].amounts.出行"),
        ('出行: ["0.01"]', '出行: ["-1"]', "order_fees[0].amounts.出行"),
        ('同城货运: ["0.18"]', "", "order_fees[0].amounts"),
        ('float_from: "2027-01"', 'float_from: "明年"', "370000.float_from"),
    ],
)
def test_a_broken_fee_table_is_refused_naming_the_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    broken = tmp_path / "injury_protection.yaml"
    text = DATA.read_text(encoding="utf-8")
    assert old in text
    broken.write_text(text.replace(old, new, 1), "utf-8")
    with pytest.raises(ParameterFileError) as caught:
        load(broken)
    assert str(broken) in str(caught.value) and key in str(caught.value)


def test_the_route_is_documented_in_chinese(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"][URL]["post"]
    assert "职业伤害保障费" in operation["summary"] and operation["tags"] == ["社保缴费测算"]
    assert {"422", "400", "404"} <= set(operation["responses"])
    orders = spec["paths"]["/api/v1/outlets/orders/batch"]["post"]
    assert "职业伤害保障费" in orders["summary"] and "202" in orders["responses"]
