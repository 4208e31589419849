"""A platform's orders workbook (issue 24) as a person fills it, through the outlet job machinery: uploaded by the
API, the page and the CLI, priced in a job's child process, and the result workbook opened again: every row read
is priced or refused with its reason, and each fee is what POST /api/v1/injury-protection/fee answers."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.outlets_support import assert_error, finished, sheet_xml, xml_workbook

HEADER = ["所属月份", "城市", "行业", "订单量", "缴费基准额（元/单）", "浮动系数", "备注"]
# (month, place, industry, orders, per order, float, remark): what a platform's clerk types, good and bad
ROWS: list[list[Any]] = [
    [dt.datetime(2025, 8, 1), 510100, "同城货运", 12345, None, None, "货拉拉"],  # a date cell and a code as a number
    ["2025-08", "四川省", "即时配送", 40000, 0.25, None, "美团"],
    ["2025年9月", "成都", "出行", 98765, None, 1, None],  # a city's name without 市
    ["2025/10", "500000", "即时配送", 33333, "0.07", "0.8125", None],
    [None, None, None, None, None, None, None],  # blank: skipped and counted
    ["2025-08", "火星", "出行", 10, None, None, None],  # bad: no such place
    ["2025-08", "江西省", "出行", 10, None, None, None],  # refused: no notice found for 江西
    ["2025-06", "天津市", "出行", 10, None, None, None],  # refused: before 天津's pilot
    ["2025-08", "四川省", "即时配送", 10, None, None, None],  # refused: which 即时配送 amount?
    ["2025-08", "四川省", "外卖", 10, None, None, None],  # refused: 外卖 is 即时配送 now
    ["2025-08", "四川省", "出行", "十二", None, None, None],  # bad: orders not a number
    ["2025-08", "四川省", "出行", 12.5, None, None, None],  # bad: half an order
    ["合计", None, None, 184523, None, None, None],  # a total row: not charged
]
PRICED = 4
READ = len(ROWS) - 1  # the blank row is not a row read


def orders_workbook(rows: list[list[Any]] = ROWS, title: bool = True) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "八月订单"
    if title:
        sheet.append(["某平台2025年订单统计"])  # a title above the header, as people write them
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    sheet["A3"].number_format = "yyyy-mm"
    notes = book.create_sheet("说明")
    notes.append(["本表由运营部填写"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client: FlaskClient, data: bytes) -> dict[str, Any]:
    answer = client.post("/api/v1/outlets/orders/batch", data={"file": (io.BytesIO(data), "订单.xlsx")})
    assert answer.status_code == 202, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["kind"] == "orders" and answer.headers["Location"] == body["url"]
    return finished(client, body)


def api_fee(client: FlaskClient, **body: Any) -> dict[str, Any]:
    answer = client.post("/api/v1/injury-protection/fee", json=body)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def expected_fees(client: FlaskClient) -> list[str]:
    """The fees of the good rows, as the API answers them one by one."""
    return [
        api_fee(client, region="510100", month="2025-08", industry="同城货运", orders=12345)["fee"],
        api_fee(client, region="510000", month="2025-08", industry="即时配送", orders=40000, per_order="0.25")["fee"],
        api_fee(client, region="510100", month="2025-09", industry="出行", orders=98765)["fee"],
        api_fee(
            client,
            region="500000",
            month="2025-10",
            industry="即时配送",
            orders=33333,
            per_order="0.07",
            factor="0.8125",
        )["fee"],
    ]


def check_result(workbook: bytes, fees: list[str]) -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    assert book.sheetnames == ["明细", "汇总", "依据"]
    detail = list(book["明细"].iter_rows(values_only=True))
    assert detail[0][:2] == ("原行号", "月份") and detail[0][-2:] == ("结果", "说明")
    lines = detail[1:]
    assert len(lines) == READ  # every row read is on 明细, once
    first_row = 3  # title, header, then the rows
    expected_rows = [first_row + i for i, row in enumerate(ROWS) if any(v is not None for v in row)]
    assert [line[0] for line in lines] == expected_rows
    priced = [line for line in lines if line[9] == "已计费"]
    refused = [line for line in lines if line[9] == "未计费"]
    assert len(priced) == PRICED and len(priced) + len(refused) == READ
    assert [f"{Decimal(str(line[8])):.2f}" for line in priced] == fees
    assert all(line[10] and re.search("[\u4e00-\u9fff]", line[10]) for line in refused)  # a reason, in Chinese
    reasons = " ".join(line[10] for line in refused)
    for words in (
        "无法识别地区“火星”",
        "未查到江西省",
        "不在试点期内",
        "0.07或0.25",
        "并入即时配送",
        "不是整数",
        "合计行",
    ):
        assert words in reasons, words
    summary = {row[0]: row[2] for row in book["汇总"].iter_rows(values_only=True) if row[0]}
    assert (summary["读取行数"], summary["计费行数"], summary["未计费行数"], summary["空行（已跳过）"]) == (
        READ,
        PRICED,
        READ - PRICED,
        1,
    )
    total = next(row for row in book["汇总"].iter_rows(values_only=True) if row[0] == "合计")
    assert f"{Decimal(str(total[4])):.2f}" == f"{sum(Decimal(f) for f in fees):.2f}"
    documents = [row[0] for row in book["依据"].iter_rows(min_row=2, values_only=True)]
    assert "人社部发〔2025〕24号" in documents


def test_an_orders_workbook_round_trips_with_every_row_accounted_for(client: FlaskClient) -> None:
    fees = expected_fees(client)
    job = upload(client, orders_workbook())
    assert job["status"] == "done", job
    summary = job["summary"]
    assert (summary["rows"], summary["accepted"], summary["rejected"], summary["blank_rows"]) == (
        READ,
        PRICED,
        READ - PRICED,
        1,
    )
    assert job["rows_read"] == job["rows_total"] == READ and job["rows_priced"] == PRICED
    assert summary["total"]["fee"] == f"{sum(Decimal(f) for f in fees):.2f}"
    assert any("说明" in note for note in summary["notes"])  # the notes sheet without a header is named, not read
    result = client.get(job["result_url"])
    assert result.status_code == 200 and "filename*=UTF-8''" in result.headers["Content-Disposition"]
    check_result(result.data, fees)
    page = unescape(re.sub(r"<[^>]+>|\s+", "", client.get(job["page"]).get_data(as_text=True)))
    assert f"读取{READ}行=计费{PRICED}行+未计费{READ - PRICED}行" in page
    assert "无法识别地区“火星”" in page and "下载结果工作簿" in page


def test_the_page_uploads_to_the_same_job_and_lists_it(client: FlaskClient) -> None:
    form = client.get("/outlets/orders").get_data(as_text=True)
    assert "下载订单模板" in form and 'action="/outlets/orders"' in form
    answer = client.post("/outlets/orders", data={"file": (io.BytesIO(orders_workbook()), "八月订单.xlsx")})
    assert answer.status_code == 303
    page = answer.headers["Location"]
    assert page.startswith("/outlets/jobs/")
    job_id = page.rsplit("/", 1)[-1]
    finished(client, client.get(f"/api/v1/outlets/jobs/{job_id}").get_json())
    html = client.get(page).get_data(as_text=True)
    assert "平台订单批量测算" in html and "八月订单.xlsx" in html  # the browser's recent uploads
    assert f"计费 <strong>{PRICED}</strong> 行" in html


def test_the_cli_writes_the_same_workbook(client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path) -> None:
    fees = expected_fees(client)
    source, output = tmp_path / "订单.xlsx", tmp_path / "结果.xlsx"
    source.write_bytes(orders_workbook())
    result = runner.invoke(args=["outlets", "orders", str(source), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert f"读取 {READ} 行 = 计费 {PRICED} 行 + 未计费 {READ - PRICED} 行" in result.output
    check_result(output.read_bytes(), fees)
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"month,region\n2025-08,510100\n")
    refused = runner.invoke(args=["outlets", "orders", str(bad), "-o", str(tmp_path / "x.xlsx")])
    assert refused.exit_code != 0 and "xlsx" in refused.output and not (tmp_path / "x.xlsx").exists()


def test_the_template_filled_in_is_read(client: FlaskClient) -> None:
    template = client.get("/api/v1/outlets/orders/template")
    assert template.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(template.data))
    assert book.sheetnames == ["订单", "填写说明"]
    instructions = " ".join(str(c) for row in book["填写说明"].iter_rows(values_only=True) for c in row if c)
    assert "0.07" in instructions and "0.18" in instructions and "人社部发〔2025〕24号" in instructions
    sheet = book["订单"]
    sheet.append(["2025-07", "110000", "出行", 100, None, None, "滴滴出行"])
    buffer = io.BytesIO()
    book.save(buffer)
    job = upload(client, buffer.getvalue())
    assert job["status"] == "done" and job["summary"]["accepted"] == 1, job
    assert job["summary"]["total"]["fee"] == "1.00"


@pytest.mark.parametrize(
    ("data", "status", "code", "words"),
    [
        ("month,region,industry,orders\n2025-08,510100,出行,1\n".encode(), 415, "not_xlsx", ".xlsx"),
        (b"", 400, "empty_file", "请选择填好的订单文件"),  # the roster's checks, said of an orders file
        (
            xml_workbook({"订单": sheet_xml([["月份", "城市", "行业"], ["2025-08", "510100", "出行"]])}),
            422,
            "no_header",
            "单量",
        ),
        (
            xml_workbook(
                {"订单": sheet_xml([["月份", "城市", "行业", "单量"], ["2025-08", "510100", "出行", 1]])},
                {"订单": "hidden"},
            ),
            422,
            "no_header",
            "取消隐藏",
        ),
    ],
    ids=["a CSV renamed", "empty", "a column missing", "only a hidden sheet"],
)
def test_bad_files_get_the_rosters_answers(
    client: FlaskClient, data: bytes, status: int, code: str, words: str
) -> None:
    answer = client.post("/api/v1/outlets/orders/batch", data={"file": (io.BytesIO(data), "订单.xlsx")})
    if answer.status_code == 202:  # refused while the job reads the sheets: the job ends with the same error
        job = finished(client, answer.get_json())
        assert job["status"] == "failed", job
        got = (job["error"]["status"], {"error": job["error"]})
    else:
        got = (answer.status_code, answer.get_json())
    assert_error(got, status, code, words)


def test_the_row_limit_holds_for_orders(small_app: Flask) -> None:
    client = small_app.test_client()
    rows = [["2025-08", "510100", "出行", i] for i in range(200)]
    answer = client.post(
        "/api/v1/outlets/orders/batch", data={"file": (io.BytesIO(orders_workbook(rows)), "订单.xlsx")}
    )
    assert answer.status_code == 413 and answer.get_json()["error"]["code"] == "too_many_rows"


def test_the_outlet_page_and_the_calculate_section_link_the_orders_page(client: FlaskClient) -> None:
    assert 'href="/outlets/orders"' in client.get("/outlets").get_data(as_text=True)
    query = "/?region=510100&scheme=flexible_pension&start=2025-08&end=2025-08&basis=ratio&base_ratio=0.6"
    assert 'href="/outlets/orders"' in client.get(query).get_data(as_text=True)


HOSTILE_CLASSES = ["far-cell-xfd1048576", "long-shared-string", "duplicate-row-number", "duplicated-zip-member"]


@pytest.mark.parametrize("name", HOSTILE_CLASSES)
def test_hostile_files_get_the_rosters_protections(client: FlaskClient, name: str) -> None:
    """A few of the roster's hostile classes (tests/hostile_rosters.py) sent as orders: the same refusal, from the
    same checks, before any sheet is built or in the job's child process."""
    from tests.hostile_rosters import BY_NAME

    hostile = BY_NAME[name]
    answer = client.post("/api/v1/outlets/orders/batch", data={"file": (io.BytesIO(hostile.make()), "订单.xlsx")})
    if answer.status_code == 202:
        job = finished(client, answer.get_json())
        assert job["status"] == "failed", job
        error = job["error"]
    else:
        error = answer.get_json()["error"]
    assert error["code"] == hostile.code and hostile.words in error["message"], error
    assert "花名册" not in error["message"]  # said of the orders file


