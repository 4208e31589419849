"""The 快递网点 page without a browser: region names rather than codes, tables that become cards on a phone."""

from __future__ import annotations

import io
import re
from html import unescape

from flask.testing import FlaskClient

from tests.outlets_support import HEADERS, make_id, page_when_done, workbook_bytes


def options(html: str) -> list[tuple[str, str]]:
    select = re.search(r'<select id="region".*?</select>', html, re.S)
    assert select
    return [(v, unescape(t).strip()) for v, t in re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>', select[0])]


def test_region_list_shows_names_not_codes(client: FlaskClient) -> None:
    html = client.get("/outlets").get_data(as_text=True)
    listed = options(html)
    assert listed[0] == ("", "按网点统一社会信用代码自动识别")
    assert ("360100", "江西省 · 南昌市") in listed and ("360000", "江西省") in listed
    for _, label in listed:
        assert not re.search(r"\d{6}", label), label  # no raw GB/T 2260 code in what the user reads
    hint = re.search(r'<span class="hint" id="region-hint">(.*?)</span>', html, re.S)
    assert hint and "无法识别时按南昌市测算" in hint[1] and "360100" not in hint[1]
    assert 'aria-describedby="region-hint"' in html


def test_result_tables_carry_a_label_for_every_cell(client: FlaskClient) -> None:
    roster = workbook_bytes(
        [
            HEADERS,
            ["红谷滩网点", "", "张三", make_id(1), "2025-01", "2025-12", "1", ""],
            ["红谷滩网点", "", "王五", "123", "2025-01", "2025-12", "1", ""],
        ]
    )
    html = page_when_done(client, roster).get_data(as_text=True)  # the job's page once it is done (issue 12)
    for table_class, labels in (
        ("outlet-totals", ["网点名称", "人数", "人月数", "应缴金额（元）"]),
        ("outlet-errors", ["原行号", "列", "原值", "说明"]),
    ):
        table = re.search(rf'<table class="stack-table {table_class}">.*?</table>', html, re.S)
        assert table, table_class
        for row in re.findall(r"<tr>(<td.*?)</tr>", table[0], re.S):
            assert re.findall(r'<td[^>]*data-label="([^"]+)"', row) == labels
    assert "地区：南昌市，" in html  # the name, not 南昌市（360100）


def upload_page(client: FlaskClient, name: str, **form: str) -> str:
    """Upload through the page as a browser would; the job page's address."""
    roster = workbook_bytes([HEADERS, ["红谷滩网点", "", "张三", make_id(1), "2025-01", "2025-03", "1", ""]])
    answer = client.post("/outlets", data={"file": (io.BytesIO(roster), name), **form})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    return answer.headers["Location"]


def recent_rows(html: str) -> list[list[str]]:
    table = re.search(r'<table class="stack-table outlet-uploads".*?</table>', html, re.S)
    assert table, "no list of recent uploads"
    rows = re.findall(r"<tr[^>]*>(<td.*?)</tr>", table[0], re.S)
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td.*?</td>", row)] for row in rows
    ]


def test_the_browsers_recent_uploads_are_listed_newest_first(client: FlaskClient) -> None:
    assert 'class="stack-table outlet-uploads"' not in client.get("/outlets").get_data(as_text=True)
    first = upload_page(client, "一月花名册.xlsx")
    second = upload_page(client, "二月花名册.xlsx")
    html = client.get("/outlets").get_data(as_text=True)
    rows = recent_rows(html)
    assert [row[1] for row in rows] == ["二月花名册.xlsx", "一月花名册.xlsx"]
    for row in rows:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row[0]) and row[2] in ("排队等候", "正在处理", "已完成")
    assert f'href="{second}"' in html and f'href="{first}"' in html
    another = client.application.test_client()  # another browser sees none of them
    assert 'class="stack-table outlet-uploads"' not in another.get("/outlets").get_data(as_text=True)


def test_a_forged_list_of_uploads_is_ignored(client: FlaskClient) -> None:
    client.set_cookie("outlet_uploads", '[["' + "a" * 24 + '","x.xlsx"]]', path="/outlets")
    answer = client.get("/outlets")
    assert answer.status_code == 200 and 'class="stack-table outlet-uploads"' not in answer.get_data(as_text=True)


def test_only_the_last_five_uploads_are_remembered_with_long_names_cut(client: FlaskClient) -> None:
    for i in range(6):
        upload_page(client, f"{i}" + "长" * 60 + ".xlsx")
    names = [row[1] for row in recent_rows(client.get("/outlets").get_data(as_text=True))]
    assert len(names) == 5 and names[0].startswith("5") and names[-1].startswith("1")
    assert all(len(name) == 40 and name.endswith("…") for name in names)


def test_the_result_page_keeps_the_region_chosen(client: FlaskClient) -> None:
    page = upload_page(client, "r.xlsx", region="360100")
    html = client.get(page).get_data(as_text=True)
    assert ("360100", "江西省 · 南昌市") in options(html)
    assert re.search(r'<option value="360100" selected>', html)
    assert not re.search(r'<option value="" selected>', html)
    automatic = client.get(upload_page(client, "r.xlsx")).get_data(as_text=True)
    assert re.search(r'<option value="" selected>', automatic)  # 自动识别 chosen: kept too


def test_the_result_comes_before_the_upload_form(client: FlaskClient) -> None:
    roster = workbook_bytes([HEADERS, ["红谷滩网点", "", "张三", make_id(1), "2025-01", "2025-12", "1", ""]])
    html = page_when_done(client, roster).get_data(as_text=True)
    assert html.index('id="summary-title"') < html.index("<form") < html.index('id="recent-title"')
    assert "再上传一份花名册" in html and "保留7天" in html


def test_a_file_name_in_the_list_is_text_not_markup(client: FlaskClient) -> None:
    upload_page(client, '<img src=x onerror="alert(1)">.xlsx')
    html = client.get("/outlets").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html
