"""Golden cases (tests/cases/golden.yaml), each computed by hand, run through the JSON API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

CASES = Path(__file__).parent / "cases"


def load_cases(name: str) -> list[Any]:
    cases = yaml.safe_load((CASES / name).read_text(encoding="utf-8"))
    return [pytest.param(case, id=case["name"]) for case in cases]


@pytest.fixture
def case_app(request: pytest.FixtureRequest) -> Flask:
    fixture = request.node.callspec.params["case"].get("fixture")
    names = {"medical": "medical_app", "sichuan": "sichuan_app"}
    return request.getfixturevalue(names.get(fixture, "app"))


@pytest.mark.parametrize("case", load_cases("golden.yaml") + load_cases("medical.yaml"))
def test_golden_case(case: dict[str, Any], case_app: Flask) -> None:
    response = case_app.test_client().post("/api/v1/calculate", json=case["request"])
    body = response.get_json()
    if "error" in case:
        assert response.status_code == case["error"]["status"], body
        assert body["error"]["code"] == case["error"]["code"]
        assert body["error"]["field"] == case["error"]["field"]
        return
    assert response.status_code == 200, body
    assert [m["month"] for m in body["months"]] == [m["month"] for m in case["months"]]
    for got, want in zip(body["months"], case["months"], strict=True):
        for key, value in want.items():
            if key == "breakdown":
                for part, amount in value.items():
                    assert got["breakdown"][part] == amount, (got["month"], part)
            else:
                assert got[key] == value, (got["month"], key)
    assert body["total"] == case["total"]
    for part, amount in case.get("breakdown", {}).items():
        assert body["breakdown"][part] == amount, part
    assert body["provisional"] is case.get("provisional", any(m["provisional"] for m in case["months"]))
    # every figure traceable: each version cited by a month is among the references, with its trust level
    cited = {v for month in body["months"] for v in month["version"].values()}
    referenced = {ref["id"]: ref for ref in body["references"]}
    assert cited <= set(referenced)
    assert all(ref["trust"] in ("official", "medium", "low") and ref["references"] for ref in referenced.values())


@pytest.mark.parametrize("case", load_cases("errors.yaml"))
def test_bad_request(case: dict[str, Any], client: Any) -> None:
    response = client.post("/api/v1/calculate", json=case["body"])
    body = response.get_json()
    want = case["error"]
    assert response.status_code == want["status"], body
    assert set(body) == {"error"}
    assert body["error"]["status"] == want["status"]
    assert body["error"]["code"] == want["code"], body
    assert body["error"]["field"] == want["field"], body
    assert want["message"] in body["error"]["message"], body
