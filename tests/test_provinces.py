"""Every province (issue 10): the published floors and ceilings of province_wages.csv as data cases.

tests/cases/provinces.yaml lists every row of shared/reference/provinces/province_wages.csv with a
published floor and ceiling; through the JSON API the 60% and 300% tiers equal them and the answer
cites the row's 文号 and trust. When ../shared is beside the repository, the case file and the bundled
tree are checked against the CSV itself.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from rates import excerpts, transfer
from rates.families import FAMILIES, trust_allowed
from rates.loader import load_tree
from rates.model import NATIONAL
from rates.store import ParameterStore
from service import create_app
from service.core.db import make_engine
from tests.admin_support import add_user, login
from tests.test_admin import upload

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "provinces.yaml").read_text(encoding="utf-8"))["cases"]
CSV = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "provinces" / "province_wages.csv"
# The CSV's province rows that live on an area of their own (湖北's figures are tier 1: 武汉市和省直).
AREA_OF_ROW = {"420000": "420100"}


@pytest.fixture(scope="module")
def module_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    path = tmp_path_factory.mktemp("provinces") / "test.sqlite3"
    yield create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}"})


@pytest.fixture
def api(module_app: Flask) -> FlaskClient:
    return module_app.test_client()


def money(text: str) -> str:
    return f"{Decimal(text):.2f}"


def cites(references: list[dict[str, Any]], case: dict[str, Any]) -> bool:
    """Whether an answer's references hold the case's average-wage version (文号 and trust)."""
    doc_no = case["doc_no"] or "无文号"
    return any(
        r["family"] == "avg_wage"
        and r["contribution_year"] == case["year"]
        and r["doc_no"] == doc_no
        and r["trust"] == case["trust"]
        for r in references
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['region']}-{c['year']}")
def test_published_floor_and_ceiling_are_the_60_and_300_percent_tiers(case: dict[str, Any], api: FlaskClient) -> None:
    body = api.get(f"/api/v1/tiers?region={case['region']}&month={case['month']}").get_json()
    tiers = body["tiers"]
    assert (tiers[0]["percent"], tiers[0]["base"]) == ("60%", money(case["floor"])), body
    assert (tiers[-1]["percent"], tiers[-1]["base"]) == ("300%", money(case["ceiling"])), body
    assert cites(body["references"], case), body["references"]
    for ratio, expected in (("0.6", case["floor"]), ("3", case["ceiling"])):
        request = {
            "region": case["region"],
            "scheme": "flexible_pension",
            "start": case["month"],
            "end": case["month"],
            "base_ratio": ratio,
        }
        answer = api.post("/api/v1/calculate", json=request).get_json()
        assert answer["months"][0]["base"] == money(expected), answer
        assert cites(answer["references"], case), answer["references"]


def test_a_notice_without_an_average_prices_its_ends_and_explicit_bases_only(api: FlaskClient) -> None:
    """浙江2025 published 4986 and 25299 but no average: 70% is refused in Chinese, never derived."""
    request = {"region": "330000", "scheme": "flexible_pension", "start": "2025-03", "end": "2025-03"}
    refused = api.post("/api/v1/calculate", json=request | {"base_ratio": "0.7"})
    error = refused.get_json()["error"]
    assert refused.status_code == 422 and (error["code"], error["field"]) == ("no_average", "base_ratio")
    assert "该通知未公布平均工资，无法按比例折算70%档次，请直接填写缴费基数" in error["message"]
    assert "4986元至25299元" in error["message"]
    explicit = api.post("/api/v1/calculate", json=request | {"base": "5000"}).get_json()
    assert explicit["months"][0]["amount"] == "1000.00"
    too_low = api.post("/api/v1/calculate", json=request | {"base": "4985"})
    # outside the year's published range: a 422 under the contract of issue 12
    assert too_low.status_code == 422 and too_low.get_json()["error"]["field"] == "base"
    tiers = api.get("/api/v1/tiers?region=330000&month=2025-03").get_json()["tiers"]
    middle = tiers[1:-1]
    assert middle and all(t["base"] is None and t["yearly"] is None for t in middle)
    assert all("未公布平均工资" in t["unavailable"] for t in middle)
    assert tiers[0]["unavailable"] is None and tiers[-1]["unavailable"] is None


def test_the_tier_table_shows_unavailable_tiers_with_the_reason(api: FlaskClient) -> None:
    page = api.get("/?region=330000&scheme=flexible_pension&start=2025-03&end=2025-03&basis=ratio&base_ratio=0.6")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count("不可测算") >= 23 and "该通知未公布平均工资" in html
    assert "4986.00" in html and "25299.00" in html


def test_areas_are_regions_a_user_picks(api: FlaskClient) -> None:
    """湖北's three tiers and 广州 have floors of their own; a member city inherits its tier's."""
    regions = {r["code"]: r for r in api.get("/api/v1/regions").get_json()}
    assert regions["420200"]["parent"] == "429200" and regions["421000"]["parent"] == "429300"
    assert regions["420100"]["parent"] == "420000" and regions["440100"]["parent"] == "440000"
    bases = {}
    for code in ("420100", "420200", "421000", "440000", "440100"):
        body = api.get(f"/api/v1/tiers?region={code}&month=2025-09").get_json()
        bases[code] = body["tiers"][0]["base"]
    assert bases == {
        "420100": "4498.00",
        "420200": "4299.00",
        "421000": "4254.00",
        "440000": "4775.00",
        "440100": "5510.00",
    }
    # the province holds no figure of its own: a worker there is asked to pick the area
    body = api.post(
        "/api/v1/calculate",
        json={
            "region": "420000",
            "scheme": "flexible_pension",
            "start": "2025-09",
            "end": "2025-09",
            "base_ratio": "1",
        },
    ).get_json()
    assert body["error"]["code"] == "not_configured"


@pytest.mark.parametrize(
    ("region", "month", "provisional"),
    [
        ("320000", "2026-05", True),  # 江苏: no 2026 row, 暂按上年度标准
        ("330000", "2026-05", True),
        ("440100", "2026-12", True),
        ("110000", "2026-01", False),  # 北京's 2026 figures start in July: January is still the 2025 year's
    ],
)
def test_a_year_without_figures_is_priced_provisionally_on_the_last(
    region: str, month: str, provisional: bool, api: FlaskClient
) -> None:
    body = api.post(
        "/api/v1/calculate",
        json={"region": region, "scheme": "flexible_pension", "start": month, "end": month, "base_ratio": "0.6"},
    ).get_json()
    assert body["months"][0]["provisional"] is provisional


def test_the_outlet_rule_stays_configured_for_jiangxi_only(api: FlaskClient) -> None:
    request = {"scheme": "outlet_injury", "start": "2025-03", "end": "2025-03", "headcount": 2}
    assert api.post("/api/v1/calculate", json=request | {"region": "360100"}).status_code == 200
    for region in ("110000", "440100", "530000"):
        answer = api.post("/api/v1/calculate", json=request | {"region": region})
        assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "not_configured"


# ---------------------------------------------------------------- against the CSV itself


def csv_rows() -> list[dict[str, str]]:
    if not CSV.exists():
        pytest.skip("shared/reference/provinces/province_wages.csv is not beside this checkout")
    return list(csv.DictReader(CSV.open(encoding="utf-8")))


def clean_doc_no(text: str) -> str | None:
    """The 文号 of a CSV cell without the compiler's remark in brackets."""
    return re.sub(r"\s*\(.*\)$", "", text).strip() or None


