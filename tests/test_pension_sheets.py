"""Published approval sheets replayed to the fen (issue 22): tests/cases/pension_sheets.yaml.

Every sheet goes through calc.record.benefit, the function POST /api/v1/pension/benefit runs. A sheet part
that does not come out to the fen, or cannot be replayed for want of a figure, must be listed in
docs/pension-sheets.md with its reason: the test asserts that list exactly, so it can neither silently grow
nor keep a sheet that now reproduces. The shares the document states are checked too.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from calc.pension import contribution_years, payout_months
from calc.rounding import round_part
from rates.months import Month
from rates.store import Snapshot
from tests.pension_sheets import DOCS_FILE, Outcome, bundled_snapshot, documented, load_sheets, replay, replay_all

SOURCE = re.compile(r"^liubigfatty/pension-(calculator|engine):cases/\S+\.json@[0-9a-f]{7}$")


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return bundled_snapshot()


@pytest.fixture(scope="module")
def outcomes(snap: Snapshot) -> list[Outcome]:
    return replay_all(snap)


def test_the_suite_holds_at_least_100_cited_sheets_from_15_provinces() -> None:
    data = load_sheets()
    sheets = data["sheets"]
    assert len(sheets) >= 100
    assert len({sheet["region"][:2] for sheet in sheets}) >= 15
    assert len({sheet["id"] for sheet in sheets}) == len(sheets)
    for sheet in sheets:
        assert SOURCE.match(sheet["source"]), sheet["id"]
        assert ("contribution_months" in sheet) != ("contribution_years" in sheet), sheet["id"]
        assert sheet["collection"] in {"verified", "recalibrated", "unverified", "unmarked"}, sheet["id"]
    for left_out in data["excluded"]:
        assert SOURCE.match(left_out["source"]) and left_out["reason"], left_out


def test_every_part_not_reproduced_is_documented_and_nothing_else(outcomes: list[Outcome]) -> None:
    failing = {(o.sheet, o.part) for o in outcomes if not o.reproduced}
    listed = documented()
    assert failing - listed == set(), "not reproduced, not in docs/pension-sheets.md"
    assert listed - failing == set(), "listed in docs/pension-sheets.md, but reproduces now (or no such sheet)"


def test_the_documented_shares_are_the_replay_s(outcomes: list[Outcome]) -> None:
    text = DOCS_FILE.read_text(encoding="utf-8")
    for part, word in (("basic", "基础养老金"), ("account", "个人账户养老金"), ("transitional", "过渡性养老金")):
        mine = [o for o in outcomes if o.part == part]
        replayed = [o for o in mine if o.missing is None]
        good = sum(1 for o in replayed if o.reproduced)
        line = f"{word}：{len(mine)}张核定表，重算{len(replayed)}张，到分一致{good}张"
        assert line in text, line
    provisional = sum(1 for o in outcomes if o.final_basic is not None)
    assert f"{provisional}张核定表所用计发基数不是本服务所存退休当年的最终计发基数" in text


def test_most_sheets_reproduce(outcomes: list[Outcome]) -> None:
    """A floor under today's result: a change that breaks sheets shows here as well as in the list."""
    for part in ("basic", "account", "transitional"):
        replayed = [o for o in outcomes if o.part == part and o.missing is None]
        assert sum(o.reproduced for o in replayed) / len(replayed) >= 0.8, part


def _body(sheet: dict[str, Any]) -> dict[str, Any]:
    month, birth = sheet["month"], sheet["birth_month"]
    age = (int(month[:4]) - int(birth[:4])) * 12 + int(month[5:]) - int(birth[5:])
    body = {"region": sheet["region"], "calc_base": sheet["calc_base"], "average_index": sheet["average_index"]}
    body |= {"account_balance": sheet["account_balance"], "retirement_age_months": age, "month": month}
    names = ("contribution_months", "contribution_years", "indexed_wage", "index_base")
    for name in (*names, "transitional_years", "transitional_months", "transitional_index"):
        if name in sheet:
            body[name] = sheet[name]
    if "payout_months" in sheet:
        body["sheet_payout_months"] = sheet["payout_months"]
    return body


