"""The coverage view on the 参数 page and its workbook (service/pages/coverage.py): true to the data."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from rates import excerpts
from rates.families import TRUST_LABELS, trust_allowed
from rates.loader import load_tree
from service.core.db import snapshot
from service.pages.coverage import table

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
    _, versions = load_tree()
    sources = {
        (v.region, v.contribution_year): [r.source for r in v.references] for v in versions if v.family == "avg_wage"
    }
    # issue 25: 官方原文 also needs the notice's sentence held by the bundled version
    held = {(v.region, v.contribution_year): excerpts.held(v.references) for v in versions if v.family == "avg_wage"}
    expected: dict[tuple[str, int], str] = {}
    for row in csv.DictReader(CSV.open(encoding="utf-8")):
        priced = row["avg_wage_monthly"] or (row["base_floor_monthly"] and row["base_ceiling_monthly"])
        key = (AREA_OF_ROW.get(row["province_code"], row["province_code"]), int(row["contribution_year"]))
        # the row's trust, at most 较可靠 where the bundled version's source line is a compilation only (issue 19)
        allowed = trust_allowed(row["trust"], sources.get(key, []), held=held.get(key, False))
        expected[key] = TRUST_LABELS[allowed] if priced else "未配置"
    for key, text in expected.items():
        assert shown[key] == text, key
    provinces = {code for code, _ in expected}
    for (code, year), text in shown.items():
        if code in provinces and (code, year) not in expected:
            assert text == "未配置", (code, year)
    # the areas the notes name, with a trust of their own; the province defers to them
    assert shown[("429200", 2025)] == shown[("429300", 2025)] == "较可靠"
    # 广州 2025: the notice's words reached us through compilations only (据公开汇编转引): 较可靠, not 官方原文
    assert shown[("440100", 2025)] == "较可靠" and shown[("440100", 2024)] == "待核实"
    assert shown[("420000", 2025)] == "分地区"
    assert shown[("350000", 2024)] == "未配置"  # 福建2024: a floor only, nothing the service can price
    assert len({code for code, _ in shown}) == 31 + 4  # the provinces, 武汉, 湖北's tiers 2 and 3, 广州


def test_the_outlet_rule_shows_where_a_province_has_figures(app: Flask) -> None:
    shown = cells(app, "outlet_injury")
    configured = {key: text for key, text in shown.items() if text != "未配置"}
    # 2024 is priced with 江西's 2024 average wage (待核实): a cell shows the weakest trust a calculation prices
    # with, as the calculation's own answer does (issue 19), not the outlet rule's alone. 河南 (issue 24): its
    # 2024 notice gave no average wage, so outlets are priced from 2025-07 (豫人社办〔2025〕67号) on.
    assert configured == {
        ("360000", 2024): "待核实",
        ("360000", 2025): "较可靠",
        ("360000", 2026): "较可靠",
        ("410000", 2025): "2025-07起·官方原文",
        ("410000", 2026): "官方原文",
    }


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
    assert '<a href="/parameters/330000?month=2025-01">较可靠</a>' in section  # quoted by compilations only


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


# ---------------------------------------------------------------- issue 19: the cells agree with calculate

SCHEME_FAMILIES = ("flexible_medical", "outlet_injury", "resident_medical", "flexible_pension")


def choices(app: Flask, region: str, scheme: str, month: str) -> dict[str, object]:
    """What a worker would choose for the scheme's rule there (a base, a tier, nothing), read from the data."""
    from calc.quote import QuoteError, resolution
    from rates.months import Month

    if scheme == "outlet_injury":
        return {"headcount": 1}
    if scheme == "resident_medical":
        return {}
    with app.app_context():
        try:
            version = resolution(snapshot(), region, scheme, Month.parse(month))[scheme].version
        except QuoteError:
            return {"base_ratio": "0.6"}  # refused as not configured whatever is chosen
    basis = version.values.get("basis", "ratio_range")
    if basis == "declared":
        return {"base": str(version.values.get("base_floor_monthly", "5000"))}
    if basis == "yearly_tiers":
        return {"medical_tier": 1}
    if basis in ("avg_ratio", "fixed_monthly"):
        return {}
    return {"base_ratio": str(version.values.get("base_ratio_floor", "0.6"))}


