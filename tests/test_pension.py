"""The pension estimate (issue 11): rules, golden cases as data files, the API, the pages."""

from __future__ import annotations

import dataclasses
import itertools
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from calc.estimate import EstimateRequest, estimate, estimate_tiers
from calc.pension import Assumptions, account_pension, basic_pension, payout_months
from calc.retirement import AgeRule, age_words, minimum_months, retirement
from rates.loader import parse_version
from rates.months import Month
from rates.store import Snapshot
from rates.tables import read_table
from rates.transfer import version_body
from tests.pension_sheets import bundled_snapshot
from tests.test_golden import load_cases

CASES = Path(__file__).parent / "cases"
REFERENCE = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "provinces"
COHORTS = yaml.safe_load((CASES / "pension_cohorts.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return bundled_snapshot()


def national(snap: Snapshot, family: str, month: Month) -> Any:
    return snap.at("000000", family, month).version


# ---------------------------------------------------------------- rules and the store's figures


@pytest.mark.parametrize("case", COHORTS["retirement_ages"], ids=lambda c: f"{c['category']}-{c['birth']}")
def test_cohort_examples_of_the_2024_decision(snap: Snapshot, case: dict[str, str]) -> None:
    rules = national(snap, "retirement_age", Month(2026, 1))
    category = case["category"]
    age = AgeRule(*(int(rules.values[f"{category}_{name}"]) for name in ("original_age", "target_age", "step")))
    reached = retirement(Month.parse(case["birth"]), category, age, rules.effective_from)
    assert age_words(reached.age) == case["age"]
    assert str(reached.month) == case["month"]


@pytest.mark.parametrize("case", COHORTS["minimum_months"], ids=lambda c: str(c["year"]))
def test_minimum_contribution_by_retirement_year(snap: Snapshot, case: dict[str, int]) -> None:
    table = read_table(
        str(national(snap, "pension_min_contribution", Month(case["year"], 6)).values["months_by_retirement_year"])
    )
    assert minimum_months(table, case["year"]) == case["months"]


@pytest.mark.parametrize("case", COHORTS["payout_months"], ids=lambda c: f"{c['age_months']}@{c['month']}")
def test_payout_months_by_age_and_month(snap: Snapshot, case: dict[str, Any]) -> None:
    table = read_table(str(national(snap, "pension_payout_months", Month.parse(case["month"])).values["months_by_age"]))
    found = payout_months(table, case["age_months"])
    assert found is not None
    assert (f"{found.months:f}", found.exact) == (case["months"], case["exact"])


def test_payout_table_matches_the_reference_csv(snap: Snapshot) -> None:
    import csv

    path = REFERENCE / "payout_months.csv"
    if not path.exists():
        pytest.skip("reference CSV not present")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    expected = {r["key"]: Decimal(r["value"]) for r in rows if r["record_type"] == "payout_months"}
    table = read_table(str(national(snap, "pension_payout_months", Month(2006, 1)).values["months_by_age"]))
    assert table == expected


def test_each_part_is_rounded_once_to_the_fen() -> None:
    # 8613 × 2.2762 × 304 ÷ 2400 = 2483.288623...: one rounding at the end, not per factor
    assert basic_pension(Decimal("8613"), Decimal("1.2762"), 304) == Decimal("2483.29")
    assert account_pension(Decimal("100"), Decimal("3")) == Decimal("33.33")
    assert account_pension(Decimal("0.05"), Decimal("2")) == Decimal("0.03")  # half-up


def test_tables_survive_export_and_import(snap: Snapshot) -> None:
    for family in ("pension_payout_months", "pension_min_contribution", "retirement_age"):
        for version in snap.active("000000", family):
            from rates.families import FAMILIES

            again = parse_version(version.region, FAMILIES[family], str(version.effective_from), version_body(version))
            assert again.values == version.values


def test_every_province_of_the_csv_has_its_calc_base(snap: Snapshot) -> None:
    """Each row's figure is the version in force, not provisionally, for every retirement month of the row.

    A row gives the final 计发基数 for retirements in applies_from..applies_to; its version takes effect
    at applies_from (after applies_to it serves only provisionally, 预发, until the next figure). A row of an
    area the tree has no region for (长春) is left out; a region holds no year the CSV does not give."""
    import csv

    from rates.excerpts import held as holds_text
    from rates.families import trust_allowed

    path = REFERENCE / "pension_calc_base.csv"
    if not path.exists():
        pytest.skip("reference CSV not present")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    areas = {"大连市（企业）": "210200", "沈阳市（企业）": "210100", "深圳市（企业）": "440300"}
    areas |= {"黄石市": "420200", "十堰市": "420300", "荆州市": "421000", "长春市": "220100"}
    left_out, years = [], {}
    for row in rows:
        region = areas.get(row["scope"]) or ("420100" if row["province_code"] == "420000" else row["province_code"])
        first, last = Month.parse(row["applies_from"]), Month.parse(row["applies_to"])
        if region not in snap.regions:
            left_out.append((region, str(first)))
            continue
        years.setdefault(region, set()).add(first.year)
        versions = {v.contribution_year: v for v in snap.active(region, "pension_calc_base")}
        assert first.year == last.year, "a row covers one calendar year of retirements"
        version = versions[first.year]
        assert version.effective_from == first and version.effective_to is None, (region, first)
        assert version.values["calc_base_monthly"] == Decimal(row["calc_base_monthly"]), (region, first)
        # the row's trust, unless the version's own source line is a compilation only (issue 19: then 较可靠 at most)
        # and 官方原文 only with the notice's sentence held (issue 25)
        allowed = trust_allowed(
            row["trust"], [r.source for r in version.references], held=holds_text(version.references)
        )
        assert version.trust == allowed, (region, first)
        assert re.search(r"[\u4e00-\u9fff]", version.note or ""), "notes users read are Chinese"
        month = first
        while month <= last:
            resolved = snap.at(region, "pension_calc_base", month)
            assert (resolved.version, resolved.level, resolved.provisional) == (version, region, False), (region, month)
            month = month + 1
    assert left_out == [("220100", "2024-01"), ("220100", "2025-01")]
    for region, held in years.items():
        # dropped rows (湖南2026, 新疆, 福建 and 宁夏2024) are not configured: no year beyond the CSV's
        assert {v.contribution_year for v in snap.active(region, "pension_calc_base")} == held, region
    configured = {v.region for v in snap.all_versions if v.family == "pension_calc_base"}
    assert configured == set(years)


# ---------------------------------------------------------------- the engine


def request_for(**changes: Any) -> EstimateRequest:
    base = EstimateRequest("530100", Month(1985, 3), "male", Decimal("0.6"), Month(2026, 11))
    return dataclasses.replace(base, **changes)


def test_pension_rises_with_the_tier_and_costs_more(snap: Snapshot) -> None:
    rows = estimate_tiers(snap, request_for())
    assert rows[0].request.base_ratio == Decimal("0.6") and rows[-1].request.base_ratio == Decimal(3)
    for lower, higher in itertools.pairwise(rows):
        assert higher.total > lower.total and higher.contributions > lower.contributions
    assert all(r.total == r.basic + r.account for r in rows)


def test_growth_and_interest_are_assumptions_in_view(snap: Snapshot) -> None:
    today = estimate(snap, request_for())
    grown = estimate(snap, request_for(assumptions=Assumptions(Decimal("0.02"), Decimal("0.03"))))
    assert grown.contributions > today.contributions and grown.balance > today.balance
    assert grown.calc_base > today.calc_base
    labels = {a.name: a.value for a in grown.assumptions}
    assert labels["account_interest_rate"] == "2%" and labels["wage_growth"] == "3%"
    assert all(a.text.startswith("假设") for a in today.assumptions)


def test_transitional_pension_is_said_to_be_missing(snap: Snapshot) -> None:
    assert any("不含过渡性养老金" in note for note in estimate(snap, request_for()).notes)


# ---------------------------------------------------------------- the API


@pytest.mark.parametrize("case", load_cases("pension_estimate.yaml"))
def test_estimate_golden_case(case: dict[str, Any], client: FlaskClient) -> None:
    response = client.post("/api/v1/pension/estimate", json=case["request"])
    body = response.get_json()
    assert response.status_code == 200, body
    for key, value in case["expect"].items():
        assert body[key] == value, key
    # every figure traceable: the versions used are listed with document and trust level
    families = {ref["family"] for ref in body["references"]}
    assert {"pension_calc_base", "pension_payout_months", "retirement_age", "pension_min_contribution"} <= families
    assert {"avg_wage", "flexible_pension"} <= families
    assert all(ref["trust"] in ("official", "medium", "low") and ref["references"] for ref in body["references"])
    assert any("不含过渡性养老金" in note for note in body["notes"])


@pytest.mark.parametrize("case", load_cases("pension_benefit.yaml"))
def test_benefit_golden_case(case: dict[str, Any], client: FlaskClient) -> None:
    response = client.post("/api/v1/pension/benefit", json=case["request"])
    body = response.get_json()
    assert response.status_code == 200, body
    for key in ("basic_pension", "account_pension", "total", "payout_months"):
        assert body[key] == case[key], key
    assert body["payout_months_exact"] is case.get("payout_months_exact", True)
    for key in ("final_calc_base", "final_basic_pension"):  # 预发 → 补发 (issue 22)
        assert body[key] == case.get(key), key
    assert body["transitional_pension"] == case.get("transitional_pension"), body["notes"]  # issue 22
    families = case.get("references", ["pension_benefit_rules", "pension_payout_months"])
    assert sorted(ref["family"] for ref in body["references"]) == sorted(families)


def test_at_least_one_published_case_is_reproduced() -> None:
    cases = yaml.safe_load((CASES / "pension_benefit.yaml").read_text(encoding="utf-8"))
    assert sum(1 for case in cases if case.get("published")) >= 1


@pytest.mark.parametrize("case", load_cases("pension_errors.yaml"))
def test_bad_pension_request(case: dict[str, Any], client: FlaskClient) -> None:
    response = client.post(case["path"], json=case["body"])
    body = response.get_json()
    want = case["error"]
    assert response.status_code == want["status"], body
    assert set(body) == {"error"}
    assert body["error"]["code"] == want["code"], body
    assert body["error"]["field"] == want["field"], body
    assert want["message"] in body["error"]["message"], body


def test_start_defaults_to_this_month(client: FlaskClient) -> None:
    body = client.post(
        "/api/v1/pension/estimate",
        json={"region": "530100", "birth_month": "1985-03", "category": "male", "base_ratio": "1"},
    ).get_json()
    from service.api.views import current_month

    assert body["start"] == str(current_month())


def test_openapi_documents_the_pension_api(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/pension/estimate", "/api/v1/pension/benefit"):
        operation = spec["paths"][path]["post"]
        assert re.search(r"[\u4e00-\u9fff]", operation["summary"])
        assert {"200", "400", "422"} <= set(operation["responses"])


# ---------------------------------------------------------------- the pages

PAGE = "/?region=530100&scheme=flexible_pension&start=2026-01&end=2026-12&basis=ratio&base_ratio=0.6"


def test_calculate_page_shows_the_estimate_per_tier(client: FlaskClient) -> None:
    html = client.get(PAGE + "&birth_month=1985-03&category=male").get_data(as_text=True)
    section = html[html.index('id="pension"') :]
    assert "养老金估算" in section and 'data-testid="retirement-age">63岁' in section
    assert section.count("<tr data-ratio=") == 25 and section.count("<rect ") == 25
    assert 'class="chosen"' in section  # the chosen tier stands out
    assert "假设" in section and "不含过渡性养老金" in section
    assert "/parameters/530100#v" in section  # every figure's source


def test_calculate_page_without_a_birth_month_has_no_estimate(client: FlaskClient) -> None:
    html = client.get(PAGE).get_data(as_text=True)
    assert 'id="pension"' not in html and 'name="birth_month"' in html


def test_a_bad_pension_field_is_named_without_spoiling_the_quote(client: FlaskClient) -> None:
    response = client.get(PAGE + "&birth_month=1985-03&category=male&wage_growth=abc")
    html = response.get_data(as_text=True)
    assert response.status_code == 200  # the contribution quote itself is fine
    assert 'href="#f-wage_growth"' in html and 'id="f-wage_growth"' in html and "不是数字" in html
    assert 'data-testid="total"' in html


def test_counter_quote_carries_the_estimate(app: Flask) -> None:
    client = app.test_client()
    form = {
        "region": "530100",
        "scheme": "flexible_pension",
        "start": "2026-01",
        "end": "2026-12",
        "basis": "ratio",
        "base_ratio": "0.6",
        "birth_month": "1985-03",
        "category": "male",
        "clerk": "张三",
    }
    client.get("/window")
    with client.session_transaction() as session:
        token = session.get("csrf_token")
    response = client.post("/window", data=form | ({"csrf_token": token} if token else {}))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    sheet = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="quote-retirement-month">2048-03' in sheet and "不含过渡性养老金" in sheet


def test_clerk_record_mode_gives_both_parts_to_the_fen(client: FlaskClient) -> None:
    html = client.get(
        "/window/benefit?calc_base=7010&average_index=2.8635&contribution_months=504"
        "&account_balance=326284.41&retirement_age_months=720&month=2024-09"
    ).get_data(as_text=True)
    assert 'data-testid="basic">5687.46' in html and 'data-testid="account">2347.37' in html
    response = client.get("/window/benefit?calc_base=abc")
    assert response.status_code == 422 and "不是数字" in response.get_data(as_text=True)


def test_parameters_page_shows_the_tables_as_tables(client: FlaskClient) -> None:
    html = client.get("/parameters/530100?month=2026-06").get_data(as_text=True)
    assert "个人账户养老金计发月数表" in html and '<th scope="row">60岁1个月</th><td class="num">138.4</td>' in html
    assert '<th scope="row">2030年起</th><td class="num">186</td>' in html
    assert "基本养老金计发基数" in html and "8265" in html


def test_admin_publishes_a_table_through_the_form(app: Flask) -> None:
    from tests.admin_support import add_user, confirm_data, login, open_form

    add_user(app, "alice")
    admin = app.test_client()
    assert login(admin, "alice").status_code == 302
    revision = open_form(admin, "000000", "pension_payout_months")
    html = admin.get("/admin/publish?region=000000&family=pension_payout_months").get_data(as_text=True)
    assert "60-01=138.4" in html and 'name="months_by_age"' in html and "以分号分隔" in html
    form = {
        "region": "000000",
        "family": "pension_payout_months",
        "effective_from": "2026-01",
        "months_by_age": "60=139; 60-01=138.4; 60-02=137.8",
        "title": "测试用月数表",
        "doc_no": "测试〔2026〕1号",
        "trust": "low",
        "revision": revision,
    }
    bad = admin.post("/admin/publish", data=form | {"months_by_age": "60=139; 60-13=1"})
    assert bad.status_code == 422 and "须为“键=值”的表格" in bad.get_data(as_text=True)
    shown = admin.post("/admin/publish", data=form)
    assert shown.status_code == 200, shown.get_data(as_text=True)[:500]
    assert admin.post("/admin/publish/confirm", data=confirm_data(shown.get_data(as_text=True))).status_code == 303
    table = app.extensions["rates"].snapshot().at("000000", "pension_payout_months", Month(2026, 1))
    assert read_table(str(table.version.values["months_by_age"]))["60-02"] == Decimal("137.8")


def test_no_average_wage_is_said_on_the_page_and_the_counter(app: Flask) -> None:
    """Issue 19, defect 2: 浙江 2025's notice gave the ends only; the page and the counter failed with a 500."""
    client = app.test_client()
    page = "/?region=330000&scheme=flexible_pension&start=2026-11&end=2026-12&basis=ratio&base_ratio=0.6"
    response = client.get(page + "&birth_month=1985-03&category=male")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="total"' in html  # the contributions are still priced
    section = html[html.index('id="pension"') :]
    assert "未公布全口径城镇单位就业人员平均工资" in section and "本服务不作养老金估算" in section
    form = {"region": "330000", "scheme": "flexible_pension", "start": "2026-11", "end": "2026-12", "basis": "ratio"}
    form |= {"base_ratio": "0.6", "birth_month": "1985-03", "category": "male", "clerk": "张三"}
    client.get("/window")
    with client.session_transaction() as session:
        token = session.get("csrf_token")
    response = client.post("/window", data=form | ({"csrf_token": token} if token else {}))
    assert response.status_code == 422 and "本服务不作养老金估算" in response.get_data(as_text=True)