def test_the_api_answers_as_the_replay(snap: Snapshot, client: FlaskClient) -> None:
    """POST /api/v1/pension/benefit gives each sheet the replay's figures (one sheet per province)."""
    seen: set[str] = set()
    for sheet in load_sheets()["sheets"]:
        if sheet["region"] in seen or not {"month", "birth_month", "account_balance"} <= set(sheet):
            continue
        basic, account, *bridge = replay(snap, sheet)
        if basic.missing:  # a file without a figure the region's rule needs: the API refuses it (tested below)
            continue
        seen.add(sheet["region"])
        response = client.post("/api/v1/pension/benefit", json=_body(sheet))
        body = response.get_json()
        assert response.status_code == 200, (sheet["id"], body)
        assert Decimal(body["basic_pension"]) == basic.computed, sheet["id"]
        assert Decimal(body["account_pension"]) == account.computed, sheet["id"]
        if bridge and bridge[0].computed is not None:  # 过渡性养老金 where the region's formula is held
            assert Decimal(body["transitional_pension"]) == bridge[0].computed, sheet["id"]
    assert len(seen) >= 15


def test_the_api_says_when_the_sheet_s_payout_months_differ(client: FlaskClient) -> None:
    body = {"calc_base": "8000", "average_index": "1", "contribution_years": "30", "account_balance": "139000"}
    body |= {"retirement_age_months": 721, "month": "2025-02", "region": "120000", "sheet_payout_months": "139"}
    answer = client.post("/api/v1/pension/benefit", json=body).get_json()
    assert answer["payout_months"] == "138.4"
    assert any("核定表所印计发月数139与本服务" in note for note in answer["notes"]), answer["notes"]
    assert answer["years_precision"] == "折算为年后四舍五入保留两位小数"


@pytest.mark.parametrize(
    ("months", "precision", "years"),
    [
        (400, "round_2", "33.33"),  # 天津 (issue 22)
        (304, "round_2", "25.33"),  # 江苏 2024
        (428, "round_4", "35.6667"),  # 江苏 2026
        (509, "half_year_up", "42.5"),  # 安徽: 42年5个月
        (486, "half_year_up", "40.5"),  # exactly half a year stays
        (487, "half_year_up", "41"),
        (301, "up_2", "25.09"),  # 广西: 25.0833 -> 25.09
        (300, "exact_months", None),
    ],
)
def test_contribution_years_by_precision(months: int, precision: str, years: str | None) -> None:
    assert contribution_years(months, precision) == (Decimal(years) if years else None)


def test_parts_round_by_the_province_s_rule() -> None:
    assert round_part(Decimal("2410.79"), "up_jiao") == Decimal("2410.8")  # 广西 柳州 sheet
    assert round_part(Decimal("483.3333"), "up_jiao") == Decimal("483.4")
    assert round_part(Decimal("571.70"), "up_jiao") == Decimal("571.7")
    assert round_part(Decimal("0.005"), "half_up_fen") == Decimal("0.01")


