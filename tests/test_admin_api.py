"""POST /api/v1/admin/publish: the pages' rules in JSON (dry run, based_on; errors in the API's one shape)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from tests.admin_support import add_user, login

URL = "/api/v1/admin/publish"
WAGE_2026: dict[str, Any] = {  # test data, as in tests/test_publish.py
    "region": "360000",
    "family": "avg_wage",
    "effective_from": "2026-01",
    "contribution_year": 2026,
    "avg_wage_monthly": "6800",
    "reference": {"title": "2025年度全省全口径城镇单位就业人员平均工资", "doc_no": "赣人社字〔2026〕1号"},
    "trust": "medium",  # issue 25: 官方原文 needs held text, raised through a review
}
CALC = {"region": "360100", "scheme": "flexible_pension", "start": "2026-03", "end": "2026-03", "base_ratio": "0.6"}


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'api.sqlite3'}"})
    add_user(app, "alice")
    add_user(app, "clara", "clerk")
    return app


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    body = response.get_json()["error"]
    assert body["status"] == status and body["message"]
    return body


def test_route_is_documented_and_needs_an_admin(app: Flask, client: FlaskClient) -> None:
    operation = client.get("/api/v1/openapi.json").get_json()["paths"][URL]["post"]
    assert {"200", "201", "401", "403", "409", "422"} <= set(operation["responses"])
    assert error(client.post(URL, json={"versions": [WAGE_2026]}), 401)["message"] == "请先登录。"
    login(client, "clara")
    assert error(client.post(URL, json={"versions": [WAGE_2026]}), 403)["code"] == "forbidden"


def test_dry_run_then_publish_with_based_on(app: Flask, client: FlaskClient) -> None:
    login(client, "alice")
    dry = client.post(URL, json={"versions": [WAGE_2026], "dry_run": True})
    assert dry.status_code == 200
    answer = dry.get_json()
    (planned,) = answer["planned"]
    assert {"field": "avg_wage_monthly", "label": "月平均工资", "old": "6525", "new": "6800"} in planned["changes"]
    sample = {"region": "360100", "month": "2026-01", "label": "灵活就业养老保险 60%档 月缴费", "old": "783.00"}
    assert any(e.items() >= sample.items() and e["new"] == "816.00" for e in answer["effects"])
    assert client.post("/api/v1/calculate", json=CALC).get_json()["total"] == "783.00"  # nothing saved

    assert error(client.post(URL, json={"versions": [WAGE_2026]}), 422)["field"] == "based_on"
    done = client.post(URL, json={"versions": [WAGE_2026], "based_on": answer["based_on"]})
    assert done.status_code == 201 and len(done.get_json()["inserted"]) == 1
    assert client.post("/api/v1/calculate", json=CALC).get_json()["total"] == "816.00"

    other = {**WAGE_2026, "avg_wage_monthly": "6900"}
    stale = error(client.post(URL, json={"versions": [other], "based_on": answer["based_on"]}), 409)
    assert stale["code"] == "stale" and stale["message"] == "该版本已被他人更新，请刷新后重试。"


def test_bad_versions_are_refused_whole_with_chinese_messages(client: FlaskClient) -> None:
    login(client, "alice")
    bad = {**WAGE_2026, "avg_wage_monthly": "六千八"}
    outlet = {"region": "360100", "family": "outlet_injury", "effective_from": "2026-01", "ratio": "0.01"}
    body = {"versions": [{**outlet, "reference": {"title": "测试", "doc_no": "测试〔2026〕1号"}, "trust": "low"}, bad]}
    found = error(client.post(URL, json={**body, "based_on": []}), 422)
    assert "第2项 月平均工资：不是有效的数字" in found["message"]
    no_doc_no = {**WAGE_2026, "reference": {"title": "测试"}}
    refused = error(client.post(URL, json={"versions": [no_doc_no], "dry_run": True}), 422)
    assert "须填写依据文件的文号" in refused["message"]
    assert error(client.post(URL, json={"versions": []}), 400)["field"] == "versions"


def test_schema_limits_are_explained_in_chinese(client: FlaskClient) -> None:
    login(client, "alice")
    empty = error(client.post(URL, json={"versions": []}), 400)
    assert empty["message"] == "参数版本（versions）：长度须在1至500之间。"
    based_on = [{"region": "3" * 13, "family": "avg_wage", "revision": -1}]
    messages = error(client.post(URL, json={"versions": [WAGE_2026], "based_on": based_on}), 400)["fields"]
    assert sorted(messages.values()) == [["不能超过12个字符。"], ["须不小于0。"]]
    assert error(client.post(URL, data="versions", content_type="text/plain"), 415)
    assert client.post("/api/v1/calculate", json=CALC).get_json()["total"] == "783.00"
