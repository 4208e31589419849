"""The outlet premium outside 江西 (issue 24): tests/cases/outlets.yaml through the API, the 测算 page, the CLI
and the roster; a refused float in each of them; every notice seen without figures answered as such."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import openpyxl
import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from rates.notices import NOTICES, load_notices
from tests.outlets_support import make_id, page_when_done, post, workbook_bytes

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "outlets.yaml").read_text(encoding="utf-8"))
PRICED = [pytest.param(case, id=case["name"]) for case in CASES["priced"]]
REFUSED = [pytest.param(case, id=case["name"]) for case in CASES["refused"]]
HEADER = ["快递网点", "统一社会信用代码", "姓名", "身份证号码", "开始月份", "结束月份", "浮动费率"]


def roster(case: dict[str, Any], factor: str | None = None) -> bytes:
    """One row per courier of the case's request: the same months and float."""
    request = case["request"]
    rows: list[list[Any]] = [HEADER]
    for serial in range(int(request.get("headcount", 1))):
        rows.append(
            [
                "金水网点",
                "",
                f"快递员{serial + 1}",
                make_id(serial + 1, prefix="410105"),
                request["start"],
                request["end"],
                factor or request.get("factor", "1"),
            ]
        )
    return workbook_bytes(rows)


def page(client: FlaskClient, request: dict[str, Any]) -> tuple[int, str]:
    form = {k: str(v) for k, v in request.items()}
    response = client.get("/?" + urlencode(form))
    return response.status_code, response.get_data(as_text=True)


def text_of(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:p|dd|strong|span)>', html, re.S)
    assert match, f"no element with data-testid={testid}"
    return re.sub(r"<[^>]+>|\s+|元", "", unescape(match.group(1)))


@pytest.mark.parametrize("case", PRICED)
def test_priced_through_the_api(case: dict[str, Any], client: FlaskClient) -> None:
    response = client.post("/api/v1/calculate", json=case["request"])
    body = response.get_json()
    assert response.status_code == 200, body
    assert {m["month"]: m["amount"] for m in body["months"]} == case["months"]
    assert {m["breakdown"]["per_courier"] for m in body["months"]} == {case["per_courier"]}
    assert all(m["breakdown"]["courier"] == "0.00" for m in body["months"])
    assert body["total"] == case["total"]
    assert body["provisional"] is case.get("provisional", False)
    assert any(r["doc_no"] == "豫人社办〔2022〕10号" for ref in body["references"] for r in ref["references"])


@pytest.mark.parametrize("case", PRICED)
def test_priced_on_the_page(case: dict[str, Any], client: FlaskClient) -> None:
    status, html = page(client, case["request"])
    assert status == 200
    assert text_of(html, "total") == case["total"]
    assert "豫人社办〔2022〕10号" in html


@pytest.mark.parametrize("case", PRICED)
def test_priced_by_the_roster(case: dict[str, Any], client: FlaskClient) -> None:
    status, body = post(client, roster(case), region="410000")
    assert status == 200, body
    assert body["region"] == "410000"
    assert body["accepted"] == int(case["request"].get("headcount", 1)) and body["rejected"] == 0
    assert body["total"]["amount"] == case["total"]


@pytest.mark.parametrize("case", PRICED)
def test_priced_by_the_cli(case: dict[str, Any], runner: FlaskCliRunner, tmp_path: Path) -> None:
    source, target = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    source.write_bytes(roster(case))
    result = runner.invoke(args=["outlets", "batch", str(source), "-o", str(target), "--region", "410000"])
    assert result.exit_code == 0, result.output
    assert f"应缴 {case['total']} 元" in result.output
    summary = {r[0]: r for r in openpyxl.load_workbook(target)["汇总"].iter_rows(values_only=True) if r[0]}
    assert Decimal(str(summary["合计"][3])).quantize(Decimal("0.01")) == Decimal(case["total"])


@pytest.mark.parametrize("case", REFUSED)
def test_refused_through_the_api(case: dict[str, Any], client: FlaskClient) -> None:
    response = client.post("/api/v1/calculate", json=case["request"])
    body, want = response.get_json(), case["error"]
    assert response.status_code == want["status"], body
    assert (body["error"]["code"], body["error"]["field"]) == (want["code"], want["field"]), body
    assert want["message"] in body["error"]["message"], body


