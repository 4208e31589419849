"""Hostile input from issue 12: duplicate JSON keys, lone surrogates, NUL bytes, odd characters in logs."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.core.logs import mask_ids
from tests.admin_support import add_user, login

BODY = '{"region": "360100", "scheme": "outlet_injury", "start": "2025-01", "end": "2025-01"'
PERSON = "36010219900101001X"


def post_json(client: FlaskClient, path: str, text: str) -> object:
    return client.post(path, data=text.encode("utf-8"), content_type="application/json")


# ---------------------------------------------------------------- duplicate keys


@pytest.mark.parametrize(
    "text",
    [
        BODY + ', "headcount": 1, "headcount": 500}',
        BODY + ', "region": "530100"}',
        BODY + ', "factor": {"a": "1", "a": "2"}}',
    ],
)
def test_a_json_body_with_a_key_twice_is_refused(client: FlaskClient, text: str) -> None:
    response = post_json(client, "/api/v1/calculate", text)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert "重复" in error["message"] and "只能出现一次" in error["message"]


def test_the_admin_api_refuses_a_key_twice_too(app: Flask) -> None:
    add_user(app, "admin1")
    client = app.test_client()
    login(client, "admin1")
    response = post_json(client, "/api/v1/admin/publish", '{"versions": [{}], "dry_run": true, "dry_run": false}')
    assert response.status_code == 400
    assert "dry_run" in response.get_json()["error"]["message"]


# ---------------------------------------------------------------- lone surrogates


@pytest.mark.parametrize(
    "text",
    [
        '{"region": "\\ud800", "scheme": "outlet_injury", "start": "2025-01", "end": "2025-01"}',
        '{"region": "360100", "scheme": "\\udfff", "start": "2025-01", "end": "2025-01"}',
        '{"region": "360100", "scheme": "outlet_injury", "start": "2025-0\\ud83d", "end": "2025-01"}',
        BODY + ', "\\ud800": 1}',
        BODY + ', "base_ratio": ["\\udc00' + PERSON + '"]}',
    ],
)
def test_a_lone_surrogate_anywhere_is_refused_and_nothing_leaks(
    client: FlaskClient, text: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = post_json(client, "/api/v1/calculate", text)
    assert response.status_code == 400
    body = response.get_data()
    body.decode("utf-8")  # encodable: the answer went out
    assert "代理项" in response.get_json()["error"]["message"]
    assert PERSON.encode() not in body
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "Traceback" not in logged and PERSON not in logged
    assert PERSON not in capsys.readouterr().err


def test_the_admin_api_refuses_a_lone_surrogate_in_a_reference_title(app: Flask) -> None:
    add_user(app, "admin1")
    client = app.test_client()
    login(client, "admin1")
    text = (
        '{"dry_run": true, "versions": [{"region": "360000", "family": "avg_wage", "effective_from": "2026-01",'
        ' "contribution_year": 2026, "avg_wage_monthly": "6800", "trust": "medium",'
        ' "reference": {"title": "\\ud800", "doc_no": "x"}}]}'
    )
    response = post_json(client, "/api/v1/admin/publish", text)
    assert response.status_code == 400
    assert "代理项" in response.get_json()["error"]["message"]


def test_an_error_message_that_echoes_a_surrogate_still_goes_out(app: Flask) -> None:
    """Defence in depth: whatever text reaches the one error shape, the answer is encodable."""
    from service.core.errors import json_error

    with app.test_request_context("/api/v1/calculate"):
        response = json_error(400, "invalid", "地区“\ud800”", "region")
        response.get_data().decode("utf-8")


# ---------------------------------------------------------------- NUL bytes


@pytest.fixture
def any_app(db_url: str) -> Flask:
    app = create_app({"TESTING": True, "DATABASE_URL": db_url})
    app.config["LOGIN_FAILURE_DELAY"] = 0
    return app


def test_a_nul_byte_in_the_login_name_is_a_clear_refusal(any_app: Flask) -> None:
    add_user(any_app, "alice")
    client = any_app.test_client()
    response = login(client, "ali\x00ce")
    assert response.status_code == 400
    assert "不能包含控制字符" in response.get_data(as_text=True)
    assert login(client, "alice").status_code == 302  # the real name still works


def test_a_nul_byte_in_the_clerk_name_is_a_clear_refusal(any_app: Flask) -> None:
    form = {"region": "360100", "scheme": "outlet_injury", "start": "2025-01", "end": "2025-01", "headcount": "1"}
    response = any_app.test_client().post("/window", data={**form, "clerk": "张\x00三"})
    assert response.status_code == 400
    assert "不能包含控制字符" in response.get_data(as_text=True)


def test_a_nul_byte_in_the_audit_filter_is_a_clear_refusal(any_app: Flask) -> None:
    add_user(any_app, "alice")
    client = any_app.test_client()
    login(client, "alice")
    response = client.get("/admin/audit?actor=a%00b")
    assert response.status_code == 400
    assert "不能包含控制字符" in response.get_data(as_text=True)
    assert client.get("/admin/audit.xlsx?actor=%00").status_code == 400


def test_a_nul_byte_in_a_json_string_is_refused(client: FlaskClient) -> None:
    response = post_json(client, "/api/v1/calculate", BODY.replace("360100", "3601\\u000000") + "}")
    assert response.status_code == 400
    assert "控制字符" in response.get_json()["error"]["message"]


# ---------------------------------------------------------------- logs


@pytest.mark.parametrize(
    "line",
    [
        '"GET /parameters/ID360102199001010018 HTTP/1.1" 404',
        '"GET /parameters/360102-19900101-0018 HTTP/1.1" 404',
        '"GET /parameters/360102%2019900101%200018 HTTP/1.1" 404',
        '"GET /parameters/360102 19900101 0018 HTTP/1.1" 404',
        '"GET /x?id=id36010219900101001x HTTP/1.1" 404',
    ],
)
def test_id_numbers_in_access_log_paths_are_masked(line: str, caplog: pytest.LogCaptureFixture, app: Flask) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info(line)
    text = caplog.records[-1].getMessage()
    digits = "".join(c for c in text if c.isdigit())
    assert "19900101" not in digits, text
    assert "****" in text


def test_mask_ids_leaves_ordinary_numbers_alone() -> None:
    assert mask_ids("v12 2025-01 6525.00 20261125-000001") == "v12 2025-01 6525.00 20261125-000001"


def test_an_id_in_a_traceback_is_masked(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    @app.route("/boom/<path:rest>")
    def boom(rest: str) -> str:
        raise KeyError(f"row for ID{rest}")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.INFO):
        app.test_client().get("/boom/360102-19900101-0018")
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "Traceback" in text and "19900101" not in text


def test_logging_never_fails_on_odd_characters(app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("odd-characters")
    logger.addHandler(handler)
    try:
        logger.error("区域 %s 和 %r", "\ud800\x00\u202e", b"\xff")
        try:
            raise ValueError("bad \udfff")
        except ValueError:
            logger.exception("失败 \ud83d")
    finally:
        logger.removeHandler(handler)
    assert "Logging error" not in capsys.readouterr().err
    written = raw.getvalue().decode("utf-8")
    assert "\\ud800" in written and "Traceback" in written


def test_logs_install_is_idempotent_per_process(tmp_path: Path) -> None:
    create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}"})
    factory = logging.getLogRecordFactory()
    create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'b.sqlite3'}"})
    assert logging.getLogRecordFactory() is factory


def test_a_form_part_without_a_name_is_no_server_error(client: FlaskClient) -> None:
    body = b"--xyz\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--xyz--\r\n"
    response = client.post("/api/v1/outlets/batch", data=body, content_type="multipart/form-data; boundary=xyz")
    assert response.status_code < 500


def test_a_traceback_printed_outside_logging_is_masked_too(app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    import sys
    import threading

    from service.core import logs

    logs.install()  # again: pytest puts hooks of its own around each test
    try:
        raise ValueError(f"row {PERSON} \ud800")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    try:
        raise ValueError(f"thread row {PERSON}")
    except ValueError as error:
        threading.excepthook(threading.ExceptHookArgs((ValueError, error, error.__traceback__, None)))  # type: ignore[call-arg]
    err = capsys.readouterr().err
    assert "Traceback" in err and "thread row" in err
    assert PERSON not in err and mask_ids(PERSON) in err