def test_the_case_file_agrees_with_the_csv() -> None:
    rows = [r for r in csv_rows() if r["base_floor_monthly"] and r["base_ceiling_monthly"]]
    _, versions = load_tree()
    sources = {
        (v.region, v.contribution_year): [r.source for r in v.references] for v in versions if v.family == "avg_wage"
    }
    # issue 25: 官方原文 also needs the notice's sentence held by the bundled version
    held = {(v.region, v.contribution_year): excerpts.held(v.references) for v in versions if v.family == "avg_wage"}
    from_rows = [c for c in CASES if not c.get("area")]
    assert len(from_rows) == len(rows)
    for row, case in zip(rows, from_rows, strict=True):
        year = int(row["contribution_year"])
        # csv_trust: the row's own level where the bundled version's source line is a compilation only, and
        # the case's trust is what that source allows (issue 19), checked against the bundled version below
        csv_trust = case.get("csv_trust", case["trust"])
        assert (case["province"], case["year"], csv_trust) == (row["province_code"], year, row["trust"])
        key = (case["region"], year)
        assert case["trust"] == trust_allowed(csv_trust, sources[key], held=held[key]), case
        assert case["region"] == AREA_OF_ROW.get(row["province_code"], row["province_code"])
        assert case["month"] == (row["effective_from"][:7] or f"{year}-01")
        assert Decimal(case.get("csv_floor", case["floor"])) == Decimal(row["base_floor_monthly"])
        assert Decimal(case["ceiling"]) == Decimal(row["base_ceiling_monthly"])
        if "mentioned, not shown" in row["doc_no"]:
            assert case["doc_no"] is None  # the compiler says the notice was not shown to hold the figures
        else:
            assert case["doc_no"] == clean_doc_no(row["doc_no"])
    # the one figure where the bundled tree keeps its own, better-dated source (see the case file)
    assert [(c["region"], c["year"]) for c in CASES if "csv_floor" in c] == [("530000", 2024)]


