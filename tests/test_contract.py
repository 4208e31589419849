"""The OpenAPI document is as strict as the server on what schemathesis found (issue 12)."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient


def document(client: FlaskClient) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def test_months_like_9026_55_are_outside_the_document(client: FlaskClient) -> None:
    calculate = document(client)["components"]["schemas"]["CalculateRequest"]
    pattern = calculate["properties"]["start"]["pattern"]
    assert calculate["properties"]["end"]["pattern"] == pattern
    for month in ("9026-55", "2025-00", "2025-13", "0999-01", "2025-1"):
        assert not re.search(pattern, month), month
    for month in ("1900-01", "2025-12", "9999-12"):
        assert re.search(pattern, month), month


def test_base_and_base_ratio_together_are_outside_the_document(client: FlaskClient) -> None:
    calculate = document(client)["components"]["schemas"]["CalculateRequest"]
    assert calculate["not"]["required"] == ["base", "base_ratio"]
    body = {"region": "360100", "scheme": "flexible_pension", "start": "2025-01", "end": "2025-01"}
    response = client.post("/api/v1/calculate", json={**body, "base": "5000", "base_ratio": "1"})
    assert response.status_code == 400  # what the document calls invalid, the server refuses as invalid


def test_decimals_follow_each_fields_places_and_maximum(client: FlaskClient) -> None:
    properties = document(client)["components"]["schemas"]["CalculateRequest"]["properties"]
    base, ratio = properties["base"]["pattern"], properties["base_ratio"]["pattern"]
    assert re.search(base, "5000.25") and not re.search(base, "5000.255")
    assert re.search(ratio, "0.6") and re.search(ratio, "10") and not re.search(ratio, "11")


def test_refusals_by_the_figures_are_documented_422s(client: FlaskClient) -> None:
    paths = document(client)["paths"]
    for path, method in (("/api/v1/calculate", "post"), ("/api/v1/tiers", "get")):
        description = paths[path][method]["responses"]["422"]["description"]
        assert "not_configured" in description and "out_of_range" in description
    body = {"region": "360100", "scheme": "flexible_medical", "start": "2025-01", "end": "2025-01"}
    refused = client.post("/api/v1/calculate", json={**body, "base_ratio": "0.6"})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "not_configured"
    below = client.post("/api/v1/calculate", json={**body, "scheme": "flexible_pension", "base_ratio": "0.5"})
    assert below.status_code == 422 and below.get_json()["error"]["code"] == "out_of_range"


def test_the_admin_api_declares_the_session_cookie(client: FlaskClient) -> None:
    """Issue 21: a client (or a fuzzer) reads from the document that the admin API needs the login's cookie."""
    spec = document(client)
    scheme = spec["components"]["securitySchemes"]["session"]
    assert scheme == {**scheme, "type": "apiKey", "in": "cookie", "name": "session"}
    assert "/login" in scheme["description"]
    assert spec["paths"]["/api/v1/admin/publish"]["post"]["security"] == [{"session": []}]
    assert "security" not in spec["paths"]["/api/v1/calculate"]["post"]  # calculating stays public


def test_unstorable_text_in_the_admin_apis_open_objects_is_a_documented_422(app: Any) -> None:
    """The document leaves a version's fields open (any family's), so it cannot call a NUL in a key invalid:
    the server answers 422 naming the problem, not a 400 for something the document allows."""
    from tests.admin_support import add_user, login

    add_user(app, "admin1")
    client = app.test_client()
    login(client, "admin1")
    body = '{"versions": [{"re\\u0000gion": "360000"}], "dry_run": true}'
    answer = client.post("/api/v1/admin/publish", data=body, content_type="application/json")
    assert answer.status_code == 422 and "控制字符" in answer.get_json()["error"]["message"]
    twice = '{"versions": [{"region": "360000", "region": "360100"}], "dry_run": true}'
    answer = client.post("/api/v1/admin/publish", data=twice, content_type="application/json")
    assert answer.status_code == 400 and "重复出现" in answer.get_json()["error"]["message"]
