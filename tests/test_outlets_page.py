"""The 快递网点 page without a browser: region names rather than codes, tables that become cards on a phone."""

from __future__ import annotations

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
