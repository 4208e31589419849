"""Bad files: a clear 4xx in Chinese (or a CLI message), never a 500, never memory blown up by a small file."""

from __future__ import annotations

import io
import zipfile

from flask import Flask
from flask.testing import FlaskClient

from service.outlets.roster import OLE2_MAGIC
from tests.outlets_support import HEADERS, assert_error, make_id, post, workbook_bytes

GOOD_ROW = ["网点甲", "", "张三", make_id(1), "2025-01", "2025-03", None, ""]


def good_roster(rows: int = 1) -> bytes:
    return workbook_bytes([HEADERS, *([*GOOD_ROW[:3], make_id(i), *GOOD_ROW[4:]] for i in range(rows))])


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_the_good_roster_is_accepted(small_app: Flask) -> None:
    status, body = post(small_app.test_client(), good_roster(3))
    assert status == 200 and body["accepted"] == 3


def test_renamed_text_file(client: FlaskClient) -> None:
    assert_error(post(client, "网点名称,姓名\n甲,张三\n".encode()), 415, "not_xlsx", "不是 Excel .xlsx 文件")


def test_empty_file(client: FlaskClient) -> None:
    assert_error(post(client, b""), 400, "empty_file", "空的")


def test_no_file(client: FlaskClient) -> None:
    answer = client.post("/api/v1/outlets/batch?format=json", data={"region": "360100"})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["field"] == "file"


def test_truncated_zip(client: FlaskClient) -> None:
    data = good_roster(20)
    assert_error(post(client, data[: len(data) // 2]), 400, "corrupt_file", "损坏")


def test_zip_that_is_not_a_workbook(client: FlaskClient) -> None:
    assert_error(post(client, zip_of({"hello.txt": b"hi"})), 415, "not_xlsx", "不是 Excel .xlsx 文件")


def test_workbook_with_broken_xml(client: FlaskClient) -> None:
    members = {}
    with zipfile.ZipFile(io.BytesIO(good_roster())) as archive:
        for name in archive.namelist():
            members[name] = archive.read(name)
    members["xl/workbook.xml"] = b"<workbook><sheets><sheet name="
    assert_error(post(client, zip_of(members)), 400, "corrupt_file", "损坏")


def test_zip_bomb(client: FlaskClient) -> None:
    # 150 MB of one repeated byte squeezes into well under 1 MB: refused from the zip directory alone
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b" " * (1 << 20)
            for _ in range(150):
                sheet.write(block)
    data = bomb.getvalue()
    assert len(data) < 1_000_000
    assert_error(post(client, data), 413, "zip_bomb", "压缩炸弹")


def test_too_much_data_once_uncompressed(small_app: Flask) -> None:
    # ordinary compression ratio, but more than the configured uncompressed limit
    noise = bytes(range(256)) * 12_000  # ~3 MB, compresses poorly enough not to look like a bomb
    data = zip_of(
        {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>", "xl/media/a.bin": noise},
        zipfile.ZIP_STORED,
    )
    small = small_app.test_client()
    small_app.config["OUTLET_MAX_UPLOAD_BYTES"] = 10_000_000
    small_app.config["MAX_CONTENT_LENGTH"] = 10_000_000
    assert_error(post(small, data), 413, "too_much_data", "解压后")


def test_lying_zip_header_is_caught_by_the_real_size(small_app: Flask) -> None:
    # declare a tiny uncompressed size in both headers: the bounded decompression still counts the truth
    payload = b"<row/>" * 600_000  # 3.6 MB > the 2 MB configured limit, compresses ~500x
    data = bytearray(
        zip_of(
            {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": payload}
        )
    )
    real = len(payload).to_bytes(4, "little")
    assert data.count(real) == 2  # local header and central directory
    data = bytearray(bytes(data).replace(real, (1000).to_bytes(4, "little")))
    status, body = post(small_app.test_client(), bytes(data))
    assert status in (400, 413), body
    assert body["error"]["code"] in ("too_much_data", "corrupt_file")


def test_encrypted_workbook(client: FlaskClient) -> None:
    # an encrypted .xlsx is an OLE2 compound file holding an "EncryptedPackage" stream
    data = OLE2_MAGIC + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le")
    assert_error(post(client, data + b"\0" * 2048), 400, "encrypted", "文件已加密，请去掉密码后再上传")


def test_old_xls(client: FlaskClient) -> None:
    data = OLE2_MAGIC + b"\0" * 504 + "Workbook".encode("utf-16-le") + b"\0" * 2048
    assert_error(post(client, data), 415, "old_xls", ".xls")


def test_no_recognisable_header(client: FlaskClient) -> None:
    data = workbook_bytes([["这是一份说明"], ["随便", "写点", "什么"], [1, 2, 3]])
    assert_error(post(client, data), 422, "no_header", "找不到表头")


def test_header_missing_a_column_names_it(client: FlaskClient) -> None:
    data = workbook_bytes([["网点名称", "姓名", "身份证号", "起始月份"], ["甲", "张三", make_id(1), "2025-01"]])
    assert_error(post(client, data), 422, "no_header", "参保终止月")


def test_too_many_rows(small_app: Flask) -> None:
    assert_error(post(small_app.test_client(), good_roster(6)), 413, "too_many_rows", "5 行")


def test_upload_over_the_configured_size(small_app: Flask) -> None:
    client = small_app.test_client()
    data = good_roster() + b"\0" * 250_000  # over OUTLET_MAX_UPLOAD_BYTES, under MAX_CONTENT_LENGTH
    assert_error(post(client, data), 413, "file_too_large", "超过上限")
    huge = client.post(
        "/api/v1/outlets/batch?format=json", data={"file": (io.BytesIO(b"\0" * 500_000), "r.xlsx")}
    )  # over MAX_CONTENT_LENGTH: Flask answers 413 before reading
    assert huge.status_code == 413
    assert huge.get_json()["error"]["status"] == 413


def test_unknown_region(client: FlaskClient) -> None:
    assert_error(post(client, good_roster(), region="999999"), 404, "unknown_region", "未知地区")


def test_month_before_the_scheme_is_a_row_error_not_a_file_error(client: FlaskClient) -> None:
    data = workbook_bytes([HEADERS, ["网点甲", "", "张三", make_id(1), "2021-01", "2021-02", None, ""]])
    status, body = post(client, data)
    assert status == 200 and body["accepted"] == 0
    assert "尚未配置" in body["errors"][0]["message"] and body["errors"][0]["column"] == "参保起始月"