def test_the_bundled_tree_holds_every_row_with_a_figure() -> None:
    """Every CSV row the service can price is an avg_wage version with the row's cells, trust and 文号.

    A version needs an average or both published ends: 福建2024 (a floor only) is not configured."""
    _, versions = load_tree()
    in_force = {(v.region, v.contribution_year): v for v in versions if v.family == "avg_wage"}  # last one wins
    own_figures = {("360000", 2024): {"avg_wage_monthly"}, ("530000", 2024): {"avg_wage_monthly", "base_floor_monthly"}}
    skipped = []
    for row in csv_rows():
        region, year = AREA_OF_ROW.get(row["province_code"], row["province_code"]), int(row["contribution_year"])
        cells = {
            name: Decimal(row[name])
            for name in ("avg_wage_monthly", "base_floor_monthly", "base_ceiling_monthly")
            if row[name]
        }
        if "avg_wage_monthly" not in cells and len(cells) < 2:
            skipped.append((region, year))
            assert (region, year) not in in_force
            continue
        version = in_force[(region, year)]
        kept = own_figures.get((region, year), set())
        assert {k: v for k, v in version.values.items() if k not in kept} == {
            k: v for k, v in cells.items() if k not in kept
        }, (region, year)
        # the row's trust, unless the version's own source line is a compilation only (issue 19: then 较可靠 at most)
        allowed = trust_allowed(
            row["trust"], [r.source for r in version.references], held=excerpts.held(version.references)
        )
        assert version.trust == allowed, (region, year)
        effective = row["effective_from"][:7] or f"{year}-01"
        assert str(version.effective_from) == effective, (region, year)
        if not row["effective_from"]:
            assert "暂按" in (version.note or "") and "（推定）" in (version.note or "")
        doc_no = clean_doc_no(row["doc_no"]) if "mentioned, not shown" not in row["doc_no"] else None
        assert version.references[0].doc_no == doc_no, (region, year)
        assert version.note  # what a user needs to know (Chinese: the next test)
    assert skipped == [("350000", 2024)]


def test_every_province_is_a_region_and_every_note_and_source_is_chinese() -> None:
    regions, versions = load_tree()
    provinces = {code for code, r in regions.items() if r.parent == NATIONAL}
    names = {r["province_code"]: r["province_name"] for r in csv_rows()}
    assert provinces == set(names) and all(regions[code].name == name for code, name in names.items())
    for version in versions:
        if version.family != "avg_wage":
            continue
        texts = [
            version.note or "",
            *(r.source or "" for r in version.references),
            *(r.title for r in version.references),
        ]
        for text in texts:
            # repository names and addresses may be Latin; the words around them are Chinese
            words = re.sub(r"https?://\S+|GitHub 仓库 [^）]*|[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+", "", text)
            assert not re.search(r"[A-Za-z]{3,}", words), (version.region, version.effective_from, text)