@pytest.mark.parametrize(
    ("age", "months"),
    [(721, "138.4"), (601, "194.6"), (661, "169.5"), (723, "137.3"), (603, "193.8"), (662, "169.0"), (728, "134.3")],
)
def test_ages_with_months_share_out_the_whole_year_figures(age: int, months: str) -> None:
    """到月的月数表: the 济南 reply's two figures (138.4, 194.6) and those the sheets print."""
    table = {"50": Decimal(195), "51": Decimal(190), "55": Decimal(170), "56": Decimal(164)}
    table |= {"60": Decimal(139), "61": Decimal(132)}
    found = payout_months(table, age, "monthly_tenth")
    assert found is not None and found.months == Decimal(months) and found.between
    whole = payout_months(table, age)
    assert whole is not None and not whole.exact and whole.months == table[str(age // 12)]


def test_the_clerk_s_page_applies_the_region_s_rules(client: FlaskClient) -> None:
    """/window/benefit: the 江苏 2024-01 sheet with its region gives the printed 2482.96 and names the rule."""
    query = "calc_base=8613&average_index=1.2762&contribution_months=304&account_balance=190912.85"
    html = client.get(f"/window/benefit?region=320000&{query}&retirement_age_months=600&month=2024-01").get_data(
        as_text=True
    )
    assert 'data-testid="basic">2482.96' in html and 'data-testid="account">979.04' in html
    assert "折算为年后四舍五入保留两位小数" in html and '<option value="320000" selected>' in html
    html = client.get(f"/window/benefit?{query}&retirement_age_months=600&month=2024-01").get_data(as_text=True)
    assert 'data-testid="basic">2483.29' in html  # the national default: exact months
    years = "calc_base=6983&average_index=0.8827&contribution_years=31.75&account_balance=97201.56"
    html = client.get(f"/window/benefit?region=450000&{years}&retirement_age_months=660&month=2026-05").get_data(
        as_text=True
    )
    assert 'data-testid="basic">2087.10' in html and "见分进角" in html


def _record_of(result: Any, region: str) -> Any:
    """A clerk's record of the person an estimate is about (``calc.record.BenefitRequest``)."""
    from calc.record import BenefitRequest

    return BenefitRequest(
        calc_base=result.calc_base,
        average_index=result.average_index,
        contribution_months=result.months_by_retirement,
        account_balance=result.balance,
        retirement_age_months=result.retirement.age,
        month=result.retirement.month,
        region=region,
    )


@pytest.mark.parametrize("region", ["120000", "320000", "450000", "510000", "530100"])
def test_the_estimate_uses_the_record_s_rules(snap: Snapshot, region: str) -> None:
    """The 测算 estimate and a clerk's record of the same person give the same parts (one function, issue 22)."""
    from calc.estimate import EstimateRequest, estimate
    from calc.record import benefit
    from rates.months import Month

    asked = EstimateRequest(region, Month(1970, 7), "male", Decimal("1"), Month(2026, 11), paid_months=100)
    result = estimate(snap, asked)
    same = benefit(snap, _record_of(result, region))
    assert (result.basic, result.account, result.payout.months) == (same.basic, same.account, same.payout.months)


def test_the_index_bases_calc_knows_are_the_family_s_choices() -> None:
    from calc.pension import INDEX_BASES
    from rates.families import CHOICE_LABELS, INDEX_BASE_CHOICES

    assert set(INDEX_BASES) == set(INDEX_BASE_CHOICES)
    assert all(CHOICE_LABELS[name] for name in INDEX_BASE_CHOICES)


@pytest.mark.parametrize(
    ("base", "wage", "months", "printed"),
    [
        ("12434", "8397.92", 187, "1623"),  # the article's case 3: 15年7个月, 1622.91 见分进角
        ("12307", "28088.27", 496, "8348.1"),  # case 2: 41年4个月, 8348.09
        ("12434", "9929.79", 386, "3596.8"),  # case 4 = shanghai-4: 32年2个月, 3596.77
    ],
)
def test_shanghai_months_past_whole_years_at_0083_percent(base: str, wage: str, months: int, printed: str) -> None:
    """沪人社规〔2021〕27号第一条、第五条 as quoted, with the worked cases of the article that quotes it."""
    from calc.pension import BenefitRules, basic_pension_by_rules

    rules = BenefitRules(basic_rounding="up_jiao", remainder_month_rate=Decimal("0.00083"))
    assert basic_pension_by_rules(Decimal(base), Decimal(wage), months, None, rules) == Decimal(printed)
    years = Decimal(months) / 12  # printed years are taken back to whole months
    assert basic_pension_by_rules(Decimal(base), Decimal(wage), 0, years.quantize(Decimal("0.001")), rules) == Decimal(
        printed
    )


@pytest.mark.parametrize(
    ("index", "factor"),
    [("0.452", "0.7533"), ("0.5938", "0.9897"), ("0.5241", "0.8735"), ("0.6", "1"), ("1.2", "1")],
)
def test_guangdong_s_a_is_the_index_over_0_6_to_four_decimals(index: str, factor: str) -> None:
    """广东 (据核定表推定): a = 平均缴费指数 ÷ 0.6 below 0.6, four decimals half-up (江门, 惠州, 中山 sheets)."""
    from calc.pension import base_factor

    assert base_factor(Decimal(index), Decimal("0.6")) == Decimal(factor)
    assert base_factor(Decimal(index), None) == 1


GUANGDONG = {"region": "440000", "calc_base": "9028", "average_index": "0.452", "contribution_months": 213}
GUANGDONG |= {"account_balance": "55389.69", "retirement_age_months": 600, "month": "2024-05"}


def test_guangdong_scales_the_base_term_by_a_and_says_so(client: FlaskClient) -> None:
    """江门 2024-05: (9028 × 0.7533 + 9028 × 0.452) ÷ 2 × 17.75 × 1% = 965.73 as printed; 深圳 computes without a."""
    data = client.post("/api/v1/pension/benefit", json=GUANGDONG).get_json()
    assert data["basic_pension"] == "965.73" and data["base_factor"] == "0.7533"
    assert any("a = 平均缴费指数 ÷ 0.6 = 0.7533" in note and "据核定表推定" in note for note in data["notes"])
    assert any(ref["family"] == "pension_benefit_rules" and ref["region"] == "440000" for ref in data["references"])
    plain = client.post("/api/v1/pension/benefit", json=GUANGDONG | {"average_index": "0.6"}).get_json()
    assert plain["base_factor"] is None and not any("a = 平均缴费指数" in n for n in plain["notes"])
    shenzhen = client.post("/api/v1/pension/benefit", json=GUANGDONG | {"region": "440300"}).get_json()
    assert shenzhen["basic_pension"] == "1163.39" and shenzhen["base_factor"] is None  # 9028 × 1.452 ÷ 2 × 17.75%
    before = client.post("/api/v1/pension/benefit", json=GUANGDONG | {"month": "2023-12"}).get_json()
    assert before["basic_pension"] == "1163.39"  # the version starts with the earliest sheet's year
    query = "&".join(f"{k}={v}" for k, v in GUANGDONG.items())
    html = client.get(f"/window/benefit?{query}").get_data(as_text=True)
    assert 'data-testid="basic">965.73' in html and "计发基数 9028 × a 0.7533" in html


def test_the_estimate_applies_guangdong_s_a_as_the_record_does(snap: Snapshot) -> None:
    """测算 and 经办核算 share the rule (issue 22): a low past index gives the same a, parts and note."""
    from calc.estimate import EstimateRequest, estimate
    from calc.record import benefit

    asked = EstimateRequest("440000", Month(1978, 7), "female_50", Decimal("0.6"), Month(2026, 11), 200, Decimal("0.3"))
    result = estimate(snap, asked)
    same = benefit(snap, _record_of(result, "440000"))
    assert same.factor < 1 and (result.basic, result.account) == (same.basic, same.account)
    assert any(f"a = 平均缴费指数 ÷ 0.6 = {same.factor:f}" in note for note in result.notes), result.notes


HENAN = {"region": "410000", "calc_base": "6738", "average_index": "0.68834", "contribution_years": "39.5"}
HENAN |= {"account_balance": "55537.81", "retirement_age_months": 720, "month": "2025-10"}


def test_henan_needs_the_pooling_area_s_base(client: FlaskClient) -> None:
    """河南: without the 退休地计发基数 the record is refused in Chinese; with it, the 信阳 sheet to the fen."""
    refused = client.post("/api/v1/pension/benefit", json=HENAN)
    assert refused.status_code == 422
    assert "退休地（统筹地区）计发基数" in refused.get_data(as_text=True)
    assert "index_base" in refused.get_data(as_text=True)
    answer = client.post("/api/v1/pension/benefit", json=HENAN | {"index_base": "6260"}).get_json()
    assert answer["basic_pension"] == "2181.78"
    printed = client.post("/api/v1/pension/benefit", json=HENAN | {"indexed_wage": "4309.01"}).get_json()
    assert printed["basic_pension"] == "2181.78"  # a printed indexed wage stands for the second base


def test_jilin_computes_on_one_base_and_says_so(client: FlaskClient) -> None:
    """吉林: 长春 with the province's base gives its sheet; without it, one base and a note (elsewhere both are one)."""
    body = {"region": "220000", "calc_base": "7978.25", "average_index": "0.54", "contribution_years": "31"}
    body |= {"account_balance": "70132.51", "retirement_age_months": 600, "month": "2025-12"}
    answer = client.post("/api/v1/pension/benefit", json=body | {"index_base": "7322.08"}).get_json()
    assert answer["basic_pension"] == "1849.49"
    alone = client.post("/api/v1/pension/benefit", json=body).get_json()
    assert alone["basic_pension"] == "1904.41"  # 7978.25 × 1.54 ÷ 2 × 31%
    assert any("全省计发基数未填写" in note for note in alone["notes"]), alone["notes"]


def test_the_estimate_says_which_base_it_used_for_henan(snap: Snapshot) -> None:
    from calc.estimate import EstimateRequest, estimate
    from rates.months import Month

    result = estimate(snap, EstimateRequest("410000", Month(1970, 7), "male", Decimal("1"), Month(2026, 11)))
    assert any("退休地（统筹地区）计发基数未填写" in note for note in result.notes), result.notes


def test_the_clerk_s_page_takes_the_second_base(client: FlaskClient) -> None:
    query = "&".join(f"{k}={v}" for k, v in HENAN.items())
    html = client.get(f"/window/benefit?{query}").get_data(as_text=True)
    assert "退休地（统筹地区）计发基数" in html and 'name="index_base"' in html
    html = client.get(f"/window/benefit?{query}&index_base=6260").get_data(as_text=True)
    assert 'data-testid="basic">2181.78' in html


def test_the_clerk_s_page_states_shanghai_s_method(client: FlaskClient) -> None:
    """/window/benefit names the rule it computed with: 0.083% a month past the whole years, 见分进角 (上海)."""
    query = "region=310000&calc_base=12434&average_index=1.8776&contribution_months=369&account_balance=414359"
    html = client.get(f"/window/benefit?{query}&retirement_age_months=720&month=2026-01").get_data(as_text=True)
    assert 'data-testid="basic">5500.70' in html
    assert "满整年后剩余月数 × 0.083%" in html and "基础养老金取整：见分进角" in html


# ---------------------------------------------------------------- 过渡性养老金 (issue 22)

TIANJIN = {"region": "120000", "calc_base": "9232", "average_index": "0.79", "contribution_months": 400}
TIANJIN |= {"account_balance": "103735.84", "retirement_age_months": 721, "month": "2025-02"}


def test_transitional_pension_by_the_region_s_document(client: FlaskClient) -> None:
    """天津 tianjin-4: 9232 × 0.81 × 9.42 × 1.0% = 704.42, in the total, with its basis and its document."""
    answer = client.post(
        "/api/v1/pension/benefit", json=TIANJIN | {"transitional_years": "9.42", "transitional_index": "0.81"}
    )
    data = answer.get_json()
    assert answer.status_code == 200, data
    assert data["transitional_pension"] == "704.42" and data["transitional_covered"] is True
    assert Decimal(data["total"]) == Decimal(data["basic_pension"]) + Decimal(data["account_pension"]) + Decimal(
        "704.42"
    )
    assert "视同缴费年限 9.42 年 × 过渡系数 1%" in data["transitional_formula"]
    assert "平均缴费指数 0.81" in data["transitional_formula"]
    assert any(
        r.get("doc_no") and "津劳局〔2006〕359号" in r["doc_no"] for v in data["references"] for r in v["references"]
    ), data["references"]
    plain = client.post("/api/v1/pension/benefit", json=TIANJIN | {"transitional_years": "9.42"}).get_json()
    assert plain["transitional_pension"] == "687.03"  # 9232 × 0.79 × 9.42 × 1%, and it says which index it used
    assert any("过渡性养老金所用平均缴费指数未填写" in note for note in plain["notes"]), plain["notes"]
    months = client.post(
        "/api/v1/pension/benefit", json=TIANJIN | {"transitional_months": 113, "transitional_index": "0.81"}
    )
    assert months.get_json()["transitional_pension"] == "704.42"  # 113 months: 9.42 years at 天津's two decimals


@pytest.mark.parametrize(
    ("region", "month", "asked", "expected"),
    [
        ("510000", "2025-01", {"transitional_years": "8.08"}, "858.31"),  # 四川 sichuan-2: (8321 + 8021.44) ÷ 2
        ("650000", "2023-05", {"transitional_years": "3.17"}, None),  # 新疆: the index × base, 1.3%
        ("320000", "2024-03", {"transitional_years": "14.83", "transitional_index": "0.8634"}, "1323.39"),
    ],
)
def test_transitional_pension_in_each_shape(
    region: str, month: str, asked: dict[str, str], expected: str | None
) -> None:
    """The wage is the indexed wage, or its mean with the 计发基数 (四川); the years as printed."""
    from calc.record import BenefitRequest, benefit

    bases = {"510000": ("8321", "0.964"), "650000": ("7625", "0.654"), "320000": ("8613", "0.3246")}
    base, index = bases[region]
    request = BenefitRequest(
        Decimal(base),
        Decimal(index),
        400,
        Decimal("100000"),
        720,
        Month.parse(month),
        region,
        transitional_years=Decimal(asked["transitional_years"]),
        transitional_index=Decimal(asked["transitional_index"]) if "transitional_index" in asked else None,
    )
    result = benefit(bundled_snapshot(), request)
    assert result.transitional is not None
    if expected is not None:
        assert result.transitional.amount == Decimal(expected)
    else:  # 7625 × 0.654 × 3.17 × 1.3% = 205.50 (xinjiang-1)
        assert result.transitional.amount == Decimal("205.50")
    assert result.total == result.basic + result.account + result.transitional.amount


def test_transitional_pension_elsewhere_is_said_to_be_not_covered(client: FlaskClient) -> None:
    """A region whose formula the service holds no document for: no figure, and the answer says so in Chinese."""
    body = TIANJIN | {"region": "440000", "month": "2025-06"}
    data = client.post("/api/v1/pension/benefit", json=body | {"transitional_years": "5"}).get_json()
    assert data["transitional_pension"] is None and data["transitional_covered"] is False
    assert Decimal(data["total"]) == Decimal(data["basic_pension"]) + Decimal(data["account_pension"])
    assert any("过渡性养老金：本服务未覆盖本地区" in n and "所填过渡性养老金年限未使用" in n for n in data["notes"])
    held = client.post("/api/v1/pension/benefit", json=TIANJIN).get_json()  # held, but no years given
    assert held["transitional_pension"] is None and held["transitional_covered"] is True
    assert any("未填写该年限，本核算不含过渡性养老金" in n for n in held["notes"]), held["notes"]


def test_transitional_years_and_months_are_one_or_the_other(client: FlaskClient) -> None:
    both = TIANJIN | {"transitional_years": "9.42", "transitional_months": 113}
    answer = client.post("/api/v1/pension/benefit", json=both)
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["field"] == "transitional_years" and "只填一项" in error["message"]
    wrong = client.post("/api/v1/pension/benefit", json=TIANJIN | {"transitional_years": "abc"})
    assert wrong.status_code == 400 and "过渡性养老金年限" in wrong.get_data(as_text=True)


def test_the_clerk_s_page_shows_the_transitional_line(client: FlaskClient) -> None:
    query = "&".join(f"{k}={v}" for k, v in TIANJIN.items())
    html = client.get(f"/window/benefit?{query}&transitional_years=9.42&transitional_index=0.81").get_data(as_text=True)
    assert 'data-testid="transitional">704.42' in html and "三项合计" in html
    assert 'data-testid="transitional-formula">过渡性养老金 = 本人指数化月平均缴费工资' in html
    assert 'name="transitional_years"' in html and "过渡性养老金所用平均缴费指数（选填）" in html
    other = client.get(f"/window/benefit?{query.replace('120000', '440000')}&transitional_years=9.42").get_data(
        as_text=True
    )
    assert 'data-testid="transitional"' not in other
    assert "过渡性养老金：本服务未覆盖本地区" in other


def test_the_transitional_rule_is_held_whole() -> None:
    """The loader refuses a version with a 过渡系数 but not the wage and the years it applies to."""
    from rates.families import CHOICE_LABELS, FAMILIES, TRANSITIONAL_WAGES, TRANSITIONAL_YEARS
    from rates.loader import _Problem, parse_version

    assert all(CHOICE_LABELS[name] for name in TRANSITIONAL_WAGES + TRANSITIONAL_YEARS)
    body = {"years_precision": "exact_months", "part_rounding": "half_up_fen", "transitional_rate": "0.013"}
    body |= {"reference": {"title": "t"}, "trust": "low"}
    with pytest.raises(_Problem) as refused:
        parse_version("650000", FAMILIES["pension_benefit_rules"], "2006-01", body)
    assert refused.value.key == "2006-01.transitional_wage"


@pytest.mark.parametrize(("share", "paid"), [("0.4", "1671.88"), ("0.7", "2114.64"), ("1", "2557.40")])
def test_jiangsu_pays_the_new_method_s_excess_by_a_yearly_share(share: str, paid: str) -> None:
    """苏人社发〔2024〕4号 as quoted: 原办法 + (新办法 − 原办法) × the year's share; the article's case (8785 ×
    1.5995 × 15.1667 × 1.2% = 2557.40 against 1081.53: 1671.88 in 2024, 2114.64 in 2025)."""
    from calc.pension import phased_in

    assert phased_in(Decimal("2557.40"), Decimal("1081.53"), Decimal(share), "half_up_fen") == Decimal(paid)
    assert phased_in(Decimal("500"), Decimal("600"), Decimal(share), "half_up_fen") == Decimal("600")  # 就高


def test_jiangsu_s_record_with_the_old_method(client: FlaskClient) -> None:
    body = {"region": "320000", "calc_base": "8785", "average_index": "1.3353", "contribution_years": "44.1667"}
    body |= {"account_balance": "208040.22", "retirement_age_months": 720, "month": "2025-01"}
    body |= {"transitional_years": "15.1667", "transitional_index": "1.5995"}
    alone = client.post("/api/v1/pension/benefit", json=body).get_json()
    assert alone["transitional_pension"] == "2557.40"  # the new method, and the answer says the share is not applied
    assert any("2025年按70%发放：原办法过渡性养老金未填写" in note for note in alone["notes"]), alone["notes"]
    data = client.post("/api/v1/pension/benefit", json=body | {"transitional_old_method": "1081.53"}).get_json()
    assert data["transitional_pension"] == "2114.64"
    assert "实发 = 原办法 1081.53 +（新办法 − 原办法）× 70% = 2114.64" in data["transitional_formula"]
    refused = client.post("/api/v1/pension/benefit", json=TIANJIN | {"transitional_old_method": "100"})
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "transitional_old_method"