def weakest(answer: dict[str, object]) -> str:
    from service.answer.present import is_service_rule

    references = [r for r in answer["references"] if not is_service_rule(r)]  # type: ignore[attr-defined]
    return TRUST_LABELS[max((r["trust"] for r in references), key=["official", "medium", "low"].index)]


@pytest.mark.parametrize("family", ["flexible_medical", "outlet_injury"])
def test_a_cell_says_configured_exactly_when_calculate_answers_with_the_same_trust(
    app: Flask, client: FlaskClient, family: str
) -> None:
    """Every cell of a scheme's table against POST /api/v1/calculate for that year's months (the months the
    cell names, when not the whole year): an answer exactly where the cell says configured, and the
    answer's weakest trust is the cell's."""
    with app.app_context():
        data = table(snapshot())
    blocks = [f for f in data["families"] if f["family"] == family]
    assert blocks, family
    for row in blocks[0]["rows"]:
        for year, cell in zip(data["years"], row["cells"], strict=True):
            start, end = f"{year}-01", f"{year}-12"
            if cell.months and cell.month:
                start = cell.month
                end = cell.months.split("至")[-1] if "至" in cell.months else end
            body = {"region": row["code"], "scheme": family, "start": start, "end": end}
            body |= choices(app, row["code"], family, start)
            response = client.post("/api/v1/calculate", json=body)
            where = (row["code"], year, cell.text)
            if cell.state in ("missing", "areas"):
                assert response.status_code == 422, where
                assert response.get_json()["error"]["code"] == "not_configured", where
                continue
            if response.status_code == 422 and response.get_json()["error"]["code"] == "no_average":
                # configured, but this notice gave no average to take the ratio of: an approved base prices
                plain = {k: v for k, v in body.items() if k not in ("base_ratio", "medical_tier")}
                assert client.post("/api/v1/calculate", json=plain | {"base": "5000"}).status_code == 200, where
                continue
            assert response.status_code == 200, (where, response.get_json())
            assert cell.text.endswith(weakest(response.get_json())), where
            if not cell.months:  # the whole year answers; a year priced in part says which months
                continue
            whole = client.post("/api/v1/calculate", json=body | {"start": f"{year}-01", "end": f"{year}-12"})
            assert whole.status_code == 422, where


def test_chongqing_medical_2026_is_not_configured_as_calculate_says(client: FlaskClient, app: Flask) -> None:
    """The version ends 2025-12 (effective_to): the coverage said 较可靠 for 2026 while calculate said 未配置."""
    medical = cells(app, "flexible_medical")
    assert medical[("500000", 2025)] == "较可靠" and medical[("500000", 2026)] == "未配置"
    body = {"region": "500000", "scheme": "flexible_medical", "start": "2026-01", "end": "2026-01", "medical_tier": 1}
    refused = client.post("/api/v1/calculate", json=body)
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "not_configured"
    assert medical[("110000", 2025)] == "2025-07起·较可靠"  # 北京 from July: the months priced are named


def test_the_workbook_indents_areas_by_format_not_by_a_character(client: FlaskClient) -> None:
    """City names were written with U+3000 in front: a search or a sort in Excel then misses them."""
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/parameters/coverage.xlsx").data))["覆盖情况"]
    names = [row[1] for row in sheet.iter_rows() if row[0].value and re.fullmatch(r"\d{6}", str(row[0].value))]
    assert names and not [c.value for c in names if str(c.value) != str(c.value).strip() or "\u3000" in str(c.value)]
    guangzhou = next(c for c in names if c.value == "广州市")
    assert guangzhou.alignment.indent == 1
    assert next(c for c in names if c.value == "广东省").alignment.indent == 0