# ---------------------------------------------------------------- adding a year: the admin upload


def what_it_says(versions: list[Any]) -> list[tuple[Any, ...]]:
    return sorted((v.region, v.family, str(v.effective_from), v.trust, repr(v.payload())) for v in versions)


def test_the_bundled_tree_round_trips_through_the_admin_export_and_upload(app: Flask, tmp_path: Path) -> None:
    """What README says about adding a year holds for this data set: the export of the bundled store,
    uploaded again, changes nothing, and read back it is the bundled tree's versions in force."""
    regions, versions = load_tree()
    last = {(v.region, v.family, v.effective_from): v for v in versions}  # a superseded record comes first
    bundled = what_it_says(list(last.values()))
    store = app.extensions["rates"]
    snap = store.snapshot()
    assert what_it_says([v for code in snap.regions for f in FAMILIES for v in snap.active(code, f)]) == bundled

    add_user(app, "alice")
    client = app.test_client()
    login(client, "alice")
    book = client.get("/admin/export.xlsx").get_data()
    archive = client.get("/admin/export.zip").get_data()
    for data, name in ((book, "参数库.xlsx"), (archive, "参数库.zip")):
        status, html = upload(client, data, name)
        assert status == 422 and "没有需要发布的内容" in html, name  # identical to what is in force

    read_regions, from_book = transfer.read_workbook(book)
    assert what_it_says(from_book) == bundled
    assert {code: (r.name, r.parent) for code, r in read_regions.items()} == {
        code: (r.name, r.parent) for code, r in regions.items()
    }
    assert what_it_says(transfer.read_yaml_zip(archive, regions)) == bundled

    other = ParameterStore(make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}"))
    other.create_schema()
    other.load(read_regions, from_book)
    copy = other.snapshot()
    assert what_it_says([v for code in copy.regions for f in FAMILIES for v in copy.active(code, f)]) == bundled


def test_loading_the_bundled_tree_twice_keeps_the_corrected_record_once(tmp_path: Path) -> None:
    """云南2026: the earlier record and the official correction are stored once, in that order."""
    store = ParameterStore(make_engine(f"sqlite:///{tmp_path / 'twice.sqlite3'}"))
    store.create_schema()
    first = store.load(*load_tree())
    again = store.load(*load_tree())
    assert (again.inserted, again.superseded) == (0, 0) and again.unchanged == first.inserted + first.superseded
    history = [v for v in store.snapshot().history("530000") if v.family == "avg_wage" and v.contribution_year == 2026]
    assert [(v.trust, v.supersedes) for v in history] == [("medium", None), ("official", history[0].id)]


def test_a_year_that_starts_in_july_with_nothing_known_before_prices_its_tiers_over_the_months_held(
    api: FlaskClient,
) -> None:
    """广东2024 runs from 2024-07 and nothing is known for 2024-01..06: the table's year is July to December."""
    for month in ("2024-07", "2024-12"):
        tiers = api.get(f"/api/v1/tiers?region=440000&month={month}").get_json()["tiers"]
        assert [t["note"] for t in tiers] == ["2024-07至2024-12"] * len(tiers)
        assert (tiers[0]["base"], tiers[0]["monthly"]) == ("4492.00", "898.40")
        assert all(Decimal(t["yearly"]) == 6 * Decimal(t["monthly"]) for t in tiers)
    refused = api.get("/api/v1/tiers?region=440000&month=2024-03")
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "not_configured"
    # a year held from January keeps twelve months and no note
    assert all(t["note"] is None for t in api.get("/api/v1/tiers?region=440000&month=2025-09").get_json()["tiers"])


