"""Helpers for the administration tests: accounts, logging in, and the publish form's round trip."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from service.core.auth import create_user

PASSWORD = "correct horse battery"  # a test account's password
# Test data, not a parameter of the service (tests/test_publish.py uses the same figure).
WAGE_2026_FORM = {
    "region": "360000",
    "family": "avg_wage",
    "effective_from": "2026-01",
    "contribution_year": "2026",
    "avg_wage_monthly": "6800",
    "title": "2025年度全省全口径城镇单位就业人员平均工资",
    "doc_no": "赣人社字〔2026〕1号",
    "trust": "medium",  # issue 25: 官方原文 needs the notice's sentence held, raised through a review
}


def add_user(app: Flask, name: str, role: str = "admin") -> None:
    with app.app_context():
        create_user(name, PASSWORD, role)


def login(client: FlaskClient, name: str, password: str = PASSWORD, **extra: str) -> Any:
    return client.post("/login", data={"username": name, "password": password, **extra})


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return unescape(match.group(1))


def open_form(client: FlaskClient, region: str = "360000", family: str = "avg_wage") -> str:
    response = client.get(f"/admin/publish?region={region}&family={family}")
    assert response.status_code == 200, response.status_code
    return hidden(response.get_data(as_text=True), "revision")


def preview(client: FlaskClient, revision: str, form: dict[str, str] | None = None) -> Any:
    return client.post("/admin/publish", data={**(form or WAGE_2026_FORM), "revision": revision})


def confirm_data(html: str) -> dict[str, str]:
    return {name: hidden(html, name) for name in ("payload", "based_on", "origin", "source")}
