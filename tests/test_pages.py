"""The pages without a browser: same figures as the API, errors next to their field, stored quotes, .xlsx."""

from __future__ import annotations

import io
import re
from html import unescape
from urllib.parse import urlencode

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.counter.quotes import IssuedQuote

FORM = {
    "region": "360100",
    "scheme": "flexible_pension",
    "start": "2025-01",
    "end": "2025-12",
    "basis": "ratio",
    "base_ratio": "0.6",
}


def text_of(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:p|dd|strong|span)>', html, re.S)
    assert match, f"no element with data-testid={testid}"
    return re.sub(r"<[^>]+>|\s+|元", "", unescape(match.group(1)))


def field_error(html: str, name: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="e-{name}">(.*?)</p>', html, re.S)
    return unescape(match.group(1)) if match else None


def calc_page(client: FlaskClient, **changes: str) -> tuple[int, str]:
    response = client.get("/?" + urlencode(FORM | changes))
    return response.status_code, response.get_data(as_text=True)


def api_quote(client: FlaskClient, **body: str) -> dict:
    response = client.post("/api/v1/calculate", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_empty_form_has_labels_for_every_field(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    for field_id in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html):
        assert f'for="{field_id}"' in html, f"field {field_id} has no label"
    assert 'href="/outlets"' in html and 'aria-current="page"' in html


def test_calculation_matches_the_api(client: FlaskClient) -> None:
    status, html = calc_page(client)
    assert status == 200
    expected = api_quote(
        client, region="360100", scheme="flexible_pension", start="2025-01", end="2025-12", base_ratio="0.6"
    )
    assert text_of(html, "total") == expected["total"]
    assert text_of(html, "monthly") == expected["months"][0]["amount"]
    for name, value in expected["breakdown"].items():
        assert f'data-part="{name}">{value}<' in html
    assert "计入个人账户" in html and "计入统筹基金" in html


def test_every_figure_links_to_an_anchor_of_the_parameters_page(client: FlaskClient) -> None:
    _, html = calc_page(client)
    targets = set(re.findall(r'href="/parameters/360100#(v\d+)"', html))
    assert targets
    parameters = client.get("/parameters/360100").get_data(as_text=True)
    for anchor in targets:
        assert f'id="{anchor}"' in parameters
    assert "赣人社字〔2025〕150号" in html and "较可靠" in html


def test_tier_comparison_matches_the_api_and_has_a_chart(client: FlaskClient) -> None:
    _, html = calc_page(client)
    api = client.get("/api/v1/tiers?region=360100&month=2025-01&scheme=flexible_pension").get_json()
    rows = re.findall(
        r'<tr data-ratio="([^"]+)"[^>]*><th scope="row">([^<]+)(?:<span[^>]*>[^<]*</span>)?</th>'
        r'<td class="num">([^<]+)</td>'
        r'<td class="num"><a[^>]*>([^<]+)</a></td><td class="num"><a[^>]*>([^<]+)</a>',
        html,
    )
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
        (t["ratio"], t["percent"], t["base"], t["monthly"], t["yearly"]) for t in api["tiers"]
    ]
    assert rows[0][1] == "60%" and rows[-1][1] == "300%"
    assert re.search(r'<tr data-ratio="0.6" class="chosen">', html)  # the tier asked for stands out
    assert html.count("<rect ") == len(api["tiers"])
    assert '<svg role="img"' in html and '<title id="chart-title">' in html


def test_provisional_months_are_flagged(client: FlaskClient) -> None:
    _, html = calc_page(client, start="2026-01", end="2026-03")
    assert "暂按上年度标准" in html and html.count('<tr class="is-provisional">') == 3
    _, settled = calc_page(client)
    assert 'class="is-provisional"' not in settled  # neither months nor tiers


def test_schema_error_is_shown_next_to_the_field_and_the_form_keeps_the_input(client: FlaskClient) -> None:
    status, html = calc_page(client, basis="base", base="5千")
    assert status == 422
    assert field_error(html, "base") == "“5千”不是数字。"
    assert 'value="5千"' in html and 'aria-invalid="true"' in html
    assert 'id="f-basis-base" name="basis" value="base" checked' in html


def test_engine_error_is_shown_next_to_the_field(client: FlaskClient) -> None:
    status, html = calc_page(client, basis="base", base="100")
    assert status == 422
    assert "缴费基数须在" in (field_error(html, "base") or "")
    status, html = calc_page(client, end="2024-12")
    assert field_error(html, "end") == "终止月份不能早于起始月份，请修改终止月份。"
    assert 'value="2024-12"' in html
    status, html = calc_page(client, start="2025-13")
    assert status == 422 and "不是有效月份" in (field_error(html, "start") or "")


def test_not_configured_is_said_not_estimated(client: FlaskClient) -> None:
    status, html = calc_page(client, scheme="flexible_medical")
    assert status == 422
    assert "尚未配置" in (field_error(html, "scheme") or "")
    assert 'data-testid="total"' not in html


def test_user_text_is_never_rendered_as_html(client: FlaskClient) -> None:
    status, html = calc_page(client, region="<script>x</script>", base_ratio='"><img src=x>')
    assert status in (400, 404, 422)
    assert "<script>x" not in html and '"><img' not in html
    assert "&lt;script&gt;" in html or "&#34;&gt;&lt;img" in html


def test_other_schemes(client: FlaskClient) -> None:
    _, html = calc_page(client, scheme="resident_medical", start="2025-01", end="2026-12")
    api = api_quote(client, region="360100", scheme="resident_medical", start="2025-01", end="2026-12")
    assert text_of(html, "total") == api["total"] and "2026年" in html
    _, html = calc_page(client, scheme="outlet_injury", headcount="12", factor="1.2")
    api = api_quote(
        client, region="360100", scheme="outlet_injury", start="2025-01", end="2025-12", headcount=12, factor="1.2"
    )
    assert text_of(html, "total") == api["total"]
    status, html = calc_page(client, scheme="outlet_injury", headcount="十二")
    assert status == 422 and field_error(html, "headcount") == "须为整数。"


def issue(client: FlaskClient, **changes: str) -> str:
    """The random key of a new quote's link (its printed serial is on the page: see serial_of)."""
    response = client.post("/window", data=FORM | {"clerk": "王五", "csrf_token": ""} | changes)
    assert response.status_code == 303, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert re.fullmatch(r"/window/quote/[A-Za-z0-9_-]{32}", location)
    return location.rsplit("/", 1)[1]


def serial_of(client: FlaskClient, key: str) -> str:
    return text_of(client.get(f"/window/quote/{key}").get_data(as_text=True), "serial")


def test_window_form_is_a_post_with_a_csrf_field(client: FlaskClient) -> None:
    html = client.get("/window").get_data(as_text=True)
    assert 'method="post" action="/window"' in html and 'name="csrf_token"' in html and 'for="f-clerk"' in html


def test_window_issues_a_numbered_quote_that_can_be_reprinted(app: Flask, client: FlaskClient) -> None:
    first_key, second_key = issue(client), issue(client, clerk="")
    first, second = serial_of(client, first_key), serial_of(client, second_key)
    assert first != second and int(second[-6:]) == int(first[-6:]) + 1
    html = client.get(f"/window/quote/{first_key}").get_data(as_text=True)
    api = api_quote(
        client, region="360100", scheme="flexible_pension", start="2025-01", end="2025-12", base_ratio="0.6"
    )
    assert text_of(html, "serial") == first and text_of(html, "total") == api["total"]
    assert text_of(html, "clerk") == "王五"
    assert "赣人社字〔2025〕150号" in html and "国发〔2005〕38号" in html and "共12个月" in html and "60%" in html
    assert client.get(f"/window/quote/{first_key}").get_data(as_text=True) == html  # reprint is the same sheet
    with app.app_context():
        from sqlalchemy.orm import Session

        from service.core.db import store

        with Session(store().engine) as session:
            assert session.query(IssuedQuote).count() == 2


def test_window_error_keeps_the_input_and_stores_nothing(app: Flask, client: FlaskClient) -> None:
    response = client.post("/window", data=FORM | {"end": "2024-01", "clerk": "李四"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "end") == "终止月份不能早于起始月份，请修改终止月份。"
    assert 'value="李四"' in html and 'value="2024-01"' in html
    with app.app_context():
        from sqlalchemy.orm import Session

        from service.core.db import store

        with Session(store().engine) as session:
            assert session.query(IssuedQuote).count() == 0


@pytest.mark.parametrize("serial", ["20261123-999999", "nope", "20261123-000001x"])
def test_unknown_quote_is_404_in_chinese(client: FlaskClient, serial: str) -> None:
    response = client.get(f"/window/quote/{serial}")
    assert response.status_code == 404 and "找不到" in response.get_data(as_text=True)
    assert client.get(f"/window/quote/{serial}.xlsx").status_code == 404


def test_quote_xlsx_has_numbers_and_user_text_as_text(client: FlaskClient) -> None:
    key = issue(client, clerk='=HYPERLINK("http://x")')
    serial = serial_of(client, key)
    response = client.get(f"/window/quote/{key}.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    cells = {str(row[0].value): row for row in sheet.iter_rows() if row[0].value is not None}
    assert cells["编号"][1].value == serial
    total = cells["合计"][3]
    api = api_quote(
        client, region="360100", scheme="flexible_pension", start="2025-01", end="2025-12", base_ratio="0.6"
    )
    assert f"{total.value:.2f}" == api["total"] and total.number_format == "0.00"
    assert cells["2025-01"][3].value == float(api["months"][0]["amount"])
    clerk = cells["经办人"][1]
    assert clerk.value == '=HYPERLINK("http://x")' and clerk.data_type == "s"


def test_parameters_pages(client: FlaskClient) -> None:
    assert client.get("/parameters?region=530100").headers["Location"].endswith("/parameters/530100")
    index = client.get("/parameters").get_data(as_text=True)
    assert 'href="/parameters/360100"' in index
    html = client.get("/parameters/530100?month=2026-10").get_data(as_text=True)
    assert "云人社发〔2026〕8号" in html and "2026-10 在用参数" in html
    api = client.get("/api/v1/parameters/530100/history").get_json()
    for version in api["versions"]:
        assert f'id="v{version["id"]}"' in html
    assert "官方原文" in html or "较可靠" in html
    assert "未配置：灵活就业人员职工基本医疗保险" in html
    assert client.get("/parameters/999999").status_code == 404
    bad = client.get("/parameters/530100?month=2026-1")
    assert bad.status_code == 422 and "不是有效月份" in bad.get_data(as_text=True)


def test_parameters_page_shows_medical_fixture(medical_app: Flask) -> None:
    client = medical_app.test_client()
    html = client.get("/?" + urlencode(FORM | {"scheme": "flexible_medical"})).get_data(as_text=True)
    assert "固定附加费" in html and "测试用参数（非真实数据）" not in html  # titles live on the 参数 page
    assert "待核实" in html
    assert "测试用参数（非真实数据）" in client.get("/parameters/360100").get_data(as_text=True)


def test_the_list_of_what_to_fix_names_each_field(client: FlaskClient) -> None:
    """A summary of five "必须填写。" would not say which field: each line is named by its field's label."""
    page = client.get("/?region=360100&scheme=flexible_pension&start=&end=2025-12&basis=ratio&base_ratio=0.6")
    summary = re.search(r'<div class="error-summary".*?</div>', page.get_data(as_text=True), re.S)
    assert page.status_code == 422 and summary is not None
    assert '<a href="#f-start">起始月份：' in summary.group(0)
    benefit = client.get("/window/benefit?region=120000&month=2025-09&calc_base=9232&average_index=0.81")
    summary = re.search(r'<div class="error-summary".*?</div>', benefit.get_data(as_text=True), re.S)
    assert summary is not None
    lines = re.findall(r"<li><a [^>]*>([^<]*)</a></li>", summary.group(0))
    assert "退休年龄（月）：必须填写。" in lines and len(set(lines)) == len(lines), lines