def test_a_carry_over_the_province_declared_is_shown_apart_from_one_the_service_assumes(api: FlaskClient) -> None:
    """江苏's tax notice keeps the 2025 bounds for 2026 (省里明确暂按上年度标准, with the notice); 浙江 has
    said nothing: the service assumes it. Both months stay provisional; only the words and the document differ."""

    def quote(region: str, month: str) -> dict[str, Any]:
        request = {"region": region, "scheme": "flexible_pension", "start": month, "end": month, "base_ratio": "0.6"}
        return api.post("/api/v1/calculate", json=request).get_json()

    def wage(body: dict[str, Any]) -> dict[str, Any]:
        (version,) = [r for r in body["references"] if r["family"] == "avg_wage"]
        return version

    declared = quote("320000", "2026-05")
    assert declared["months"][0]["provisional"] is True and wage(declared)["provisional"] is True
    assert wage(declared)["declared_by"]["carries_over"] == "2026-01"
    assert declared["provisional_declared"] == ["国家税务总局江苏省税务局2026年1月7日通知（标题未见）"]
    assert [n for n in declared["notes"] if "暂按上年度标准" in n] == [
        "省里明确暂按上年度标准：国家税务总局江苏省税务局2026年1月7日通知（标题未见）；正式标准公布后以实际核定为准。"
    ]
    assumed = quote("330000", "2026-05")
    assert assumed["months"][0]["provisional"] is True and wage(assumed)["declared_by"] is None
    assert assumed["provisional_declared"] == [] and any("尚无本年度公布数据" in n for n in assumed["notes"])
    # 河南 declared its carry-over for 2026-07..12 only: the first half of 2026 is the service's assumption
    assert quote("410000", "2026-03")["provisional_declared"] == []
    assert quote("410000", "2026-08")["provisional_declared"] == [
        "国家税务总局河南省税务局2026年5月9日缴费指南（标题未见）"
    ]
    # a year in force is not a carry-over of any kind
    assert wage(quote("320000", "2025-05"))["declared_by"] is None

    page = "/?scheme=flexible_pension&start=2026-05&end=2026-05&basis=ratio&base_ratio=0.6&region="
    html = api.get(page + "320000").get_data(as_text=True)
    assert "省里明确暂按上年度标准" in html and "国家税务总局江苏省税务局2026年1月7日通知" in html
    assert "尚无本年度公布数据" not in html
    sources = html[html.index('id="sources"') :]
    assert "省里明确暂按上年度标准" in sources[: sources.index("</ol>")]  # the 依据 list says it of the version
    html = api.get(page + "330000").get_data(as_text=True)
    assert "省里明确暂按上年度标准" not in html and "尚无本年度公布数据" in html


@pytest.mark.parametrize(
    ("region", "said", "not_said"),
    [
        ("320000", ["省里明确暂按上年度标准", "国家税务总局江苏省税务局2026年1月7日通知"], "尚无本年度公布数据"),
        ("330000", ["尚无本年度公布数据，暂按上年度标准测算"], "省里明确暂按上年度标准"),
    ],
)
def test_the_printed_quote_tells_a_declared_carry_over_from_an_assumed_one(
    api: FlaskClient, region: str, said: list[str], not_said: str
) -> None:
    form = {"region": region, "scheme": "flexible_pension", "start": "2026-05", "end": "2026-05", "basis": "ratio"}
    issued = api.post("/window", data=form | {"base_ratio": "0.6", "clerk": "王五", "csrf_token": ""})
    assert issued.status_code == 303, issued.get_data(as_text=True)
    html = api.get(issued.headers["Location"]).get_data(as_text=True)
    assert all(words in html for words in said) and not_said not in html


@pytest.mark.parametrize(
    ("region", "said", "not_said"),
    [
        (
            "320000",
            "本年度部分月份按省里明确的上年度标准测算（国家税务总局江苏省税务局2026年1月7日通知",
            "尚无本年度公布数据",
        ),
        ("330000", "本年度部分月份尚无本年度公布数据，暂按上年度标准测算", "省里明确"),
    ],
)
def test_the_tier_table_tells_a_declared_carry_over_from_an_assumed_one(
    api: FlaskClient, region: str, said: str, not_said: str
) -> None:
    page = "/?scheme=flexible_pension&start=2026-05&end=2026-05&basis=ratio&base_ratio=0.6&region=" + region
    html = api.get(page).get_data(as_text=True)
    tiers = html[html.index('id="tiers-title"') : html.index('id="tier-sources"')]
    assert said in tiers and not_said not in tiers
