"""Flexible-worker medical insurance (issue 15): the rules, end dates, honest gaps and what users read."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine

from calc import medical
from rates import transfer
from rates.loader import load_tree
from rates.months import Month
from rates.publish import PublishError, parse_proposal
from rates.store import NotConfigured, ParameterStore, Snapshot
from tests.test_pages import field_error, text_of


@pytest.fixture(scope="module")
def bundled() -> Snapshot:
    """The bundled tree as a store holds it (a file's superseded records are recorded, then corrected)."""
    store = ParameterStore(create_engine("sqlite://"))
    store.create_schema()
    store.load(*load_tree())
    return store.snapshot()


def test_chengdu_parts_are_rounded_each_on_its_own() -> None:
    split = medical.rate_in_parts(
        Decimal("6015"), (("medical_basic", Decimal("0.0875")), ("medical_supplementary", Decimal("0.0075")))
    )
    assert split.parts == {"medical_basic": Decimal("526.31"), "medical_supplementary": Decimal("45.11")}
    assert split.amount == Decimal("571.42")
    # rounding once on the whole rate would give 6015 x 9.5% = 571.425 -> 571.43: not the official figure
    assert split.amount != (Decimal("6015") * Decimal("0.095")).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


def test_base_of_average_rounds_by_the_region_rule() -> None:
    assert medical.base_of_average(Decimal("7646"), Decimal("0.8"), "half_up_yuan") == Decimal("6117")


@pytest.mark.parametrize(
    ("region", "month", "rate"),
    [
        ("440100", "2024-02", "0.08"),
        ("440100", "2024-03", "0.065"),
        ("440100", "2025-12", "0.065"),
        ("440100", "2026-01", "0.08"),  # the cut ended: the 2022 notice applies again
        ("440300", "2023-12", "0.08"),
        ("440300", "2025-12", "0.07"),
        ("440300", "2026-01", "0.08"),
        ("440300", "2027-01", "0.08"),  # the 2026 bounds ended: 令第358号 again
        ("320100", "2023-03", "0.09"),
        ("320100", "2023-04", "0.08"),
    ],
)
def test_versions_in_force_across_the_changes(bundled: Snapshot, region: str, month: str, rate: str) -> None:
    assert bundled.at(region, "flexible_medical", Month.parse(month)).version.values["rate"] == Decimal(rate)


@pytest.mark.parametrize(("region", "month"), [("440100", "2027-01"), ("500000", "2026-01"), ("320100", "2023-02")])
def test_after_the_end_nothing_is_in_force(bundled: Snapshot, region: str, month: str) -> None:
    with pytest.raises(NotConfigured):
        bundled.at(region, "flexible_medical", Month.parse(month))


def test_shenzhen_2026_bounds_end_with_2026(bundled: Snapshot) -> None:
    in_2026 = bundled.at("440300", "flexible_medical", Month(2026, 12)).version
    assert in_2026.values["base_floor_monthly"] == Decimal("6727") and in_2026.effective_to == Month(2026, 12)
    assert "base_floor_monthly" not in bundled.at("440300", "flexible_medical", Month(2027, 1)).version.values


def test_every_medical_version_cites_its_source_in_chinese(bundled: Snapshot) -> None:
    versions = [v for v in bundled.all_versions if v.family == "flexible_medical"]
    assert len(versions) == 14
    for version in versions:
        assert version.references and all(r.title and r.source for r in version.references)
        assert version.trust in ("official", "medium") and version.note
        assert "原文" in version.note, version.region  # the note quotes the excerpt


@pytest.mark.parametrize("region", ["360100", "530100"])
def test_nanchang_and_kunming_say_where_to_ask(client: FlaskClient, region: str) -> None:
    body = {"region": region, "scheme": "flexible_medical", "start": "2025-06", "end": "2025-06", "base_ratio": "0.6"}
    error = client.post("/api/v1/calculate", json=body).get_json()["error"]
    assert error["code"] == "not_configured"
    message = error["message"]
    assert "没有可查证来源的数据" in message and "参保地医保经办机构" in message and "12393" in message
    floor = "3915" if region == "360100" else "4357"  # what is known: the pension base range
    assert f"缴费基数为每月{floor}元至" in message


def test_unchecked_bounds_are_said_in_the_answer(client: FlaskClient) -> None:
    body = {"region": "440100", "scheme": "flexible_medical", "start": "2025-01", "end": "2025-01", "base": "100"}
    answer = client.post("/api/v1/calculate", json=body).get_json()
    assert answer["total"] == "6.50"
    assert any("未作范围核对" in note for note in answer["notes"])
    checked = {"region": "440300", "scheme": "flexible_medical", "start": "2026-01", "end": "2026-01", "base": "6727"}
    assert not any("未作范围核对" in n for n in client.post("/api/v1/calculate", json=checked).get_json()["notes"])


def test_chongqing_yearly_amount_is_not_split_into_months(client: FlaskClient) -> None:
    body = {"region": "500000", "scheme": "flexible_medical", "start": "2025-03", "end": "2025-05", "medical_tier": 1}
    answer = client.post("/api/v1/calculate", json=body).get_json()
    assert [(m["year"], m["amount"]) for m in answer["months"]] == [(2025, "3075.00")]
    assert any("不折算到月" in note for note in answer["notes"])
    tiers = client.get("/api/v1/tiers?region=500000&month=2025-06&scheme=flexible_medical").get_json()["tiers"]
    assert [(t["percent"], t["monthly"], t["yearly"]) for t in tiers] == [
        ("一档", None, "3075.00"),
        ("二档", None, "6765.00"),
    ]


def test_medical_tier_is_validated_in_chinese(client: FlaskClient) -> None:
    body = {"region": "500000", "scheme": "flexible_medical", "start": "2025-01", "end": "2025-01", "medical_tier": 3}
    response = client.post("/api/v1/calculate", json=body)
    assert response.status_code == 400
    assert (
        response.get_json()["error"]["message"]
        == "医保缴费档次（medical_tier）：医保缴费档次只能是1（一档）或2（二档）。"
    )


def test_openapi_documents_the_medical_fields(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["CalculateRequest"]["properties"]["medical_tier"]["enum"] == [1, 2, None]
    assert "medical_tier" in schemas["Quote"]["properties"]
    assert schemas["Tier"]["properties"]["monthly"]["nullable"] is True


def test_tier_comparison_shapes(client: FlaskClient) -> None:
    shenzhen = client.get("/api/v1/tiers?region=440300&month=2026-03&scheme=flexible_medical").get_json()["tiers"]
    assert [(t["percent"], t["base"], t["monthly"]) for t in shenzhen] == [
        ("下限", "6727.00", "538.16"),
        ("上限", "33633.00", "2690.64"),
    ]
    beijing = client.get("/api/v1/tiers?region=110000&month=2025-08&scheme=flexible_medical").get_json()["tiers"]
    assert [(t["monthly"], t["yearly"], t["note"]) for t in beijing] == [("584.92", "3509.52", "2025-07至2025-12")]
    guangzhou = client.get("/api/v1/tiers?region=440100&month=2025-08&scheme=flexible_medical")
    assert guangzhou.status_code == 422 and "无档次可比" in guangzhou.get_json()["error"]["message"]


def test_chengdu_average_ratio_and_its_own_base(sichuan_app: Flask) -> None:
    client = sichuan_app.test_client()
    by_ratio = {"region": "510100", "scheme": "flexible_medical", "start": "2025-06", "end": "2025-06"}
    answer = client.post("/api/v1/calculate", json=by_ratio).get_json()
    assert (answer["months"][0]["base"], answer["total"]) == ("6117.00", "581.12")
    assert {r["family"] for r in answer["references"]} == {"flexible_medical", "avg_wage", "base_rounding"}
    explicit = client.post("/api/v1/calculate", json=by_ratio | {"base": "6015"}).get_json()
    assert explicit["total"] == "571.42"
    assert {r["family"] for r in explicit["references"]} == {"flexible_medical"}  # no figure cited that was not used
    wrong = client.post("/api/v1/calculate", json=by_ratio | {"base_ratio": "0.6"}).get_json()
    assert wrong["error"]["field"] == "base_ratio" and "80%" in wrong["error"]["message"]


def test_effective_to_survives_export_and_import(bundled: Snapshot) -> None:
    files = transfer.yaml_tree(bundled)
    document = yaml.safe_load(files["440100/flexible_medical.yaml"])
    assert document["values"]["2024-03"]["effective_to"] == "2025-12"
    archive = io.BytesIO(transfer.yaml_zip(bundled))
    with zipfile.ZipFile(archive) as opened:
        assert 'effective_to: "2025-12"' in opened.read("440100/flexible_medical.yaml").decode()
    versions = transfer.read_yaml_zip(archive.getvalue(), bundled.regions)
    cut = next(v for v in versions if v.region == "440100" and v.effective_from == Month(2024, 3))
    assert cut.effective_to == Month(2025, 12)
    _, from_book = transfer.read_workbook(transfer.export_workbook(bundled), bundled.regions)
    assert {(v.region, str(v.effective_from), str(v.effective_to)) for v in from_book if v.effective_to} == {
        ("440100", "2022-12", "2026-12"),
        ("440100", "2024-03", "2025-12"),
        ("440300", "2024-01", "2025-12"),
        ("440300", "2026-01", "2026-12"),
        ("500000", "2025-01", "2025-12"),
        ("320100", "2023-03", "2023-03"),
    }


def test_publishing_a_version_that_ends_before_it_starts_is_refused_in_chinese() -> None:
    body = {
        "effective_from": "2026-01",
        "effective_to": "2025-12",
        "basis": "declared",
        "rate": "0.08",
        "reference": {"title": "测试用"},
        "trust": "low",
    }
    with pytest.raises(PublishError) as caught:
        parse_proposal("440100", "flexible_medical", body)
    assert caught.value.problems[0].message == "截止月份：截止月份不能早于生效月份。"
    missing = {**body, "effective_to": None, "basis": "yearly_tiers", "tier1_yearly": "3075"}
    with pytest.raises(PublishError) as caught:
        parse_proposal("500000", "flexible_medical", missing)
    assert "计费方式为yearly_tiers时必须填写" in caught.value.problems[0].message


def test_old_shape_still_loads(rates_with_medical: Path) -> None:
    _, versions = load_tree(rates_with_medical)
    old = next(v for v in versions if v.region == "360100" and v.family == "flexible_medical")
    assert "basis" not in old.values and old.values["personal_account_rate"] == Decimal("0.02")


# ---------------------------------------------------------------- pages


def page_text(client: FlaskClient, **form: str) -> tuple[int, str]:
    response = client.get("/?" + urlencode({"start": "2025-01", "end": "2025-12", "basis": "ratio"} | form))
    html = response.get_data(as_text=True)
    return response.status_code, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_calculate_page_chongqing_tier_by_year(client: FlaskClient) -> None:
    status, text = page_text(client, region="500000", scheme="flexible_medical", medical_tier="2")
    assert status == 200
    assert "重庆市（2025-01）：按年度固定标准缴费：请选择医保缴费档次" in text
    assert "2025年" in text and "6765.00" in text and "年度缴费标准" in text and "不折算到月" in text
    assert "一档 — — 3075.00 二档 — — 6765.00" in text  # the tier comparison: no monthly figure invented


def test_calculate_page_chengdu_example_and_guangzhou_notes(client: FlaskClient) -> None:
    status, text = page_text(client, region="510100", scheme="flexible_medical", basis="base", base="6015")
    assert status == 200 and "571.42" in text and "基本医疗保险费" in text and "附加部分" in text
    assert "6015.00 9.5% 571.42" in text and "所填基数未与之核对" in text
    _, text = page_text(client, region="440100", scheme="flexible_medical", basis="base", base="5000")
    assert "按本人申报的缴费基数缴费" in text and "未作范围核对" in text and "无档次可比" in text


def test_calculate_page_medical_not_configured_says_where_to_ask(client: FlaskClient) -> None:
    status, text = page_text(client, region="530100", scheme="flexible_medical", base_ratio="0.6")
    assert status == 422 and "12393" in text and "参保地医保经办机构" in text


def test_counter_quote_prints_the_medical_tier(client: FlaskClient) -> None:
    form = {"region": "500000", "scheme": "flexible_medical", "start": "2025-01", "end": "2025-12"}
    form |= {"basis": "ratio", "medical_tier": "1", "clerk": "王五", "csrf_token": ""}
    response = client.post("/window", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "医保缴费档次 一档" in text and "3075.00" in text and "渝医保发〔2024〕47号" in text
    assert "每年 3075.00 元" in text.replace("（", " ").replace("）", " ")


def test_parameters_page_says_where_to_ask_about_medical(client: FlaskClient) -> None:
    html = client.get("/parameters/360100?month=2025-06").get_data(as_text=True)
    assert "灵活就业人员职工基本医疗保险" in html and "请向参保地医保经办机构咨询" in html and "12393" in html
    html = client.get("/parameters/440100?month=2025-06").get_data(as_text=True)
    assert "2024-03起至2025-12止" in html and "按本人申报的缴费基数和缴费比例" in html


def test_admin_preview_also_prices_the_month_after_an_end(bundled: Snapshot) -> None:
    from service.admin.preview import _months

    cut = bundled.at("440100", "flexible_medical", Month(2024, 3)).version
    assert _months(cut) == [Month(2024, 3), Month(2026, 1)]


def test_admin_form_publishes_a_medical_version_with_an_end(app: Flask) -> None:
    from tests.admin_support import add_user, confirm_data, login, open_form, preview

    add_user(app, "alice")
    admin = app.test_client()
    assert login(admin, "alice").status_code == 302
    html = admin.get("/admin/publish?region=440100&family=flexible_medical").get_data(as_text=True)
    assert '<option value="declared"' in html and "按本人申报的缴费基数和缴费比例</option>" in html
    assert '<option value="">（不填）</option>' in html and 'name="effective_to"' in html
    form = {
        "region": "440100",
        "family": "flexible_medical",
        "effective_from": "2027-01",
        "effective_to": "2027-06",
        "basis": "declared",
        "rate": "0.075",
        "title": "测试用通知（非真实数据）",
        "doc_no": "测试〔2027〕1号",
        "trust": "low",
    }
    response = preview(admin, open_form(admin, "440100", "flexible_medical"), form)
    assert response.status_code == 200, response.get_data(as_text=True)[:1500]
    assert admin.post("/admin/publish/confirm", data=confirm_data(response.get_data(as_text=True))).status_code == 303
    snapshot = app.extensions["rates"].snapshot()
    assert snapshot.at("440100", "flexible_medical", Month(2027, 6)).version.values["rate"] == Decimal("0.075")
    with pytest.raises(NotConfigured):
        snapshot.at("440100", "flexible_medical", Month(2027, 7))


@pytest.mark.parametrize("month", ["2024-06", "2025-06"])
def test_a_declared_base_without_bounds_has_no_tiers_422(client: FlaskClient, month: str) -> None:
    """Issue 19, defect 8: 南京 prices a declared base; the tier question is valid, so 422, never 400."""
    answer = client.get(f"/api/v1/tiers?region=320100&month={month}&scheme=flexible_medical")
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert (error["code"], error["field"]) == ("no_tiers", "base") and "无档次可比" in error["message"]


# ---------------------------------------------------------------- issue 19: each scheme its own choice


class FormDefaults(HTMLParser):
    """What a browser without script sends for a form as the page draws it: every field's default."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._first: str | None = None
        self._chosen: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("radio", "checkbox"):
                if "checked" in a:
                    self.values.setdefault(a["name"], []).append(a.get("value", "on"))
            else:
                self.values.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self._select, self._first, self._chosen = a.get("name"), None, None
        elif tag == "option" and self._select:
            self._first = a.get("value", "") if self._first is None else self._first
            if "selected" in a:
                self._chosen = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            chosen = self._chosen if self._chosen is not None else self._first
            if chosen is not None:
                self.values.setdefault(self._select, []).append(chosen)
            self._select = None


def browser_defaults(html: str, **changes: str) -> list[tuple[str, str]]:
    form = html[html.index("<form") : html.index("</form>")]
    parser = FormDefaults()
    parser.feed(form)
    values = {name: found for name, found in parser.values.items() if name not in changes}
    return [(name, value) for name, found in values.items() for value in found] + list(changes.items())


SHAPE_CITIES = {"510100": "avg_ratio", "110000": "fixed_monthly", "500000": "yearly_tiers", "440100": "declared"}


@pytest.mark.parametrize("region", sorted(SHAPE_CITIES))
def test_the_medical_form_default_is_never_refused_without_script(client: FlaskClient, region: str) -> None:
    """The form sent a pension tier (60%) to every medical city by default: 成都, 北京 and 重庆 refused it
    (无需选择缴费档次). Now each part of the medical block says the rule it applies to and the server reads
    only what the city's rule takes; a declared base is the one thing a person must type."""
    page = client.get(f"/?region={region}&scheme=flexible_medical&start=2025-08&end=2025-08").get_data(as_text=True)
    assert 'data-need="yearly_tiers"' in page and '"510100":[["2025-01",' in unescape(page)
    sent = browser_defaults(page, region=region, scheme="flexible_medical", start="2025-08", end="2025-08")
    assert ("base_ratio", "0.6") in sent and ("medical_form", "1") in sent  # the pension's tier is sent too
    response = client.get("/?" + urlencode(sent))
    html = response.get_data(as_text=True)
    if SHAPE_CITIES[region] == "declared":
        assert response.status_code == 422
        assert "请填写缴费基数" in (field_error(html, "medical_base") or "")
        sent = [(k, v) for k, v in sent if k != "medical_base"] + [("medical_base", "5000")]
        response = client.get("/?" + urlencode(sent))
        html = response.get_data(as_text=True)
    assert response.status_code == 200, field_errors(html)
    alone = {"region": region, "scheme": "flexible_medical", "start": "2025-08", "end": "2025-08"}
    alone |= {"avg_ratio": {}, "fixed_monthly": {}, "yearly_tiers": {"medical_tier": 1}}.get(
        SHAPE_CITIES[region], {"base": "5000"}
    )
    api = client.post("/api/v1/calculate", json=alone).get_json()
    assert text_of(html, "total") == api["total"]


def test_a_message_never_names_an_english_field(client: FlaskClient) -> None:
    body = {"region": "310000", "scheme": "flexible_medical", "start": "2025-01", "end": "2025-01"}
    error = client.post("/api/v1/calculate", json=body).get_json()["error"]
    assert error["field"] == "base_ratio" and not re.search(r"[A-Za-z_]", error["message"])
    sent = {"region": "310000", "scheme": "flexible_medical", "start": "2025-01", "end": "2025-01"}
    html = client.get("/?" + urlencode(sent | {"medical_form": "1", "medical_basis": "base"})).get_data(as_text=True)
    message = field_error(html, "medical_base") or ""
    assert message and not re.search(r"[A-Za-z_]", message)


def field_errors(html: str) -> list[str]:
    return re.findall(r'<p class="field-error" id="e-([^"]+)">(.*?)</p>', html, re.S)


# ---------------------------------------------------------------- the registry of rule shapes (issue 20)


def test_every_shape_is_one_class_citing_its_document() -> None:
    from calc.medical.shapes import FIELD_LABELS
    from rates.families import CHOICE_LABELS, FAMILIES

    family = FAMILIES["flexible_medical"]
    basis = family.field("basis")
    assert basis is not None and basis.choices == tuple(medical.SHAPES)  # the loader offers exactly the registry
    for name, shape in medical.SHAPES.items():
        assert shape.name == name and CHOICE_LABELS[name] == shape.label
        doc = (shape.__doc__ or "").strip()
        assert "\n" not in doc and re.search(r"〔\d{4}〕\d+号", doc), (name, doc)  # one line, with its 文号
        assert all(family.field(field) is not None for field in shape.needs), name
        assert all(FIELD_LABELS[field] == label for field, label in shape.takes), name
        assert shape.instruction


def test_shapes_taking_a_field() -> None:
    assert medical.shapes_taking("base") == ("ratio_range", "declared", "avg_ratio")
    assert medical.shapes_taking("base_ratio") == ("ratio_range",)
    assert medical.shapes_taking("medical_tier") == ("yearly_tiers",)
    assert medical.shapes_taking("headcount") == ()


def test_the_loader_checks_what_each_shape_needs() -> None:
    body = {
        "basis": "avg_ratio",
        "rate": "0.0875",
        "trust": "medium",
        "reference": {"title": "成都市医疗保障局通知", "doc_no": "成医保办〔2025〕17号"},
    }
    with pytest.raises(PublishError, match="计费方式为avg_ratio时必须填写"):
        parse_proposal("510100", "flexible_medical", {"effective_from": "2026-01", **body})
