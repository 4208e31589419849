"""The read endpoints, the tier table and the OpenAPI document."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from rates.loader import BUNDLED, load_regions
from service import create_app
from service.api.contract import ERROR_DESCRIPTIONS


def test_regions(client: FlaskClient) -> None:
    body = client.get("/api/v1/regions").get_json()
    codes = [r["code"] for r in body]
    assert codes == sorted(codes) and {"360000", "360100", "530000", "530100"} <= set(codes)
    assert len([r for r in body if r["parent"] == "000000"]) == 31  # every province (issue 10)
    assert {"code": "360100", "name": "南昌市", "parent": "360000"} in body
    assert {"code": "510100", "name": "成都市", "parent": "510000"} in body  # a medical city (issue 15)
    # every region of the bundled files but the national level, in code order
    assert codes == sorted(code for code in load_regions(BUNDLED) if code != "000000")
    assert {"360000", "360100", "530000", "530100"} <= set(codes)
    assert next(r for r in body if r["code"] == "360100") == {"code": "360100", "name": "南昌市", "parent": "360000"}


def test_parameters_in_force_with_sources(client: FlaskClient) -> None:
    body = client.get("/api/v1/parameters?region=360100&month=2025-06").get_json()
    families = {f["family"]: f for f in body["families"]}
    avg = families["avg_wage"]
    assert avg["values"]["avg_wage_monthly"] == "6525"
    assert avg["doc_no"] == "赣人社字〔2025〕150号"
    assert avg["trust"] == "medium" and avg["trust_label"] == "较可靠"
    assert avg["level"] == "360000" and avg["provisional"] is False
    assert families["flexible_pension"]["values"]["rate"] == "0.2"
    assert families["outlet_injury"]["references"][0]["doc_no"] == "洪人社发〔2022〕88号"
    assert [m["family"] for m in body["not_configured"]] == ["flexible_medical"]


def test_parameters_flag_provisional_year(client: FlaskClient) -> None:
    body = client.get("/api/v1/parameters?region=360100&month=2026-02").get_json()
    avg = next(f for f in body["families"] if f["family"] == "avg_wage")
    assert avg["provisional"] is True and avg["contribution_year"] == 2025


def test_parameters_default_to_this_month(client: FlaskClient) -> None:
    body = client.get("/api/v1/parameters?region=530100").get_json()
    assert len(body["month"]) == 7


def test_parameters_errors(client: FlaskClient) -> None:
    assert client.get("/api/v1/parameters?region=990000").status_code == 404
    bad = client.get("/api/v1/parameters?region=360100&month=2025-1")
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "month"
    missing = client.get("/api/v1/parameters")
    assert missing.status_code == 400 and missing.get_json()["error"]["field"] == "region"


def test_history_lists_every_version_of_region_and_ancestors(client: FlaskClient) -> None:
    body = client.get("/api/v1/parameters/530100/history").get_json()
    families = {(v["region"], v["family"]) for v in body["versions"]}
    assert ("530000", "avg_wage") in families and ("000000", "flexible_pension") in families
    assert ("360000", "avg_wage") not in families
    # every version is in force but the earlier record of 云南2026, corrected by the official notice
    inactive = [v for v in body["versions"] if not v["active"]]
    assert [(v["region"], v["effective_from"], v["trust"]) for v in inactive] == [("530000", "2026-01", "medium")]
    (official,) = [v for v in body["versions"] if v["supersedes"] == inactive[0]["id"]]
    assert official["trust"] == "official" and official["doc_no"] == "云人社发〔2026〕8号"
    assert client.get("/api/v1/parameters/999999/history").status_code == 404


def test_tiers_from_60_to_300_percent(client: FlaskClient) -> None:
    body = client.get("/api/v1/tiers?region=360100&month=2025-03").get_json()
    tiers = body["tiers"]
    assert [t["percent"] for t in tiers][:3] == ["60%", "70%", "80%"]
    assert tiers[-1]["percent"] == "300%" and len(tiers) == 25
    assert tiers[0] == {
        "ratio": "0.6",
        "percent": "60%",
        "base": "3915.00",
        "monthly": "783.00",
        "yearly": "9396.00",
        "provisional": False,
        "unavailable": None,
        "note": None,  # only a medical row covering fewer than twelve months has one
        "yearly_unavailable": None,  # only a tier whose month prices but whose year does not has one
    }
    assert tiers[-1]["base"] == "19575.00" and tiers[-1]["yearly"] == "46980.00"
    assert {r["family"] for r in body["references"]} == {"avg_wage", "flexible_pension", "base_rounding"}


def test_tiers_of_a_year_without_figures_are_provisional(client: FlaskClient) -> None:
    tiers = client.get("/api/v1/tiers?region=360100&month=2026-05").get_json()["tiers"]
    assert all(t["provisional"] for t in tiers)


def test_calculate_answer_shape(client: FlaskClient) -> None:
    body = client.post(
        "/api/v1/calculate",
        json={
            "region": "360100",
            "scheme": "flexible_pension",
            "start": "2025-01",
            "end": "2025-12",
            "base_ratio": 0.6,
        },
    ).get_json()
    assert set(body) >= {"region", "scheme", "months", "total", "breakdown", "references"}
    assert body["total"] == "9396.00"
    assert Decimal(body["total"]) == sum(Decimal(m["amount"]) for m in body["months"])
    assert all(set(m) >= {"month", "base", "rate", "amount", "provisional", "version"} for m in body["months"])


def test_json_number_ratio_stays_exact(client: FlaskClient) -> None:
    # 0.7 as a JSON number must not become 0.69999999999999995559
    body = client.post(
        "/api/v1/calculate",
        data='{"region":"530100","scheme":"flexible_pension","start":"2025-01","end":"2025-01","base_ratio":0.7}',
        content_type="application/json",
    ).get_json()
    assert body["months"][0]["base"] == "5084.00" and body["base_ratio"] == "0.7"


def test_openapi_document(client: FlaskClient) -> None:
    spec: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/calculate", "/api/v1/regions", "/api/v1/parameters", "/api/v1/tiers"):
        assert path in spec["paths"]
    assert "/api/v1/parameters/{region}/history" in spec["paths"]
    assert "400" in spec["paths"]["/api/v1/calculate"]["post"]["responses"]


def test_every_error_status_is_documented_with_the_error_shape(client: FlaskClient) -> None:
    """``document_errors`` gives a view the document of each status it may answer without wrapping it once more."""
    spec: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()
    for path, method, statuses in (
        ("/api/v1/calculate", "post", ("400", "404", "415", "422")),
        ("/api/v1/tiers", "get", ("400", "404", "415", "422")),
        ("/api/v1/parameters/{region}/history", "get", ("404",)),
        ("/api/v1/injury-protection", "get", ("400", "404")),
    ):
        responses = spec["paths"][path][method]["responses"]
        for status in statuses:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ApiError"}, (path, status)
            assert responses[status]["description"] == ERROR_DESCRIPTIONS.get(int(status), "错误（中文说明）")


def test_interactive_docs_are_served_locally(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "https://" not in page and "http://" not in page
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_unknown_path_and_method_use_the_error_shape(client: FlaskClient) -> None:
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.get_json()["error"]["message"]
    wrong = client.get("/api/v1/calculate")
    assert wrong.status_code == 405 and wrong.get_json()["error"]["status"] == 405


def test_form_body_is_refused_with_415(client: FlaskClient) -> None:
    response = client.post("/api/v1/calculate", data={"region": "360100"})
    assert response.status_code == 415 and "JSON" in response.get_json()["error"]["message"]


def test_repeated_questions_are_answered_again_and_never_stale(app: Flask, client: FlaskClient) -> None:
    """The answer cache keyed by the request body gives the same answer, until a publication."""
    from rates.publish import parse_proposal, publish
    from tests.test_publish import WAGE_2026

    body = '{"region": "360100", "scheme": "flexible_pension", "start": "2026-01", "end": "2026-01", "base_ratio": "1"}'
    first = client.post("/api/v1/calculate", data=body, content_type="application/json")
    again = client.post("/api/v1/calculate", data=body, content_type="application/json")
    assert first.status_code == again.status_code == 200 and first.data == again.data
    assert first.get_json()["total"] == "1305.00" and first.get_json()["provisional"] is True
    publish(app.extensions["rates"], [parse_proposal("360000", "avg_wage", WAGE_2026)], "alice")
    after = client.post("/api/v1/calculate", data=body, content_type="application/json").get_json()
    assert after["total"] == "1360.00" and after["provisional"] is False


@pytest.mark.parametrize("size", [0, 1])
def test_refusals_are_never_remembered(tmp_path: Path, size: int) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}", "CALC_CACHE_SIZE": size})
    client = app.test_client()
    bad = (
        '{"region": "360100", "scheme": "flexible_pension", "start": "2025-01", "end": "2025-01", "base_ratio": "0.5"}'
    )
    for _ in range(2):
        answer = client.post("/api/v1/calculate", data=bad, content_type="application/json")
        assert answer.status_code == 422 and answer.get_json()["error"]["field"] == "base_ratio"
    as_text = client.post("/api/v1/calculate", data=bad, content_type="text/plain")
    assert as_text.status_code == 415


def test_a_body_padded_beyond_any_question_is_answered_and_kept_as_its_question(
    app: Flask, client: FlaskClient
) -> None:
    """The answer cache keeps requests, not bodies: padding makes no second entry, however long."""
    body = '{"region": "360100", "scheme": "flexible_pension", "start": "2025-01", "end": "2025-01", "base_ratio": "1"}'
    padded = body[:-1] + " " * 10_000 + "}"
    for data in (padded, body, padded):
        answer = client.post("/api/v1/calculate", data=data, content_type="application/json")
        assert answer.status_code == 200 and answer.get_json()["total"] == "1305.00"
    with app.app_context():
        assert len(app.extensions["caches"].kept(app.extensions["rates"].snapshot()).answers) == 1


def test_a_tier_priced_in_its_month_though_not_over_its_year(client: FlaskClient) -> None:
    """Issue 19, found by the sweep: 广州's figures of 2025-01…06 give no average wage, those from 2025-07 do; the
    tier table of 2025-10 said 70% was 不可测算 while /calculate priced 2025-10 at 70%."""
    tiers = client.get("/api/v1/tiers?region=440100&month=2025-10").get_json()["tiers"]
    seventy = next(t for t in tiers if t["percent"] == "70%")
    ask = {"region": "440100", "scheme": "flexible_pension", "start": "2025-10", "end": "2025-10", "base_ratio": "0.7"}
    alone = client.post("/api/v1/calculate", json=ask).get_json()
    assert (seventy["base"], seventy["monthly"]) == (alone["months"][0]["base"], alone["total"])
    assert seventy["yearly"] is None and seventy["unavailable"] is None
    assert "未公布平均工资" in seventy["yearly_unavailable"]
    year = client.post("/api/v1/calculate", json={**ask, "start": "2025-01", "end": "2025-12"})
    assert year.status_code == 422 and year.get_json()["error"]["code"] == "no_average"
    page = client.get("/?region=440100&scheme=flexible_pension&start=2025-10&end=2025-10&basis=ratio&base_ratio=0.7")
    assert "全年不可测算" in page.get_data(as_text=True)


def test_the_docs_name_their_sections_in_chinese_and_lead_back_to_the_site(client: FlaskClient) -> None:
    """Issue 23: Swagger UI heads each section with its tag's name, so the names are Chinese (it ignores
    x-displayName); the document's description and the docs page link back to the site."""
    spec: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()
    names = [tag["name"] for tag in spec["tags"]]
    assert names == ["社保缴费测算", "养老金估算", "快递网点批量测算", "参数管理"]
    operations = [op for path in spec["paths"].values() for key, op in path.items() if key != "parameters"]
    used = {tag for operation in operations for tag in operation["tags"]}
    assert used == set(names)  # every route in a named section, none under api, pension, admin_api, outlets
    assert all(re.search(r"[\u4e00-\u9fff]", tag["description"]) for tag in spec["tags"])
    assert "](/)" in spec["info"]["description"] and "API" not in spec["info"]["title"]
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert '<a href="/">' in page and "返回社保缴费测算网站首页" in page