def test_a_zip_bomb_is_refused(client: FlaskClient) -> None:
    import zipfile

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for _ in range(150):
                sheet.write(b" " * (1 << 20))
    answer = client.post("/api/v1/outlets/orders/batch", data={"file": (io.BytesIO(bomb.getvalue()), "订单.xlsx")})
    assert answer.status_code == 413 and answer.get_json()["error"]["code"] == "zip_bomb"


def test_progress_reports_add_up_to_the_rows(app: Flask) -> None:
    """The job's progress bar climbs to the rows below the header, never past them (reports every 5000 rows)."""
    from service.outlets.files import Limits
    from service.outlets.orders import read_and_price

    rows = [["2025-08", "510100", "出行", i] for i in range(7003)]
    steps: list[tuple[int, int]] = []
    orders = read_and_price(
        orders_workbook(rows, title=False),
        app.extensions["rates"].snapshot(),
        Limits(),
        lambda s, t: steps.append((s, t)),
    )
    assert sum(step for step, _ in steps) == 7003 == len(orders.rows) == orders.accepted
    assert {total for _, total in steps} == {7003}


def test_page_totals_are_written_exactly() -> None:
    """The orders page writes 元 through Decimal: a float would turn the last fen of a large total."""
    from service.core.display import yuan

    assert yuan("123456789012345678.91") == "123,456,789,012,345,678.91"
    assert yuan(Decimal("0.5")) == "0.50"