def test_a_refused_float_on_the_page(client: FlaskClient) -> None:
    request = {"region": "410000", "scheme": "outlet_injury", "start": "2025-07", "end": "2025-07", "factor": "0.9"}
    status, html = page(client, request)
    assert status == 422
    error = re.search(r'<p class="field-error" id="e-factor">(.*?)</p>', html, re.S)
    assert error and "只能是0.5、0.8、1、1.2、1.5" in unescape(error.group(1))


def test_a_refused_float_is_an_error_row_of_the_roster(client: FlaskClient, runner: FlaskCliRunner) -> None:
    good = CASES["priced"][0]
    rows = [HEADER]
    rows.append(["金水网点", "", "甲", make_id(1, prefix="410105"), "2025-07", "2025-09", "1.2"])
    rows.append(["金水网点", "", "乙", make_id(2, prefix="410105"), "2025-07", "2025-09", "0.9"])
    status, body = post(client, workbook_bytes(rows), region="410000")
    assert status == 200, body
    assert body["accepted"] == 1 and body["rejected"] == 1
    assert body["total"]["amount"] == str(Decimal(good["total"]) / 3)  # one of the case's three couriers
    (error,) = body["errors"]
    assert error["row"] == 3 and "只能是0.5、0.8、1、1.2、1.5（豫人社办〔2022〕10号）" in error["message"]


@pytest.mark.parametrize("code", sorted(load_notices("outlet_injury")))
def test_every_notice_without_figures_is_named_with_whom_to_ask(code: str, client: FlaskClient) -> None:
    notice = load_notices("outlet_injury")[code]
    request = {"region": code, "scheme": "outlet_injury", "start": "2025-07", "end": "2025-07"}
    response = client.post("/api/v1/calculate", json=request)
    error = response.get_json()["error"]
    assert response.status_code == 422 and error["code"] == "not_configured"
    assert notice.document() in error["message"] and notice.ask in error["message"] and "12333" in error["message"]
    status, html = page(client, request)
    assert status == 422 and notice.title in unescape(html)


def test_a_broken_notices_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    from rates.loader import ParameterFileError

    broken = tmp_path / "outlet_injury.yaml"
    text = (NOTICES / "outlet_injury.yaml").read_text(encoding="utf-8").replace("trust: low", "trust: high", 1)
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterFileError) as caught:
        load_notices("outlet_injury", tmp_path)
    assert str(broken) in str(caught.value) and ".trust" in str(caught.value)


def test_the_notices_hold_no_priced_region(app: Flask) -> None:
    """A region with figures has no notice: a notice never hides a configured rule, nor the other way round."""
    from rates.loader import load_tree

    _, versions = load_tree()
    priced = {v.region for v in versions if v.family == "outlet_injury"}
    assert priced == {"360000", "410000"}
    assert not priced & set(load_notices("outlet_injury"))


def test_the_parameters_page_shows_the_floats_as_the_notice_words_them(client: FlaskClient) -> None:
    html = unescape(client.get("/parameters/410000?month=2025-08").get_data(as_text=True))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "基准费率的120% 1.2" in text and "基准费率的50% 0.5" in text and "120岁" not in text
    assert "豫人社办〔2022〕10号" in text


def test_the_roster_workbook_cites_the_province_document(runner: FlaskCliRunner, tmp_path: Path) -> None:
    source, target = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    source.write_bytes(roster(CASES["priced"][0]))
    assert runner.invoke(args=["outlets", "batch", str(source), "-o", str(target), "--region", "410000"]).exit_code == 0
    params = list(openpyxl.load_workbook(target)["参数"].iter_rows(values_only=True))
    assert any("豫人社办〔2022〕10号" in str(r[6] or "") for r in params[1:])
    figures = {(r[5], r[1]): r for r in params[1:]}
    assert figures[("2022-02", "每人每月缴费占月平均工资比例")][2] == 0.011
    assert not any("=" in str(r[1]) or "_" in str(r[1]) for r in params[1:])  # no raw key=value


def test_priced_on_the_outlet_page(client: FlaskClient) -> None:
    case = CASES["priced"][0]
    html = page_when_done(client, roster(case), region="410000").get_data(as_text=True)
    assert "计费 <strong>3</strong> 行" in html and "河南省" in html
    assert case["total"] in html
