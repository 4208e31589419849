"""Security headers and error pages that give nothing away."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from service import ROOT, create_app
from service.core.logs import mask_ids
from tests.outlets_support import HEADERS, make_id, sheet_xml, xml_workbook


def test_every_answer_carries_security_headers(client: FlaskClient) -> None:
    for path in ("/api/v1/regions", "/api/v1/nothing", "/api/v1/openapi.json"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]


def test_docs_page_has_no_inline_script(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "<script>" not in page and "/static/js/swagger-init.js" in page
    assert client.get("/static/js/swagger-init.js").status_code == 200


def test_unexpected_error_answers_500_without_a_traceback(app: Flask) -> None:
    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom", headers={"Accept": "application/json"})
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret detail" not in text and "Traceback" not in text
    assert response.get_json()["error"]["message"].startswith("服务器内部错误")


def test_id_numbers_are_masked_in_every_log_record(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    @app.route("/fail-with-id")
    def fail() -> str:
        raise ValueError("bad roster row 36010219900307123X")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.INFO):
        app.logger.info("checked %s", "36010219900307123X")
        logging.getLogger("werkzeug").info('"GET /?id=110101800101001 HTTP/1.1" 200')
        app.test_client().get("/fail-with-id")
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "36010219900307123X" not in text and "110101800101001" not in text
    assert "360102********123X" in text and "110101*****1001" in text


# ---------------------------------------------------------------- production: no debug page


@pytest.fixture
def production_app(tmp_path: Path) -> Flask:
    """The app as wsgi.py builds it: no TESTING, no DEBUG."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}"})

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail 36010219900307123X")

    return app


def test_production_app_answers_an_exception_in_chinese_without_a_traceback(production_app: Flask) -> None:
    assert not production_app.debug and not production_app.testing
    assert production_app.config["PROPAGATE_EXCEPTIONS"] is None  # Flask then propagates only in debug/testing
    client = production_app.test_client()
    page = client.get("/boom", headers={"Accept": "text/html"})
    json = client.get("/boom", headers={"Accept": "application/json"})
    for response in (page, json):
        text = response.get_data(as_text=True)
        assert response.status_code == 500
        for leak in ("secret detail", "Traceback", "RuntimeError", "Werkzeug Debugger", "__debugger__"):
            assert leak not in text
    assert page.mimetype == "text/html" and "服务器内部错误" in page.get_data(as_text=True)
    assert json.get_json()["error"] == {
        "status": 500,
        "code": "internal_server_error",
        "message": "服务器内部错误，已记录，请稍后再试或联系管理员。",
        "field": None,
        "fields": {},
    }


def test_wsgi_does_not_turn_debug_on(tmp_path: Path) -> None:
    source = (ROOT / "wsgi.py").read_text(encoding="utf-8")
    assert "debug" not in source.lower()
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_DEBUG", "FLASK_ENV")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'wsgi.sqlite3'}"
    probe = "import wsgi; print(wsgi.app.debug, wsgi.app.testing, wsgi.app.config['PROPAGATE_EXCEPTIONS'])"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "None"]


# ---------------------------------------------------------------- upload size: refused before the body is read


class CountingStream(io.BytesIO):
    """A request body that says how much of it was read."""

    def __init__(self, size: int):
        super().__init__(b"x" * size)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.taken += len(line)
        return line


@pytest.mark.parametrize(
    ("path", "accept"), [("/api/v1/outlets/batch?format=json", "application/json"), ("/outlets", "text/html")]
)
def test_an_upload_over_max_content_length_is_refused_unread(small_app: Flask, path: str, accept: str) -> None:
    limit = small_app.config["MAX_CONTENT_LENGTH"]
    body = CountingStream(limit + 1)
    response = small_app.test_client().post(
        path,
        input_stream=body,
        content_length=limit + 1,
        content_type="multipart/form-data; boundary=xyz",
        headers={"Accept": accept},
    )
    assert response.status_code == 413
    assert body.taken == 0  # refused on the Content-Length, before a byte of the body was read
    if accept == "application/json":
        error = response.get_json()["error"]
        assert (error["status"], error["code"]) == (413, "request_entity_too_large")
        assert error["message"] == "上传内容过大，请拆分后再试。"
    else:
        assert response.mimetype == "text/html" and "上传内容过大，请拆分后再试。" in response.get_data(as_text=True)


# ---------------------------------------------------------------- ID numbers: the CLI and the batch


def test_cli_output_masks_id_numbers(runner: FlaskCliRunner, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The CLI's summary and errors go to terminals and job logs: an ID typed anywhere is masked there too."""
    person = make_id(7)
    rows = [
        HEADERS,
        [f"网点{person}", "", "张三", person, "2025-01", "2025-03", None, ""],  # an ID in the outlet's name
        ["网点甲", "", "李四", make_id(8), person, "2025-03", None, ""],  # an ID typed as the start month
        ["网点甲", "", "王五", person[:17] + ("0" if person[17] != "0" else "1"), "2025-01", "2025-03", None, ""],
    ]
    source, target = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    source.write_bytes(xml_workbook({"花名册": sheet_xml(rows)}))
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG):
        warnings.simplefilter("always")
        result = runner.invoke(args=["outlets", "batch", str(source), "-o", str(target), "--region", "360100"])
    assert result.exit_code == 0, result.output
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "不是可识别的年月" in output and "计费 1 行" in output
    assert person not in output and mask_ids(person) in output
    logged = "\n".join(r.getMessage() for r in caplog.records) + "\n".join(str(w.message) for w in caught)
    assert person not in logged
    # the result workbook is the user's own data: the IDs stay whole there, to be checked against the card
    book = openpyxl.load_workbook(target)
    assert any(person in str(c) for row in book["明细"].iter_rows(values_only=True) for c in row)


def test_cli_file_error_masks_id_numbers(runner: FlaskCliRunner, tmp_path: Path) -> None:
    person = make_id(9)
    source = tmp_path / f"{person}.xlsx"
    source.write_bytes(b"not a workbook " + person.encode())
    result = runner.invoke(args=["outlets", "batch", str(source), "-o", str(tmp_path / "out.xlsx")])
    assert result.exit_code != 0 and "不是 Excel .xlsx 文件" in result.output
    assert person not in result.output
