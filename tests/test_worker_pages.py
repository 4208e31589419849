"""The 测算 and 参数 pages without a browser: the 依据 list, the headline trust, fields by scheme, whom to
ask when a scheme is not configured, Chinese values and times, 大字 mode and the footer."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from rates.families import BASE_ROUNDING_RULES, CHOICE_LABELS
from service.core.display import beijing, local_path, origin_label, shown_value

FORM = {
    "region": "360100",
    "scheme": "flexible_pension",
    "start": "2025-01",
    "end": "2025-12",
    "basis": "ratio",
    "base_ratio": "0.6",
}


def page(client: FlaskClient, **changes: str) -> tuple[int, str]:
    response = client.get("/?" + urlencode(FORM | changes))
    return response.status_code, response.get_data(as_text=True)


def section(html: str, start: str, end: str) -> str:
    return html[html.index(start) : html.index(end, html.index(start))]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_month_rows_carry_no_version_jargon_and_sources_are_one_list_with_doc_numbers(client: FlaskClient) -> None:
    _, html = page(client, start="2025-12", end="2026-01")
    rows = section(html, '<table class="months">', "</table>")
    assert "依据" not in rows and not re.search(r">v\d+<", rows)
    basis = text(section(html, 'id="sources"', "</ol>"))
    body = FORM | {"start": "2025-12", "end": "2026-01"}
    body.pop("basis")
    api = client.post("/api/v1/calculate", json=body).get_json()
    for version in api["references"]:
        if version["family"] != "base_rounding":
            for document in version["references"]:
                assert document["doc_no"] in basis
    assert "用于 2025-12 至 2026-01" in basis  # the months each document priced
    assert "本服务计算规则" in basis and "四舍五入到元" in basis
    assert "暂按上年度标准" in basis


def test_the_headline_trust_is_that_of_the_documents(client: FlaskClient) -> None:
    _, html = page(client)
    line = text(section(html, '<p class="trust-line">', "</p>"))
    assert "数据可信度： 较可靠" in line or "数据可信度：较可靠" in line
    assert "待核实" not in line  # the rounding convention (trust low, no 文号) does not count


def test_a_rounding_rule_with_a_document_counts_as_a_figure() -> None:
    from service.answer.present import is_service_rule

    rule = {"family": "base_rounding", "references": [{"title": "本服务默认规则", "doc_no": None}]}
    assert is_service_rule(rule)
    assert not is_service_rule(rule | {"references": [{"title": "某省通知", "doc_no": "某人社发〔2026〕1号"}]})
    assert not is_service_rule({"family": "avg_wage", "references": [{"title": "x", "doc_no": None}]})


def test_fields_are_grouped_by_scheme_and_all_shown_without_script(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    fieldset = r'<fieldset class="field [^"]*" data-scheme="([^"]+)"[^>]*>\s*<legend>(.*?)</legend>'
    groups = re.findall(fieldset, html, re.S)
    assert dict((scheme, "适用险种" in legend) for scheme, legend in groups) == {
        "flexible_pension": True,  # each scheme its own choice (issue 19): the pension's tier or base
        "flexible_medical": True,  # medical's own, shaped by what the city needs (issues 15 and 19)
        "outlet_injury": True,
    }
    assert 'data-scheme="resident_medical"' in html
    fields = section(html, '<div class="fields">', "</form>")
    # hidden only by the script; the one exception is the region filter box, which only script can work
    # (issue 10: without script the grouped list itself is the choice)
    assert re.findall(r"<[^>]* hidden[ >]", fields) == ['<div class="region-filter" hidden>']


def test_the_tier_list_stays_a_list_for_a_scheme_not_configured(client: FlaskClient) -> None:
    _, html = page(client, scheme="flexible_medical", base_ratio="1")
    select = section(html, 'id="f-base_ratio"', "</select>")
    tiers = re.findall(r"<option value=\"([0-9.]+)\"[^>]*>([^<]+)</option>", select)
    assert tiers[0] == ("0.6", "60%") and tiers[-1] == ("3", "300%") and ("1", "100%") in tiers


def test_a_ratio_typed_outside_the_list_is_kept_and_written_as_a_percentage(client: FlaskClient) -> None:
    _, html = page(client, base_ratio="0.65")
    assert '<option value="0.65" selected>65%</option>' in html


def test_not_configured_says_whom_to_ask_and_what_is_known(client: FlaskClient) -> None:
    status, html = page(client, scheme="flexible_medical")
    assert status == 422
    answer = text(section(html, 'id="result"', "</section>"))
    assert "南昌市尚未配置灵活就业人员职工基本医疗保险" in answer
    assert "参保地医保经办机构" in answer and "12393" in answer
    tiers = client.get("/api/v1/tiers?region=360100&month=2025-01&scheme=flexible_pension").get_json()["tiers"]
    assert re.search(r'data-testid="known-floor">' + re.escape(tiers[0]["base"]), html)
    assert re.search(r'data-testid="known-ceiling">' + re.escape(tiers[-1]["base"]), html)
    assert "赣人社字〔2025〕150号" in answer and "本服务不作估算" in answer
    assert "各档次对比" not in html  # said once, with whom to ask, not again as a bare notice
    assert 'id="error-summary"' not in html  # no mistake to fix: the field says it, the answer says whom to ask


def test_the_not_configured_message_is_said_once(client: FlaskClient) -> None:
    _, html = page(client, scheme="flexible_medical")
    message = "南昌市2025-01尚未配置“灵活就业人员职工基本医疗保险”参数：没有可查证来源的数据，本服务不作估算。"
    assert text(html).count(message) == 1  # in the answer that says whom to ask
    field = section(html, 'id="e-scheme"', "</p>")
    assert "尚未配置" in field and message not in field  # by the field: a pointer to the answer below


def test_parameters_page_reads_in_chinese(client: FlaskClient) -> None:
    html = client.get("/parameters/360100?month=2025-06").get_data(as_text=True)
    assert 'data-field="rate">20%<' in html and 'data-field="base_ratio_ceiling">300%<' in html
    assert 'data-field="ratio">1%<' in html and 'data-field="avg_wage_monthly">6525 元<' in html
    assert 'data-field="rule">四舍五入到元<' in html and "half_up_yuan" not in html
    assert "适用：缴费比例、计入个人账户比例" in html  # a reference's fields by their labels
    assert "（北京时间）" in html and "bundled files" not in html and "录入：内置参数文件" in html
    assert "本服务计算规则" in html
    assert "请向参保地医保经办机构咨询" in html and "12393" in html
    for family in ("base_rounding", "flexible_pension", "outlet_injury", "resident_medical"):
        for note in re.findall(rf'data-family="{family}".*?<p class="note">说明：(.*?)</p>', html, re.S):
            assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{2,} [A-Za-z]{2,}", note), note


def test_every_rounding_rule_has_a_chinese_name() -> None:
    assert set(BASE_ROUNDING_RULES) <= set(CHOICE_LABELS)
    assert shown_value("base_rounding", "rule", "down_yuan") == CHOICE_LABELS["down_yuan"]
    assert shown_value("flexible_pension", "base_ratio_ceiling", "3") == "300%"
    assert shown_value("flexible_pension", "rate", "0.20") == "20%"
    assert shown_value("avg_wage", "avg_wage_monthly", "6525") == "6525 元"


def test_times_are_shown_in_beijing_time() -> None:
    assert beijing("2026-01-31T16:30:00+00:00") == "2026-02-01 00:30:00（北京时间）"
    assert beijing(datetime(2026, 1, 31, 16, 30)) == "2026-02-01 00:30:00（北京时间）"  # the store's naive UTC
    assert beijing(datetime(2026, 1, 31, 16, 30, tzinfo=UTC)) == "2026-02-01 00:30:00（北京时间）"
    assert beijing(None) == "—"
    assert origin_label("admin form") == "管理页表单" and origin_label("upload 参数.xlsx") == "上传文件 参数.xlsx"


def test_large_text_is_a_cookie_kept_across_pages(client: FlaskClient) -> None:
    html = client.get("/parameters").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    link = re.search(r'<a class="text-size" href="([^"]+)">大字', html)
    assert link
    response = client.get(unescape(link.group(1)))
    assert response.status_code == 303 and response.headers["Location"] == "/parameters"
    assert "text_size=large" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    for path in ("/", "/parameters/360100", "/window", "/outlets", "/login"):
        assert '<html lang="zh-CN" class="large-text">' in client.get(path).get_data(as_text=True), path
    html = client.get("/?" + urlencode(FORM)).get_data(as_text=True)
    back = re.search(r'<a class="text-size" href="([^"]+)">标准字号', html)
    assert back and "next=/?region%3D360100" in unescape(back.group(1))  # back to the same answer
    response = client.get(unescape(back.group(1)))
    assert response.headers["Location"].startswith("/?region=360100")
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "", "javascript:x"])
def test_large_text_never_sends_anyone_elsewhere(app: Flask, client: FlaskClient, target: str) -> None:
    response = client.get("/text-size?" + urlencode({"size": "large", "next": target}))
    assert response.headers["Location"] == "/"
    with app.test_request_context():
        assert local_path(target) == "/"


def test_footer_links_the_api_documentation(app: Flask, client: FlaskClient) -> None:
    for path in ("/", "/parameters", "/window"):
        footer = section(client.get(path).get_data(as_text=True), '<footer class="site">', "</footer>")
        assert 'href="/api/v1/docs"' in footer and "接口文档" in footer
    assert client.get("/api/v1/docs").status_code == 200
