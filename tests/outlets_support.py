"""Helpers for the outlet batch tests: valid ID numbers and credit codes, rosters as .xlsx bytes."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
from flask.testing import FlaskClient
from stdnum.cn import ric, uscc
from werkzeug.test import TestResponse as FlaskResponse
from xlsxwriter.utility import xl_col_to_name

HEADERS = ["网点名称", "统一社会信用代码", "姓名", "公民身份号码", "参保起始月", "参保终止月", "浮动费率", "备注"]


def make_id(serial: int, prefix: str = "360102", birth: str = "19900101") -> str:
    """A valid 18-digit number: region prefix, birth date, three serial digits and the check digit."""
    body = f"{prefix}{birth}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_credit_code(division: str = "360100", serial: str = "MA35ABCD1") -> str:
    """A valid 统一社会信用代码 registered in ``division`` (characters 3-8)."""
    body = f"91{division}{serial}"
    return body + uscc.calc_check_digit(body)


def workbook_bytes(rows: Iterable[Iterable[Any]], text_cells: Iterable[str] = ()) -> bytes:
    """An .xlsx of the rows; ``text_cells`` (like "C7") keep a leading = as text, not a formula."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    for ref in text_cells:
        sheet[ref].data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def finished(client: FlaskClient, job: dict, seconds: float = 120) -> dict:
    """The job once it is done or failed, polled through the API (issue 12: the batch is a background job)."""
    deadline = time.monotonic() + seconds
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job still {job['status']} after {seconds} s: {job}"
        time.sleep(0.05)
        answer = client.get(job["url"])
        assert answer.status_code == 200, answer.get_data(as_text=True)
        job = answer.get_json()
    return job


def submit(client: FlaskClient, data: bytes, **form: str) -> tuple[int, dict]:
    """POST the roster: 202 and the job, or the error of the checks made in the request."""
    answer = client.post("/api/v1/outlets/batch", data={"file": (io.BytesIO(data), "r.xlsx"), **form})
    return answer.status_code, answer.get_json()


def post(client: FlaskClient, data: bytes, **form: str) -> tuple[int, dict]:
    """The batch's outcome as the JSON summary (200), or its error with the status it carries.

    A file refused by the checks in the request is answered at once; one refused while its job runs ends
    the job with the same error body, so the status here is the error's either way.
    """
    status, body = submit(client, data, **form)
    if status != 202:
        return status, body
    assert body["url"].startswith("/api/v1/outlets/jobs/"), body
    job = finished(client, body)
    if job["status"] == "failed":
        return job["error"]["status"], {"error": job["error"]}
    return 200, job["summary"]


def page_when_done(client: FlaskClient, data: bytes, **form: str) -> FlaskResponse:
    """Upload through the page: it sends the browser to the job's page; that page once the job is finished."""
    answer = client.post("/outlets", data={"file": (io.BytesIO(data), "r.xlsx"), **form})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    page = answer.headers["Location"]
    job_id = page.rstrip("/").rsplit("/", 1)[-1]
    finished(client, client.get(f"/api/v1/outlets/jobs/{job_id}").get_json())
    return client.get(page)


def result_workbook(client: FlaskClient, data: bytes, **form: str) -> bytes:
    """The result workbook of a roster's job."""
    status, body = submit(client, data, **form)
    assert status == 202, body
    job = finished(client, body)
    assert job["status"] == "done", job
    answer = client.get(job["result_url"])
    assert answer.status_code == 200 and answer.mimetype.endswith("sheet"), answer.get_data(as_text=True)[:300]
    return answer.data


def assert_error(answer: tuple[int, dict], status: int, code: str, words: str) -> None:
    got_status, body = answer
    assert got_status == status, body
    error = body["error"]
    assert (error["status"], error["code"], error["field"]) == (
        status,
        code,
        "file" if code != "unknown_region" else "region",
    )
    assert words in error["message"]


# ---------------------------------------------------------------- workbooks written as XML
# For what openpyxl will not write (a million styled rows, formulas without results, error values, hidden
# sheets, control characters) and for big files made cheaply: the sheet XML goes straight into a zip.

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# style 1: a month format (yyyy-mm), so a number in it is a date cell; style 2: a fill, for styled empty cells
STYLES = (
    f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm"/></numFmts>'
    '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0"/>'
    '<xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="0" applyFill="1"/></cellXfs></styleSheet>'
)


def excel_escape(text: str) -> str:
    """Text for the XML the way Excel writes it: a control character XML cannot hold as _xHHHH_, CR as &#13;."""
    text = escape(text).replace("\r", "&#13;")
    return "".join(f"_x{ord(c):04X}_" if ord(c) < 32 and c not in "\t\n\r" else c for c in text)


def cell_xml(ref: str, value: Any) -> str:
    """A cell: text as an inline string, a number as a number; a value starting with "<c" is used as it is."""
    if isinstance(value, str) and value.startswith("<c"):
        return value
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{excel_escape(value)}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def row_xml(number: int, values: Iterable[Any]) -> str:
    cells = "".join(cell_xml(f"{xl_col_to_name(i)}{number}", value) for i, value in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(rows: Iterable[Iterable[Any]], more_rows: bytes = b"", merged: Iterable[str] = ()) -> bytes:
    """A worksheet's XML: ``rows`` from row 1, then ``more_rows`` (ready-made ``<row>`` elements)."""
    parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN}"><sheetData>']
    parts += [row_xml(number, row) for number, row in enumerate(rows, start=1)]
    merges = list(merged)
    tail = "</sheetData>"
    if merges:
        tail += f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
        tail += "</mergeCells>"
    return "".join(parts).encode() + more_rows + (tail + "</worksheet>").encode()


def xml_workbook(sheets: dict[str, bytes] | list[tuple[str, bytes]], states: dict[str, str] | None = None) -> bytes:
    """An .xlsx of sheets given as XML, in order; ``states`` hides some ({"名": "hidden" or "veryHidden"}).

    A list of (name, XML) pairs may repeat a name, as some generators do (Excel never would).
    """
    states = states or {}
    pairs = list(sheets.items()) if isinstance(sheets, dict) else list(sheets)
    types = [
        f'<Types xmlns="{RELS.replace("relationships", "content-types")}">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    ]
    book = [f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>']
    links = [f'<Relationships xmlns="{RELS}">']
    members = {}
    for number, (name, xml) in enumerate(pairs, start=1):
        types.append(
            f'<Override PartName="/xl/worksheets/sheet{number}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        )
        state = f' state="{states[name]}"' if name in states else ""
        book.append(f'<sheet name="{escape(name)}" sheetId="{number}"{state} r:id="rId{number}"/>')
        links.append(
            f'<Relationship Id="rId{number}" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet{number}.xml"/>'
        )
        members[f"xl/worksheets/sheet{number}.xml"] = xml
    links.append(f'<Relationship Id="rId{len(pairs) + 1}" Type="{DOC_RELS}/styles" Target="styles.xml"/>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "".join(types) + "</Types>")
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr("xl/workbook.xml", "".join(book) + "</sheets></workbook>")
        archive.writestr("xl/_rels/workbook.xml.rels", "".join(links) + "</Relationships>")
        archive.writestr("xl/styles.xml", STYLES)
        for name, xml in members.items():
            archive.writestr(name, xml)
    return buffer.getvalue()
