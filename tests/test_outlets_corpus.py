"""A corpus of bad workbooks, made here: each gets a clear answer, never a 500, a hang or a silent drop.

The file-level cases (empty, truncated, zip bomb, encrypted, ...) are in test_outlets_files.py; these are
the workbooks that open but are built in ways people (and programs) really build them.
"""

from __future__ import annotations

import io
import re
import time
import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from calc.quote import QuoteRequest, price
from rates.months import Month
from service.core.db import snapshot
from tests.outlets_support import (
    HEADERS,
    assert_error,
    make_id,
    page_when_done,
    post,
    result_workbook,
    row_xml,
    sheet_xml,
    workbook_bytes,
    xml_workbook,
)

MB = 1024 * 1024


def courier(
    serial: int, name: str = "张三", outlet: str = "网点甲", start: object = "2025-01", end: object = "2025-03"
):
    return [outlet, "", name, make_id(serial), start, end, None, ""]


def result_book(client: FlaskClient, data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(result_workbook(client, data)))


def rows_of(book: openpyxl.Workbook, sheet: str) -> list[tuple]:
    return list(book[sheet].iter_rows(min_row=2, values_only=True))


def amount(app: Flask, start: str, end: str, factor: str = "1") -> Decimal:
    with app.app_context():
        request = QuoteRequest("360100", "outlet_injury", Month.parse(start), Month.parse(end), factor=Decimal(factor))
        return price(snapshot(), request).total


def assert_counts_add_up(body: dict, nonblank: int) -> None:
    """Every non-blank row below the header is in exactly one place."""
    assert body["rows"] == body["accepted"] + body["rejected"] == nonblank, body


# ---------------------------------------------------------------- not a workbook at all


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\0" * 100,  # a picture renamed .xlsx
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 100,
        "姓名\t身份证号\n张三\t1\n".encode("utf-16"),  # a tab-separated export in UTF-16
    ],
    ids=["png", "pdf", "utf16-text"],
)
def test_other_file_types_renamed_xlsx(client: FlaskClient, data: bytes) -> None:
    assert_error(post(client, data), 415, "not_xlsx", "不是 Excel .xlsx 文件")


