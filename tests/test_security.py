"""Security headers and error pages that give nothing away."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient


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
