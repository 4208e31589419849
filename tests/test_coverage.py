"""The coverage view on the 参数 page and its workbook (service/coverage.py): true to the data."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from rates.families import TRUST_LABELS
from service.coverage import table
from service.db import snapshot

CSV = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "provinces" / "province_wages.csv"
AREA_OF_ROW = {"420000": "420100"}  # 湖北's row is tier 1 (武汉市和省直)


def cells(app: Flask, family: str) -> dict[tuple[str, int], str]:
    with app.app_context():
        data = table(snapshot())
    (block,) = [f for f in data["families"] if f["family"] == family]
    return {
        (row["code"], year): c.text
        for row in block["rows"]
        for year, c in zip(data["years"], row["cells"], strict=True)
    }


def test_every_cell_is_the_trust_of_the_csv_row_or_not_configured(app: Flask) -> None:
    if not CSV.exists():
        pytest.skip("shared/reference/provinces/province_wages.csv is not beside this checkout")
    shown = cells(app, "avg_wage")
    expected: dict[tuple[str, int], str] = {}
    for row in csv.DictReader(CSV.open(encoding="utf-8")):
        priced = row["avg_wage_monthly"] or (row["base_floor_monthly"] and row["base_ceiling_monthly"])
        key = (AREA_OF_ROW.get(row["province_code"], row["province_code"]), int(row["contribution_year"]))
        expected[key] = TRUST_LABELS[row["trust"]] if priced else "未配置"
    for key, text in expected.items():
        assert shown[key] == text, key
    provinces = {code for code, _ in expected}
    for (code, year), text in shown.items():
        if code in provinces and (code, year) not in expected:
            assert text == "未配置", (code, year)
    # the areas the notes name, with a trust of their own; the province defers to them
    assert shown[("429200", 2025)] == shown[("429300", 2025)] == "较可靠"
    assert shown[("440100", 2025)] == "官方原文" and shown[("440100", 2024)] == "待核实"
    assert shown[("420000", 2025)] == "分地区"
    assert shown[("350000", 2024)] == "未配置"  # 福建2024: a floor only, nothing the service can price
    assert len({code for code, _ in shown}) == 31 + 4  # the provinces, 武汉, 湖北's tiers 2 and 3, 广州


def test_the_outlet_rule_shows_for_jiangxi_only(app: Flask) -> None:
    shown = cells(app, "outlet_injury")
    configured = {key: text for key, text in shown.items() if text != "未配置"}
    assert configured == {("360000", 2024): "较可靠", ("360000", 2025): "较可靠", ("360000", 2026): "较可靠"}


def test_a_family_appears_once_a_region_holds_it(medical_app: Flask) -> None:
    """No list of families or cities: test-only medical figures of 南昌 and 昆明 bring a table and rows."""
    medical = cells(medical_app, "flexible_medical")
    assert medical[("360100", 2025)] == "待核实" and medical[("360000", 2025)] == "分地区"
    # a city holding medical figures only is a row of the medical table, not of the wage table
    assert ("360100", 2025) not in cells(medical_app, "avg_wage")
    assert cells(medical_app, "avg_wage")[("360000", 2025)] == "较可靠"


def test_the_parameters_page_shows_the_coverage_and_links_each_province(client: FlaskClient) -> None:
    html = client.get("/parameters").get_data(as_text=True)
    assert "参数覆盖情况" in html and "/parameters/coverage.xlsx" in html
    section = html[html.index('id="coverage-avg_wage"') :]
    section = section[: section.index("</table>")]
    assert len(re.findall(r'<th scope="row"><a href="/parameters/\d{6}">', section)) == 35
    assert '<a href="/parameters/330000?month=2025-01">官方原文</a>' in section


def test_the_workbook_holds_the_same_cells(app: Flask, client: FlaskClient) -> None:
    response = client.get("/parameters/coverage.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["覆盖情况"]
    sheet = book["覆盖情况"]
    values = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(values) if row[:2] == ("地区代码", "地区"))
    assert values[header - 1][0] == "上年度全省全口径城镇单位就业人员月平均工资"
    assert values[header][2:5] == ("2024年度", "2025年度", "2026年度")
    shown = cells(app, "avg_wage")
    row = header + 1
    while values[row][0]:
        code = values[row][0]
        assert values[row][2:5] == tuple(shown[(code, y)] for y in (2024, 2025, 2026)), code
        row += 1
    assert row - header - 1 == 35
