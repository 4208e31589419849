"""Cross-site scripting and formula injection: whatever a user types comes back inert.

On pages: HTML-escaped (no script runs, no attribute is injected). In .xlsx exports: a text cell, never
a formula, so Excel does not run ``=HYPERLINK(...)``, ``+cmd|...`` or ``@SUM(...)``.
"""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import openpyxl
import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from service import create_app
from service.pages.calc_form import FORM_FIELDS
from tests.outlets_support import (
    HEADERS,
    make_credit_code,
    make_id,
    page_when_done,
    result_workbook,
    sheet_xml,
    xml_workbook,
)

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '=HYPERLINK("http://x","点我")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-1+1",
]
FORM = {"region": "360100", "scheme": "flexible_pension", "start": "2025-01", "end": "2025-12", "base_ratio": "0.6"}


class ActiveContent(HTMLParser):
    """What could run in a page: inline scripts, on* handlers, javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        self.found += [f"{tag} {name}=" for name, _ in attrs if name.startswith("on")]
        self.found += [
            f"{tag} {n}=javascript:" for n, v in attrs if (v or "").strip().lower().startswith("javascript:")
        ]


def assert_inert_html(html: str, payload: str) -> None:
    checker = ActiveContent()
    checker.feed(html)
    assert checker.found == []
    if "<" in payload or '"' in payload:
        assert payload not in html


def assert_escaped_if_shown(html: str, payload: str) -> None:
    """A field that is shown again shows the escaped text (and never the raw one)."""
    assert_inert_html(html, payload)
    assert str(escape(payload)) in html


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """One app for the module: these tests only read, or add quotes that no other test counts."""
    database = tmp_path_factory.mktemp("xss") / "xss.sqlite3"
    return create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{database}"}).test_client()


def test_the_checker_sees_active_content() -> None:
    checker = ActiveContent()
    checker.feed('<p><script>x</script><img src=x onerror=alert(1)><a href="javascript:x">a</a></p>')
    assert checker.found == ["inline <script>", "img onerror=", "a href=javascript:"]


def worksheet_xml(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]


def assert_inert_workbook(data: bytes, payloads: list[str]) -> None:
    """No formula anywhere; every cell holding a payload is a text cell with exactly what was typed."""
    for xml in worksheet_xml(data):
        assert not re.search(r"<f[ >]", xml)
    book = openpyxl.load_workbook(io.BytesIO(data))
    seen = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and any(p in cell.value for p in payloads):
                    assert cell.data_type == "s"
                    seen.update(p for p in payloads if p in cell.value)
    assert seen == set(payloads)


# ---------------------------------------------------------------- 测算, 窗口, 参数


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("field", FORM_FIELDS)
def test_calculate_page_fields(client: FlaskClient, field: str, payload: str) -> None:
    response = client.get("/?" + urlencode(FORM | {field: payload}))
    assert response.status_code in (200, 404, 422)
    assert_inert_html(response.get_data(as_text=True), payload)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("field", ["start", "end", "base_ratio", "factor", "headcount"])
def test_calculate_page_shows_typed_text_escaped(client: FlaskClient, field: str, payload: str) -> None:
    changes = {field: payload} | ({"scheme": "outlet_injury"} if field in ("factor", "headcount") else {})
    response = client.get("/?" + urlencode(FORM | changes))
    assert response.status_code == 422
    assert_escaped_if_shown(response.get_data(as_text=True), payload)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("field", [*FORM_FIELDS, "clerk"])
def test_window_fields(client: FlaskClient, field: str, payload: str) -> None:
    response = client.post("/window", data=FORM | {"basis": "ratio", "clerk": "王五"} | {field: payload})
    html = response.get_data(as_text=True)
    assert response.status_code in (303, 422), html[:300]
    assert_inert_html(html, payload)
    if response.status_code == 303:  # the payload went into a field that does not count (or is the clerk)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert_inert_html(page, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_window_clerk_on_the_printed_quote_and_its_xlsx(client: FlaskClient, payload: str) -> None:
    response = client.post("/window", data=FORM | {"basis": "ratio", "clerk": payload})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert_escaped_if_shown(client.get(location).get_data(as_text=True), payload)
    workbook = client.get(location + ".xlsx")
    assert workbook.status_code == 200
    assert_inert_workbook(workbook.data, [payload])


@pytest.mark.parametrize("payload", PAYLOADS)
def test_parameters_and_error_pages(client: FlaskClient, payload: str) -> None:
    for path in (
        "/parameters?" + urlencode({"month": payload}),
        "/parameters?" + urlencode({"region": payload}),
        "/parameters/360100?" + urlencode({"month": payload}),
        "/parameters/" + quote(payload, safe=""),
        "/window/quote/" + quote(payload, safe=""),
        "/outlets/results/" + quote(payload, safe="") + ".xlsx",
    ):
        response = client.get(path, follow_redirects=True)
        assert response.status_code in (200, 404, 422), path
        assert_inert_html(response.get_data(as_text=True), payload)


# ---------------------------------------------------------------- the outlet roster and its result


def roster_with_payloads() -> bytes:
    """Each payload in 网点名称, 姓名, 备注 (accepted rows) and in 信用代码, 身份证号, 起始月 (row errors)."""
    rows: list[list[object]] = [HEADERS]
    code = make_credit_code("360100")
    for i, payload in enumerate(PAYLOADS):
        serial = 10 * i
        rows += [
            [payload, code, "张三", make_id(serial), "2025-01", "2025-03", None, ""],
            ["网点甲", "", payload, make_id(serial + 1), "2025-01", "2025-03", None, payload],
            ["网点甲", payload, "李四", make_id(serial + 2), "2025-01", "2025-03", None, ""],
            ["网点甲", "", "王五", payload, "2025-01", "2025-03", None, ""],
            ["网点甲", "", "赵六", make_id(serial + 3), payload, "2025-03", None, ""],
        ]
    return xml_workbook({"花名册": sheet_xml(rows)})  # every text is an inline string: typed, not a formula


def test_roster_cells_on_the_outlets_page(client: FlaskClient) -> None:
    response = page_when_done(client, roster_with_payloads())
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    for payload in PAYLOADS:
        assert_escaped_if_shown(html, payload)  # outlet names in the totals, raw values among the errors


def test_roster_cells_in_every_sheet_of_the_result_workbook(client: FlaskClient) -> None:
    data = result_workbook(client, roster_with_payloads())
    assert_inert_workbook(data, PAYLOADS)
    book = openpyxl.load_workbook(io.BytesIO(data))
    detail = list(book["明细"].iter_rows(min_row=2, values_only=True))
    assert {r[1] for r in detail} >= set(PAYLOADS) and {r[2] for r in detail} >= set(PAYLOADS)  # as typed
    assert {r[0] for r in book["汇总"].iter_rows(min_row=2, values_only=True)} >= set(PAYLOADS)
    raw = {r[2] for r in book["错误"].iter_rows(min_row=2, values_only=True)}
    assert raw >= set(PAYLOADS)  # credit code, ID and month 原值 all written back as text


# ---------------------------------------------------------------- a platform's orders (职业伤害保障费, issue 24)


def orders_with_payloads() -> bytes:
    """Each payload as a place, an industry and a month (refused rows, their raw value shown), and in 备注."""
    rows: list[list[object]] = [["月份", "地区", "行业", "单量", "缴费基准额", "浮动系数", "备注"]]
    for payload in PAYLOADS:
        rows += [
            ["2025-08", payload, "出行", 1, "", "", ""],
            ["2025-08", "510000", payload, 1, "", "", ""],
            [payload, "510000", "出行", 1, "", "", ""],
            ["2025-08", "510000", "出行", 1, "", "", payload],
        ]
    return xml_workbook({"订单": sheet_xml(rows)})


def orders_job(client: FlaskClient) -> dict[str, object]:
    from tests.outlets_support import finished

    answer = client.post("/api/v1/outlets/orders/batch", data={"file": (io.BytesIO(orders_with_payloads()), "o.xlsx")})
    assert answer.status_code == 202, answer.get_data(as_text=True)
    job = finished(client, answer.get_json())
    assert job["status"] == "done", job
    return job


def test_orders_cells_on_the_page_and_in_the_result_workbook(client: FlaskClient) -> None:
    job = orders_job(client)
    html = client.get(str(job["page"])).get_data(as_text=True)
    for payload in PAYLOADS:
        assert_escaped_if_shown(html, payload)  # raw values of the refused rows
    data = client.get(str(job["result_url"])).data
    assert_inert_workbook(data, PAYLOADS)
    detail = list(openpyxl.load_workbook(io.BytesIO(data))["明细"].iter_rows(min_row=2, values_only=True))
    assert {r[2] for r in detail} >= set(PAYLOADS) and {r[3] for r in detail} >= set(PAYLOADS)  # as typed


@pytest.mark.parametrize(
    "values",
    [("<script>alert(1)</script>", '" onmouseover="x'), ("a & b", "'quoted'"), (None, 3), ("已转义", "<b>粗</b>")],
)
def test_the_badges_escape_what_they_are_given(values: tuple[object, object]) -> None:
    from markupsafe import Markup

    from service.core.display import provisional_badge, trust_badge, used_for

    first, second = values
    assert trust_badge(first, second) == Markup('<span class="trust trust-{}">{}</span>').format(first, second)
    assert provisional_badge(second) == Markup('<span class="badge provisional">{}</span>').format(second)
    assert used_for({1: first}, 1) == (Markup("；用于 {}").format(first) if first else Markup(""))
    assert trust_badge(Markup("<i>x</i>"), "y") == Markup('<span class="trust trust-<i>x</i>">y</span>')
