"""新就业形态人员职业伤害保障 (issue 24): tests/cases/injury_protection.yaml, every province of the pilot's CSV,
through GET /api/v1/injury-protection, and the section of the 测算 page; the data file's own checks."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient

from rates.loader import ParameterFileError
from rates.protection import DATA, answer, bundled, load

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "injury_protection.yaml").read_text(encoding="utf-8"))
PROVINCES = [pytest.param(case, id=f"{case['region']} {case['name']}") for case in CASES["provinces"]]


@pytest.mark.parametrize("case", PROVINCES)
def test_every_province_of_the_pilot(case: dict[str, Any], client: FlaskClient) -> None:
    for month, status in case["months"].items():
        response = client.get(f"/api/v1/injury-protection?region={case['region']}&month={month}")
        body = response.get_json()
        assert response.status_code == 200, body
        where = (case["region"], month)
        assert body["status"] == status, where
        assert body["covered"] is (status == "covered"), where
        assert body["province_name"] == case["name"] and body["month"] == month
        assert body["since"] == case["since"], where
        assert body["industries"] == ["出行", "即时配送", "同城货运"]
        assert body["worker_pays"] == "0.00" and "平台企业" in body["who_pays"] and "个人不缴费" in body["who_pays"]
        assert "职业伤害确认" in body["after_injury"] and "12333" in body["after_injury"]
        national = {d["doc_no"] for d in body["national_documents"]}
        assert {"人社部发〔2021〕110号", "人社部发〔2025〕24号"} <= national
        assert all(d["trust_label"] in ("官方原文", "较可靠", "待核实") for d in body["documents"])
        if case["since"] is None:
            assert body["documents"] == [] and "不作推断" in body["message"] and "12333" in body["message"]
            continue
        assert body["batch"] == case["batch"] and body["documents"]
        if "doc_no" in case:
            assert case["doc_no"] in {d["doc_no"] for d in body["documents"]}
        year, month_, day = (int(p) for p in case["since"].split("-"))
        assert f"{year}年{month_}月{day}日" in body["message"]


def test_a_city_answers_with_its_province(client: FlaskClient) -> None:
    body = client.get("/api/v1/injury-protection?region=510100&month=2025-07").get_json()
    assert (body["region_name"], body["province"], body["covered"]) == ("成都市", "510000", True)
    assert "0.07" in body["fees"] and "0.18" in body["fees"]  # 四川's own notice restates the amounts


def test_unknown_region_and_bad_month(client: FlaskClient) -> None:
    missing = client.get("/api/v1/injury-protection?region=999999")
    assert missing.status_code == 404 and "未知地区代码" in missing.get_json()["error"]["message"]
    bad = client.get("/api/v1/injury-protection?region=510000&month=2025-13")
    assert bad.status_code == 400


def section(html: str) -> str:
    start = html.index('id="injury-protection"')
    return unescape(html[start : html.index("</section>", start)])


@pytest.mark.parametrize(("region", "words"), [("510100", "四川省自2022年7月1日起"), ("360100", "未查到江西省")])
def test_the_calculate_page_shows_the_region(client: FlaskClient, region: str, words: str) -> None:
    query = f"/?region={region}&scheme=flexible_pension&start=2025-01&end=2025-01&basis=ratio&base_ratio=0.6"
    html = client.get(query).get_data(as_text=True)
    text = re.sub(r"\s+", "", section(html))
    assert words in text and "劳动者个人不缴费" in text and "受伤后怎么办" in text
    assert "人社部发〔2025〕24号" in text and "出行、即时配送、同城货运" in text


def test_the_empty_page_has_no_section(client: FlaskClient) -> None:
    assert 'id="injury-protection"' not in client.get("/").get_data(as_text=True)


def test_the_data_holds_every_province_as_its_own_entry() -> None:
    data = bundled()
    expected = {c["region"] for c in CASES["provinces"] if c["since"] is not None}
    assert set(data.provinces) == expected
    assert all(p.documents for p in data.provinces.values())


def test_a_broken_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "injury_protection.yaml"
    broken.write_text(DATA.read_text(encoding="utf-8").replace('since: "2025-08-21"', 'since: "八月"'), "utf-8")
    with pytest.raises(ParameterFileError) as caught:
        load(broken)
    assert str(broken) in str(caught.value) and "330000.since" in str(caught.value)


def test_started_is_by_month() -> None:
    """浙江 from 2025-08-21: August 2025 is a month with cover (the API asks by month), July is not."""
    from rates.loader import BUNDLED, load_regions

    regions = load_regions(BUNDLED)
    assert answer(regions, "330000", date(2025, 8, 1))["covered"] is True
    assert answer(regions, "330000", date(2025, 7, 31))["status"] == "announced"
