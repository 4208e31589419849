"""Round trip: a roster filled in as people really do, through the API, the CLI and the page."""

from __future__ import annotations

import datetime as dt
import io
import re
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
from tests.outlets_support import make_credit_code, make_id, page_when_done, post, result_workbook, workbook_bytes

GOOD_CODE = make_credit_code("360100")
LOWER_X = next(make_id(i) for i in range(1000) if make_id(i).endswith("X")).lower()
ID_A, ID_B, ID_C, ID_D = (make_id(i) for i in (11, 12, 13, 14))
MERGED_ID = make_id(15)

# Excel rows: 1 title, 2 blank, 3 header, then couriers. Expected: row -> (start, end, factor) or None (an error).
MESSY = [
    ["某某快递南昌片区 2025年 快递员参保花名册"],
    [],
    ["  快递网点 ", "统一社会 信用代码", "姓　名", "身份证号码", "开始月份（必填）", "结束月份", "浮动费率", "备 注"],
    ["红谷滩网点", GOOD_CODE, "  张三 ", ID_A, dt.datetime(2025, 1, 1), "2025-03", 1, "date cell + text"],  # 4
    ["红谷滩网点", GOOD_CODE, "李四", LOWER_X, "2025/3", "2025.6", "1.2", "lowercase x"],  # 5
    ["红谷滩网点", "", "=1+1", ID_B, "2025年3月", 202506, None, "formula-looking name"],  # 6
    [],  # 7 blank
    ["青山湖网点", "", "王五", ID_C, 2025.3, "２０２５－０５", 0.8, "float month, full-width text"],  # 8
    ["青山湖网点", "", "赵六", 360102199001010099, "2025-01", "2025-02", None, "numeric ID"],  # 9
    ["青山湖网点", "91360100XXXXXXXXXX", "钱七", ID_D, "2025-01", "2025-12", None, "bad credit code"],  # 10
    ["青山湖网点", "", "张三", ID_A, "2025-02", "2025-04", None, "overlaps row 4"],  # 11
    ["青山湖网点", "", "张三", ID_A, "2025-04", "2025-06", None, "after row 4: kept"],  # 12
    ["九龙湖网点", "", "孙八", MERGED_ID, "2025-01", 2025.1, None, "2025.1 as a number is ambiguous"],  # 13
    ["九龙湖网点", "", "周九", make_id(16), "2024-11", "2025-02", None, "two average wages"],  # 14
    [None, "", "吴十", make_id(17), "2025-07", "2025-07", None, "merged outlet cell"],  # 15
    ["合计", None, None, None, None, None, None, None],  # 16
    [],
]
ACCEPTED = {
    4: ("红谷滩网点", ID_A, "2025-01", "2025-03", "1"),
    5: ("红谷滩网点", LOWER_X.upper(), "2025-03", "2025-06", "1.2"),
    6: ("红谷滩网点", ID_B, "2025-03", "2025-06", "1"),
    8: ("青山湖网点", ID_C, "2025-03", "2025-05", "0.8"),
    12: ("青山湖网点", ID_A, "2025-04", "2025-06", "1"),
    14: ("九龙湖网点", make_id(16), "2024-11", "2025-02", "1"),
    15: ("九龙湖网点", make_id(17), "2025-07", "2025-07", "1"),
}
REJECTED = {9: "公民身份号码", 10: "统一社会信用代码", 11: "公民身份号码", 13: "参保终止月", 16: ""}


def messy_roster() -> bytes:
    data = workbook_bytes(MESSY, text_cells=["C6"])
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    sheet.merge_cells("A14:A15")  # 九龙湖网点 written once for two rows
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def expected_amount(app: Flask, start: str, end: str, factor: str) -> Decimal:
    with app.app_context():
        request = QuoteRequest("360100", "outlet_injury", Month.parse(start), Month.parse(end), factor=Decimal(factor))
        return price(snapshot(), request).total


