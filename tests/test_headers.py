"""Cache-Control: no-store on administration pages and every export; HSTS in production."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from tests.admin_support import add_user, login
from tests.outlets_support import HEADERS, finished, make_id, sheet_xml, xml_workbook

GOOD_SECRET = "0123456789abcdef" * 4


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    add_user(app, "admin1")
    client = app.test_client()
    login(client, "admin1")
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin",
        "/admin/publish",
        "/admin/publish?region=360000&family=avg_wage",
        "/admin/upload",
        "/admin/audit",
        "/admin/audit.xlsx",
        "/admin/export",
        "/admin/export.xlsx",
        "/admin/export.zip",
        "/admin/template.xlsx",
        "/login",
    ],
)
def test_admin_pages_and_exports_are_never_stored(admin: FlaskClient, path: str) -> None:
    response = admin.get(path)
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == "no-store"


def test_a_page_after_logout_is_not_stored_either(app: Flask) -> None:
    add_user(app, "admin1")
    client = app.test_client()
    assert client.get("/admin").headers["Cache-Control"] == "no-store"  # the redirect to the login page


def test_public_downloads_are_never_stored(client: FlaskClient) -> None:
    template = client.get("/api/v1/outlets/template")
    assert template.status_code == 200 and template.headers["Cache-Control"] == "no-store"
    rows = [HEADERS, ["网点甲", "", "张三", make_id(1), "2025-01", "2025-03", None, ""]]
    data = {"file": (io.BytesIO(xml_workbook({"花名册": sheet_xml(rows)})), "r.xlsx"), "region": "360100"}
    submitted = client.post("/api/v1/outlets/batch", data=data, content_type="multipart/form-data")
    assert submitted.status_code == 202  # a background job since issue 12; its result is the download
    job = finished(client, submitted.get_json())
    result = client.get(job["result_url"])
    assert result.status_code == 200 and result.headers["Cache-Control"] == "no-store"


def test_a_printed_quote_and_its_workbook_are_never_stored(client: FlaskClient) -> None:
    form = {"region": "360100", "scheme": "outlet_injury", "start": "2025-01", "end": "2025-01", "headcount": "1"}
    issued = client.post("/window", data={**form, "clerk": "张三"})
    assert issued.status_code == 303
    page = client.get(issued.headers["Location"])
    workbook = client.get(issued.headers["Location"] + ".xlsx")
    for response in (page, workbook):
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_calculations_stay_cacheable(client: FlaskClient) -> None:
    assert "Cache-Control" not in client.get("/api/v1/regions").headers


def test_hsts_in_production_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers
    monkeypatch.setenv("SHEBAO_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    production = create_app().test_client()
    for path in ("/", "/api/v1/regions", "/no-such-page"):
        header = production.get(path).headers["Strict-Transport-Security"]
        assert header.startswith("max-age=31536000") and "includeSubDomains" in header