def test_word_document_renamed_xlsx(client: FlaskClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert_error(post(client, buffer.getvalue()), 415, "not_xlsx", "不是 Excel .xlsx 文件")


# ---------------------------------------------------------------- a million styled empty rows


def million_empty_rows(empty_row: bytes) -> bytes:
    rows = [HEADERS, courier(1), courier(2, "李四")]
    data = xml_workbook({"花名册": sheet_xml(rows, b"".join(empty_row % (n, n, n) for n in range(4, 1_000_004)))})
    assert len(data) < 20 * MB  # under the upload limit: the sheet XML is what is big
    return data


def assert_two_couriers_only(answer: tuple[int, dict]) -> None:
    status, body = answer
    assert status == 200, body
    assert body["accepted"] == 2 and body["rejected"] == 0 and body["blank_rows"] == 0  # trailing rows: not rows


def test_a_million_styled_empty_rows_are_neither_slow_nor_counted(client: FlaskClient) -> None:
    # what Excel writes when a whole column is formatted: styled rows of styled cells without a value
    data = million_empty_rows(b'<row r="%d" s="2" customFormat="1"><c r="A%d" s="2"/><c r="H%d" s="2"/></row>')
    tracemalloc.start()
    began = time.perf_counter()
    try:
        answer = post(client, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_two_couriers_only(answer)
    assert time.perf_counter() - began < 30  # about 1.5 s here; minutes would mean rows walked one by one
    assert peak < 120 * MB, f"peak {peak / MB:.0f} MB"  # the upload itself is 8 MB, the sheet XML 88 MB


def test_a_million_empty_text_cells_are_not_counted_either(client: FlaskClient) -> None:
    # some exports write "" into every cell of a range: the reader returns those rows, they are not kept
    data = million_empty_rows(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t></t></is></c><c r="H%d"/></row>')
    began = time.perf_counter()
    assert_two_couriers_only(post(client, data))
    assert time.perf_counter() - began < 30  # about 2 s


def test_blank_rows_between_couriers_are_counted_but_not_refused(client: FlaskClient) -> None:
    tail = b"".join(b'<row r="%d" s="2" customFormat="1"/>' % n for n in range(3, 100_003))
    tail += row_xml(100_003, courier(2, "李四")).encode()
    data = xml_workbook({"花名册": sheet_xml([HEADERS, courier(1)], tail)})
    status, body = post(client, data)
    assert status == 200 and body["accepted"] == 2, body
    assert body["blank_rows"] == 100_000


# ---------------------------------------------------------------- merged header cells


def test_two_row_header_with_merged_cells(app: Flask, client: FlaskClient) -> None:
    rows = [
        ["网点名称", "统一社会信用代码", "姓名", "公民身份号码", "参保期间", "", "浮动费率", "备注"],
        ["", "", "", "", "起始月", "终止月", "", ""],
        courier(1),
        courier(2, "李四", start="2025-02", end="2025-02"),
    ]
    merged = ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:F1", "G1:G2", "H1:H2"]
    status, body = post(client, xml_workbook({"花名册": sheet_xml(rows, merged=merged)}))
    assert status == 200, body
    assert body["header_row"] == 2 and body["accepted"] == 2 and body["rejected"] == 0
    assert Decimal(body["total"]["amount"]) == amount(app, "2025-01", "2025-03") + amount(app, "2025-02", "2025-02")


def test_header_cell_merged_across_columns(client: FlaskClient) -> None:
    rows = [["花名册"], ["网点名称", "", "姓名", "公民身份号码", "参保起始月", "参保终止月"]]
    rows += [["网点甲", "（分部）", "张三", make_id(1), "2025-01", "2025-03"]]
    status, body = post(client, xml_workbook({"花名册": sheet_xml(rows, merged=["A1:F1", "A2:B2"])}))
    assert status == 200 and body["accepted"] == 1 and body["header_row"] == 2, body
    assert body["outlets"][0]["outlet"] == "网点甲"


# ---------------------------------------------------------------- formulas

FORMULA_HEADERS = ["网点名称", "姓名", "公民身份号码", "参保起始月", "参保终止月", "浮动费率"]


def formula_row(row: int, factor_cell: str, name_cell: str | None = None) -> list[object]:
    return ["网点甲", name_cell or "张三", make_id(row), "2025-01", "2025-03", factor_cell]


def test_formulas_with_saved_results_use_what_excel_shows(app: Flask, client: FlaskClient) -> None:
    rows = [
        FORMULA_HEADERS,
        formula_row(2, '<c r="F2"><f>0.6*2</f><v>1.2</v></c>', '<c r="B2" t="str"><f>"张"&amp;"三"</f><v>张三</v></c>'),
        # a text formula whose result is "" (=IF(...,"",...)) in 浮动费率 is an empty cell: the default 1
        formula_row(3, '<c r="F3" t="str"><f>IF(1,"",1)</f><v></v></c>'),
    ]
    status, body = post(client, xml_workbook({"花名册": sheet_xml(rows)}))
    assert status == 200 and body["accepted"] == 2 and body["rejected"] == 0, body
    assert Decimal(body["total"]["amount"]) == amount(app, "2025-01", "2025-03", "1.2") + amount(
        app, "2025-01", "2025-03"
    )


@pytest.mark.parametrize(
    ("cell", "raw", "words"),
    [
        ('<c r="F2"><f>0.6*2</f></c>', "=0.6*2", "没有保存公式的计算结果"),  # no <v>: never the default 1
        ('<c r="F2"><f>0.6*2</f><v></v></c>', "=0.6*2", "没有保存公式的计算结果"),
        ('<c r="F2"><f t="shared" si="0"/></c>', "（公式）", "没有保存公式的计算结果"),
        ('<c r="F2" t="e"><f>1/0</f><v>#DIV/0!</v></c>', "#DIV/0!", "错误值 #DIV/0!"),
        ('<c r="F2" t="e"><v>#N/A</v></c>', "#N/A", "错误值 #N/A"),
    ],
    ids=["no-value", "empty-value", "shared", "div0", "na"],
)
def test_a_formula_without_a_result_is_a_row_error_never_a_silent_value(
    client: FlaskClient, cell: str, raw: str, words: str
) -> None:
    rows = [FORMULA_HEADERS, formula_row(2, cell), formula_row(3, "1")]
    status, body = post(client, xml_workbook({"花名册": sheet_xml(rows)}))
    assert status == 200 and body["accepted"] == 1 and body["rejected"] == 1, body
    error = body["errors"][0]
    assert (error["row"], error["column"], error["value"]) == (2, "浮动费率", raw)
    assert words in error["message"] and "Excel" in error["message"]


def test_a_formula_on_a_sheet_kept_outside_xl_worksheets_is_found(client: FlaskClient) -> None:
    rows = [FORMULA_HEADERS, formula_row(2, '<c r="F2"><f>0.6*2</f></c>')]
    moved = io.BytesIO()
    original = io.BytesIO(xml_workbook({"花名册": sheet_xml(rows)}))
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(moved, "w") as target:
        for item in source.infolist():
            content = source.read(item).replace(b"worksheets/sheet1.xml", b"sheets/roster.xml")
            target.writestr(item.filename.replace("worksheets/sheet1.xml", "sheets/roster.xml"), content)
    status, body = post(client, moved.getvalue())
    assert status == 200 and body["rejected"] == 1 and body["errors"][0]["column"] == "浮动费率", body


def test_formulas_written_by_a_program_are_errors_in_every_column(client: FlaskClient) -> None:
    # openpyxl, like most programs, writes formulas without results: nothing may be guessed from them
    data = workbook_bytes(
        [HEADERS, ['="网点"&"甲"', "", '="张三"', make_id(1), '=TEXT(45658,"yyyy-mm")', "2025-03", "=1.2", ""]]
    )
    status, body = post(client, data)
    assert status == 200 and body["accepted"] == 0 and body["rejected"] == 1, body
    assert {e["column"] for e in body["errors"]} == {"网点名称", "姓名", "参保起始月", "浮动费率"}
    assert all("计算结果" in e["message"] for e in body["errors"])


def test_a_row_of_formulas_without_results_is_not_skipped_as_blank(client: FlaskClient) -> None:
    rows = [FORMULA_HEADERS, formula_row(2, "1"), ['<c r="A3"><f>A2</f></c>', '<c r="B3"><f>B2</f></c>']]
    status, body = post(client, xml_workbook({"花名册": sheet_xml(rows)}))
    assert status == 200 and body["blank_rows"] == 0, body
    assert_counts_add_up(body, 2)


def test_an_error_value_outside_the_roster_columns_is_ignored(client: FlaskClient) -> None:
    rows = [[*FORMULA_HEADERS, "备注"], [*formula_row(2, "1"), '<c r="G2" t="e"><f>1/0</f><v>#DIV/0!</v></c>']]
    status, body = post(client, xml_workbook({"花名册": sheet_xml(rows)}))
    assert status == 200 and body["accepted"] == 1 and body["rejected"] == 0, body


# ---------------------------------------------------------------- hidden sheets, a sheet per outlet


def test_hidden_sheets_are_never_read_and_are_named(client: FlaskClient) -> None:
    old = sheet_xml([HEADERS, courier(1, "旧数据")])
    current = sheet_xml([HEADERS, courier(2, "李四")])
    data = xml_workbook({"去年": old, "花名册": current, "底稿": old}, {"去年": "hidden", "底稿": "veryHidden"})
    status, body = post(client, data)
    assert status == 200, body
    assert body["accepted"] == 1 and body["sheet"] == "花名册" and body["header_row"] == 1
    assert any("隐藏的工作表“去年”未读取" in n for n in body["notes"])
    assert any("隐藏的工作表“底稿”未读取" in n for n in body["notes"])


def test_a_roster_only_on_a_hidden_sheet_says_to_unhide_it(client: FlaskClient) -> None:
    data = xml_workbook(
        {"说明": sheet_xml([["请填写"]]), "花名册": sheet_xml([HEADERS, courier(1)])}, {"花名册": "hidden"}
    )
    assert_error(post(client, data), 422, "no_header", "工作表“花名册”是隐藏的")


def test_no_header_on_any_visible_sheet_says_what_a_header_needs(client: FlaskClient) -> None:
    data = xml_workbook({"旧": sheet_xml([["x"]]), "说明": sheet_xml([["请填写"]])}, {"旧": "hidden"})
    assert_error(post(client, data), 422, "no_header", "找不到表头")


def per_outlet_workbook() -> bytes:
    jia = [["网点甲 花名册"], HEADERS, courier(1), courier(2, "", "网点甲"), courier(3, "王五")]
    # 网点乙 has its columns in another order, and a courier registered at 网点甲 for overlapping months
    yi_headers = ["姓名", "身份证号", "网点名称", "起始月份", "终止月份"]
    yi = [
        yi_headers,
        ["赵六", make_id(4), "网点乙", "2025-01", "2025-02"],
        ["张三", make_id(1), "网点乙", "2025-02", "2025-02"],
    ]
    help_sheet = [["项目", "说明"], ["用途", "每个网点一张表"]]
    return xml_workbook({"网点甲": sheet_xml(jia), "网点乙": sheet_xml(yi), "填写说明": sheet_xml(help_sheet)})


def test_a_sheet_per_outlet_is_read_sheet_by_sheet(app: Flask, client: FlaskClient) -> None:
    status, body = post(client, per_outlet_workbook())
    assert status == 200, body
    assert [s["name"] for s in body["sheets"]] == ["网点甲", "网点乙"]
    assert [s["header_row"] for s in body["sheets"]] == [2, 1]
    assert body["accepted"] == 3 and body["rejected"] == 2
    assert_counts_add_up(body, 5)
    places = [(e["sheet"], e["row"], e["place"], e["column"]) for e in body["errors"]]
    assert places == [("网点甲", 4, "网点甲 第4行", "姓名"), ("网点乙", 3, "网点乙 第3行", "公民身份号码")]
    assert "与网点甲 第3行是同一身份证号" in body["errors"][1]["message"]
    assert any("填写说明" in n and "未读取" in n for n in body["notes"])
    assert {o["outlet"]: o["headcount"] for o in body["outlets"]} == {"网点甲": 2, "网点乙": 1}

    book = result_book(client, per_outlet_workbook())
    assert [r[0] for r in rows_of(book, "明细")] == ["网点甲 第3行", "网点甲 第5行", "网点乙 第2行"]
    assert [r[0] for r in rows_of(book, "错误")] == ["网点甲 第4行", "网点乙 第3行"]
    detail_total = sum(Decimal(str(r[11])).quantize(Decimal("0.01")) for r in rows_of(book, "明细"))
    assert detail_total == 2 * amount(app, "2025-01", "2025-03") + amount(app, "2025-01", "2025-02")

    page = page_when_done(client, per_outlet_workbook())
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "工作表“网点甲”表头在第2行、工作表“网点乙”表头在第1行" in html
    assert re.search(r"<td[^>]*>网点乙 第3行</td>", html)


def test_the_cli_names_sheet_and_row(runner: FlaskCliRunner, tmp_path: Path) -> None:
    source, target = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    source.write_bytes(per_outlet_workbook())
    result = runner.invoke(args=["outlets", "batch", str(source), "-o", str(target), "--region", "360100"])
    assert result.exit_code == 0, result.output
    assert "网点甲 第4行 姓名：姓名为空" in result.output and "读取了 2 个工作表" in result.output


def test_a_visible_sheet_with_a_broken_header_refuses_the_file(client: FlaskClient) -> None:
    broken = sheet_xml([["网点名称", "姓名", "身份证号", "起始月份"], ["网点乙", "赵六", make_id(4), "2025-01"]])
    data = xml_workbook({"网点甲": sheet_xml([HEADERS, courier(1)]), "网点乙": broken})
    answer = post(client, data)
    assert_error(answer, 422, "no_header", "工作表“网点乙”第1行像是表头，但缺少这些列：参保终止月")
    assert "如果这张表不是花名册，请删除或隐藏它" in answer[1]["error"]["message"]


def test_the_row_limit_counts_every_sheet(small_app: Flask) -> None:
    three = [HEADERS, *(courier(i) for i in range(3))]
    data = xml_workbook({"甲": sheet_xml(three), "乙": sheet_xml(three)})  # 6 rows > 5
    assert_error(post(small_app.test_client(), data), 413, "too_many_rows", "5 行")


# ---------------------------------------------------------------- long strings, emoji, control characters


def test_very_long_strings_are_row_errors_and_are_cut_in_the_answer(client: FlaskClient) -> None:
    long_name, long_outlet, long_remark = "张" * 100_000, "网" * 100_000, "备注" * 50_000
    rows = [HEADERS, courier(1, long_name), courier(2, outlet=long_outlet), [*courier(3)[:7], long_remark]]
    data = xml_workbook({"花名册": sheet_xml(rows)})
    status, body = post(client, data)
    assert status == 200 and body["accepted"] == 1 and body["rejected"] == 2, body  # a long 备注 is ignored
    name, outlet = body["errors"]
    assert (name["column"], outlet["column"]) == ("姓名", "网点名称")
    assert "100000 个字符" in name["message"] and "上限" in name["message"]
    assert len(name["value"]) < 300 and name["value"].endswith("（共 100000 个字符）")
    errors = rows_of(result_book(client, data), "错误")
    assert all(len(r[2]) < 300 for r in errors)


def test_a_long_value_refused_by_the_engine_is_cut_too(client: FlaskClient) -> None:
    """A factor the roster accepts as a number but the engine refuses (here 0.000…5) is reported cut."""
    factor = "0." + "0" * 300 + "5"
    rows = [HEADERS, courier(1), [*courier(2)[:6], factor, ""]]
    status, body = post(client, xml_workbook({"花名册": sheet_xml(rows)}))
    assert status == 200 and body["accepted"] == 1 and body["rejected"] == 1, body
    (error,) = body["errors"]
    assert error["column"] == "浮动费率" and error["value"].endswith("（共 303 个字符）") and len(error["value"]) < 300


def test_emoji_survive_and_control_characters_are_refused(client: FlaskClient) -> None:
    rows = [
        HEADERS,
        courier(1, "张三😀", outlet="顺丰🚚网点"),
        courier(2, "阿卜杜热依木·买买提👨‍👩‍👧"),
        courier(3, "李_x0007_四"),  # Excel's escape of a control character (BEL) in the XML
        courier(4, "王\n五"),  # Alt+Enter inside the cell
        courier(5, "赵_x0000_六"),
    ]
    data = xml_workbook({"花名册": sheet_xml(rows)})
    status, body = post(client, data)
    assert status == 200 and body["accepted"] == 2 and body["rejected"] == 3, body
    assert [e["row"] for e in body["errors"]] == [4, 5, 6]
    assert all(e["column"] == "姓名" and "控制字符" in e["message"] for e in body["errors"])
    book = result_book(client, data)
    assert [(r[1], r[2]) for r in rows_of(book, "明细")] == [
        ("顺丰🚚网点", "张三😀"),
        ("网点甲", "阿卜杜热依木·买买提👨‍👩‍👧"),
    ]
    assert rows_of(book, "汇总")[0][0] == "顺丰🚚网点"
    errors = rows_of(book, "错误")
    assert [r[2] for r in errors] == ["李_x0007_四", "王\n五", "赵_x0000_六"]  # openpyxl shows Excel's escapes
    assert all(cell.data_type == "s" for row in book["错误"].iter_rows(min_row=2) for cell in row[1:])


# ---------------------------------------------------------------- dates before 1900


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ('<c r="E2" s="1"><v>60</v></c>', "尚未配置"),  # Excel's 1900-02-29, which never existed
        ('<c r="E2" s="1"><v>59</v></c>', "尚未配置"),  # 1900-02-28
        ('<c r="E2" s="1"><v>1</v></c>', "尚未配置"),  # 1900-01-01
        ('<c r="E2" s="1"><v>0</v></c>', "不是月份"),  # Excel's 1900-01-00
        ('<c r="E2" s="1"><v>-30</v></c>', "不是月份"),
        ('<c r="E2" t="d"><v>1899-12-01T00:00:00</v></c>', "年份不对"),  # an ISO date cell before 1900
        ("1900-02-29", "不是有效日期"),
        ("1899-12", "年份不对"),
        ("1899年12月31日", "年份不对"),
        ('<c r="E2" s="1"><v>2958466</v></c>', "不是年月"),  # past 9999-12-31
    ],
)
def test_months_before_1900_and_the_1900_leap_day_are_row_errors(client: FlaskClient, cell: str, words: str) -> None:
    rows = [HEADERS, courier(1, start=cell, end="1900-03"), courier(2)]
    status, body = post(client, xml_workbook({"花名册": sheet_xml(rows)}))
    assert status == 200 and body["accepted"] == 1 and body["rejected"] == 1, body
    error = body["errors"][0]
    assert error["row"] == 2 and error["column"] == "参保起始月" and words in error["message"], error


def test_progress_counts_the_rows_of_every_sheet() -> None:
    from service.outlets.roster import PROGRESS_CHUNK, Limits, read_roster

    rows = [HEADERS, *(courier(i) for i in range(PROGRESS_CHUNK + 10))]
    reports: list[tuple[int, int]] = []
    read_roster(
        xml_workbook({"甲": sheet_xml(rows), "乙": sheet_xml(rows[:4])}), Limits(), lambda *r: reports.append(r)
    )
    assert {total for _, total in reports} == {PROGRESS_CHUNK + 13}
    assert sum(step for step, _ in reports) == PROGRESS_CHUNK + 13