def _check_result(app: Flask, data: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["明细", "汇总", "按月汇总", "错误", "参数"]
    _check_by_month(app, book)
    detail = list(book["明细"].iter_rows(values_only=True))
    assert detail[0] == (
        "原行号",
        "网点名称",
        "姓名",
        "公民身份号码",
        "参保起始月",
        "参保终止月",
        "计费起始月",
        "计费终止月",
        "月数",
        "每人每月缴费",
        "浮动费率",
        "应缴金额",
    )
    lines: dict[int, list[tuple]] = {}
    for line in detail[1:]:
        lines.setdefault(line[0], []).append(line)
    assert set(lines) == set(ACCEPTED)
    by_row = {number: found[0] for number, found in lines.items()}
    for number, (outlet, id_number, start, end, factor) in ACCEPTED.items():
        row = by_row[number]
        assert (row[1], row[3], row[4], row[5]) == (outlet, id_number, start, end)
        assert all(
            isinstance(line[10], (int, float)) and Decimal(str(line[10])) == Decimal(factor) for line in lines[number]
        )
        row_total = sum(Decimal(str(line[11])).quantize(Decimal("0.01")) for line in lines[number])
        assert row_total == expected_amount(app, start, end, factor)
        assert sum(line[8] for line in lines[number]) == Month.parse(start).count_until(Month.parse(end))
    assert by_row[4][2] == "张三"  # trimmed
    assert by_row[6][2] == "=1+1"
    assert len(lines[4]) == 1 and (lines[4][0][6], lines[4][0][7]) == ("2025-01", "2025-03")
    # the premium changed with the 2025 average wage: one line per span, each with numbers only
    spans = lines[14]
    assert [(s[6], s[7], s[8]) for s in spans] == [("2024-11", "2024-12", 2), ("2025-01", "2025-02", 2)]
    for span in spans:
        assert Decimal(str(span[11])).quantize(Decimal("0.01")) == expected_amount(app, span[6], span[7], "1")
    assert spans[0][9] != spans[1][9]
    sheet = book["明细"]
    for cells in sheet.iter_rows(min_row=2):
        assert cells[3].data_type == "s"  # the ID is text
        for money in (cells[9], cells[11]):
            assert money.data_type == "n" and money.number_format == "#,##0.00"
        assert cells[8].data_type == "n" and cells[10].data_type == "n" and cells[10].number_format == "0.00##"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        detail_xml = archive.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in detail_xml  # "=1+1" is text, never a formula
        assert any(name.startswith("xl/charts/") for name in archive.namelist())

    errors = list(book["错误"].iter_rows(values_only=True))
    assert errors[0] == ("原行号", "列", "原值", "说明")
    listed = {}
    for number, column, _raw, message in errors[1:]:
        listed.setdefault(number, []).append(column)
        assert message and re.search(r"[\u4e00-\u9fff]", message)
    assert set(listed) == set(REJECTED)
    for number, column in REJECTED.items():
        assert (column or "整行") in listed[number]
    numeric = next(e for e in errors[1:] if e[0] == 9)
    assert "文本" in numeric[3]  # tells the user to format the column as text
    assert "第4行" in next(e for e in errors[1:] if e[0] == 11)[3]
    # every non-blank row below the header is in exactly one place
    nonblank = {i + 1 for i, row in enumerate(MESSY) if i >= 3 and any(c not in (None, "") for c in row)}
    assert set(by_row) | set(listed) == nonblank
    assert not set(by_row) & set(listed)

    summary = {r[0]: r for r in book["汇总"].iter_rows(values_only=True) if r[0]}
    total = sum(expected_amount(app, *ACCEPTED[n][2:]) for n in ACCEPTED)
    assert Decimal(str(summary["合计"][3])).quantize(Decimal("0.01")) == total
    assert summary["红谷滩网点"][1:3] == (3, 3 + 4 + 4)
    assert summary["青山湖网点"][1] == 2
    params = list(book["参数"].iter_rows(values_only=True))
    assert params[0][:4] == ("参数", "项目", "取值", "单位")
    assert any("洪人社发〔2022〕88号" in (r[6] or "") for r in params[1:])
    assert {r[8] for r in params[1:]} <= {"官方原文", "较可靠", "待核实"}
    assert {r[9] for r in params[1:]} <= {"是", "否"}
    figures = {(r[5], r[1]): r for r in params[1:]}
    assert figures[("2024-01", "月平均工资")][2:4] == (6397, "元")  # a Chinese label and a number
    assert figures[("2022-05", "每人每月缴费占月平均工资比例")][2] == 0.01
    assert not any("=" in str(r[1]) or "_" in str(r[1]) for r in params[1:])  # no raw key=value
    cells = {row[1].value: row[2] for row in book["参数"].iter_rows(min_row=2)}
    assert cells["月平均工资"].data_type == "n" and cells["月平均工资"].number_format == "#,##0.00"
    ratio = cells["每人每月缴费占月平均工资比例"]
    assert ratio.data_type == "n" and ratio.number_format == "0.00%"


def test_messy_roster_through_the_api(app: Flask, client: FlaskClient) -> None:
    _check_result(app, result_workbook(client, messy_roster()))


def test_json_summary_counts_add_up(app: Flask, client: FlaskClient) -> None:
    status, body = post(client, messy_roster(), region="")
    assert status == 200, body
    assert body["region"] == "360100" and "信用代码" in body["region_source"]  # taken from the rows
    assert body["header_row"] == 3
    assert body["accepted"] == len(ACCEPTED) and body["rejected"] == len(REJECTED)
    assert body["rows"] == body["accepted"] + body["rejected"]
    assert body["blank_rows"] == 1 and body["total_rows"] == 1
    assert [o["outlet"] for o in body["outlets"]] == ["红谷滩网点", "青山湖网点", "九龙湖网点"]
    total = sum(expected_amount(app, *ACCEPTED[n][2:]) for n in ACCEPTED)
    assert Decimal(body["total"]["amount"]) == total
    assert sum(Decimal(o["amount"]) for o in body["outlets"]) == total
    assert {e["row"] for e in body["errors"]} == set(REJECTED)
    assert any(r["doc_no"] == "洪人社发〔2022〕88号" for r in body["references"])


def test_template_is_a_usable_roster(client: FlaskClient) -> None:
    answer = client.get("/api/v1/outlets/template")
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(answer.data))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == [
        "网点名称",
        "统一社会信用代码",
        "姓名",
        "公民身份号码",
        "参保起始月",
        "参保终止月",
        "浮动费率",
        "备注",
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet["D2"].number_format == "@" and sheet["D2"].data_type == "s"
    assert any("E2" in str(v.sqref) for v in sheet.data_validations.dataValidation)
    assert "填写说明" in book.sheetnames
    # uploading the untouched template charges nothing and says why
    _, body = post(client, answer.data)
    assert body["accepted"] == 0 and body["rejected"] == 1
    assert "示例" in body["errors"][0]["message"]


def test_cli_writes_the_workbook_and_succeeds_with_row_errors(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source, target = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    source.write_bytes(messy_roster())
    result = runner.invoke(args=["outlets", "batch", str(source), "-o", str(target), "--region", "360100"])
    assert result.exit_code == 0, result.output
    assert "计费 7 行" in result.output and "错误 5 行" in result.output
    assert "红谷滩网点" in result.output
    _check_result(app, target.read_bytes())


def test_cli_fails_on_an_unusable_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    source, target = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    source.write_text("姓名,身份证号\n", encoding="utf-8")
    result = runner.invoke(args=["outlets", "batch", str(source), "-o", str(target)])
    assert result.exit_code != 0
    assert "不是 Excel .xlsx 文件" in result.output
    assert not target.exists()
    unknown = runner.invoke(args=["outlets", "batch", str(source), "-o", str(target), "--region", "999999"])
    assert unknown.exit_code != 0 and "未知地区" in unknown.output


def test_page_shows_summary_errors_and_offers_the_result(app: Flask, client: FlaskClient) -> None:
    page = client.get("/outlets")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="csrf_token"' in html and "/api/v1/outlets/template" in html
    answer = page_when_done(client, messy_roster(), region="360100")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "计费 <strong>7</strong> 行" in html and "红谷滩网点" in html
    assert "身份证号被 Excel 存成了数字" in html
    link = re.search(r'href="(/outlets/results/[^"]+\.xlsx)"', html)
    assert link
    download = client.get(link.group(1))
    assert download.status_code == 200
    _check_result(app, download.data)
    assert client.get("/outlets/results/" + "a" * 24 + ".xlsx").status_code == 404
    assert client.get("/outlets/results/..%2F..%2Fsecret.xlsx").status_code == 404


def test_page_shows_a_bad_file_in_chinese(client: FlaskClient) -> None:
    answer = client.post("/outlets", data={"file": (io.BytesIO(b"not a workbook"), "r.xlsx")})
    assert answer.status_code == 415
    assert "不是 Excel .xlsx 文件" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("cell", "month"),
    [
        (dt.datetime(2025, 3, 1), "2025-03"),
        (dt.date(2025, 3, 15), "2025-03"),
        ("2025-03", "2025-03"),
        ("2025/3", "2025-03"),
        ("2025.3", "2025-03"),
        ("2025.10", "2025-10"),  # typed as text: no ambiguity
        ("2025年3月", "2025-03"),
        (" 2025 年 3 月 ", "2025-03"),
        ("202503", "2025-03"),
        (202503, "2025-03"),
        (2025.3, "2025-03"),
        (2025.11, "2025-11"),
        ("２０２５／３", "2025-03"),
    ],
)
def test_month_forms(cell: object, month: str) -> None:
    from service.outlets.roster import parse_month

    assert parse_month(cell) == Month.parse(month).index()


@pytest.mark.parametrize("cell", [2025.1, "2025-13", "2025年0月", 20251, "三月", "2025-02-30", True])
def test_month_forms_refused(cell: object) -> None:
    from service.outlets.roster import CellError, parse_month

    with pytest.raises(CellError):
        parse_month(cell)


def _check_by_month(app: Flask, book: openpyxl.Workbook) -> None:
    """按月汇总 (issue 23): each outlet's month is each of its couriers' one-month quote, summed; each month's
    total is the sum of its outlets; and an outlet's months add up to its line of 汇总."""
    expected: dict[tuple[str, str], Decimal] = {}
    for outlet, _id, start, end, factor in ACCEPTED.values():
        for month in Month.parse(start).until(Month.parse(end)):
            amount = expected_amount(app, str(month), str(month), factor)
            expected[(str(month), outlet)] = expected.get((str(month), outlet), Decimal(0)) + amount
    rows = list(book["按月汇总"].iter_rows(values_only=True))
    assert rows[0] == ("缴费月份", "网点名称", "人数", "应缴金额")
    found = {(r[0], r[1]): Decimal(str(r[3])).quantize(Decimal("0.01")) for r in rows[1:] if r[1] != "本月合计"}
    assert found == expected
    for month in {m for m, _ in expected}:
        total = next(r for r in rows[1:] if r[0] == month and r[1] == "本月合计")
        assert Decimal(str(total[3])).quantize(Decimal("0.01")) == sum(
            v for (m, _), v in expected.items() if m == month
        )
    summary = {
        r[0]: Decimal(str(r[3])).quantize(Decimal("0.01"))
        for r in book["汇总"].iter_rows(values_only=True)
        if r[0] and len(r) > 3 and isinstance(r[3], (int, float))
    }
    for outlet in {o for _, o in expected}:
        assert sum(v for (_, o), v in found.items() if o == outlet) == summary[outlet]
