"""The counter quote (窗口测算单): the person it is for, several schemes, 大写, office, QR and check code."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from html import unescape
from pathlib import Path

import openpyxl
import pytest
import segno
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from service import create_app
from service.answer.present import CHINA
from service.core import migrate
from service.core.db import make_engine, store
from service.core.rmb import upper
from service.counter.quotes import IssuedQuote, check_id, make_check_code, mask_id, view
from tests.outlets_support import make_id
from tests.test_pages import FORM, api_quote, field_error, text_of

PERSON_ID = make_id(7, prefix="360102", birth="19851203")
MASKED = PERSON_ID[:6] + "********" + PERSON_ID[-4:]


def post(client: FlaskClient, **changes: str | list[str]) -> tuple[int, str, str | None]:
    response = client.post("/window", data=FORM | {"clerk": "王五", "csrf_token": ""} | changes)
    location = response.headers.get("Location")
    return response.status_code, response.get_data(as_text=True), location


def issue(client: FlaskClient, **changes: str | list[str]) -> tuple[str, str]:
    status, body, location = post(client, **changes)
    assert status == 303, body
    assert location
    return location.rsplit("/", 1)[1], client.get(location).get_data(as_text=True)


def upper_of(html: str) -> str:
    match = re.search(r'data-testid="total-upper">([^<]+)</strong>', html)
    assert match, "no amount in capitals"
    return match[1]


def stored(app: Flask) -> list[IssuedQuote]:
    with app.app_context(), Session(store().engine) as session:
        return list(session.query(IssuedQuote).order_by(IssuedQuote.id))


def test_id_numbers_are_checked_and_masked() -> None:
    assert check_id(f" {PERSON_ID.lower()} ") == PERSON_ID.upper()
    assert mask_id(PERSON_ID) == MASKED and mask_id(MASKED) == MASKED
    with pytest.raises(ValueError, match="18位"):
        check_id("36010219851203")
    with pytest.raises(ValueError, match="校验"):
        check_id(PERSON_ID[:-1] + ("0" if PERSON_ID[-1] != "0" else "1"))


def test_the_quote_names_the_person_with_the_id_masked_on_screen_and_in_the_store(app: Flask) -> None:
    client = app.test_client()
    serial, html = issue(client, applicant_name="张三丰", applicant_id=PERSON_ID)
    assert text_of(html, "applicant") == "张三丰"
    assert text_of(html, "applicant-id") == MASKED
    assert PERSON_ID not in html  # not chosen for the print: the full number is nowhere, not even hidden
    (row,) = stored(app)
    assert row.applicant_id == MASKED and row.id_in_full is False  # only what the print shows is kept
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"/window/quote/{serial}.xlsx").data)).active
    cells = {str(r[0].value): r for r in workbook.iter_rows() if r[0].value is not None}
    assert cells["参保人"][1].value == "张三丰" and cells["公民身份号码"][1].value == MASKED


def test_the_id_is_printed_in_full_only_when_the_clerk_chooses(app: Flask) -> None:
    client = app.test_client()
    _, html = issue(client, applicant_name="张三丰", applicant_id=PERSON_ID, id_in_full="1")
    shown = re.search(r'data-testid="applicant-id">(.*?)</dd>', html, re.S)
    assert shown
    assert f'<span class="screen-only">{MASKED}</span><span class="print-only">{PERSON_ID}</span>' in shown[1]
    (row,) = stored(app)
    assert row.applicant_id == PERSON_ID and row.id_in_full is True


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"applicant_id": "3601021985"}, "公民身份号码须为18位（现为10位）"),
        ({"applicant_id": PERSON_ID[:-1] + ("0" if PERSON_ID[-1] != "0" else "1")}, "校验不通过"),
        ({"id_in_full": "1"}, "请填写公民身份号码"),
    ],
)
def test_a_wrong_id_is_said_next_to_the_field_and_nothing_is_stored(
    app: Flask, changes: dict[str, str], message: str
) -> None:
    status, html, _ = post(app.test_client(), applicant_name="李四", **changes)
    assert status == 422
    assert message in (field_error(html, "applicant_id") or "")
    assert 'value="李四"' in html and 'href="#f-applicant_id"' in html
    assert stored(app) == []


def test_pension_and_medical_on_one_quote(medical_app: Flask) -> None:
    client = medical_app.test_client()
    serial, html = issue(client, also=["flexible_medical"])
    pension = api_quote(client, **{k: v for k, v in FORM.items() if k != "basis"})
    medical = api_quote(client, **({k: v for k, v in FORM.items() if k != "basis"} | {"scheme": "flexible_medical"}))
    total = Decimal(pension["total"]) + Decimal(medical["total"])
    assert text_of(html, "total") == f"{total:.2f}"
    assert upper_of(html) == upper(total)
    assert re.findall(r'data-testid="subtotal">([^<]+)<', html) == [pension["total"], medical["total"]]
    assert text_of(html, "schemes") == "灵活就业人员企业职工基本养老保险、灵活就业人员职工基本医疗保险"
    assert html.count('<table class="months compact">') == 2
    assert "固定附加费" in html  # the medical part's own breakdown
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"/window/quote/{serial}.xlsx").data)).active
    cells = {str(r[0].value): r for r in workbook.iter_rows() if r[0].value is not None}
    assert f"{cells['合计'][3].value:.2f}" == f"{total:.2f}" and cells["合计（大写）"][1].value == upper(total)
    assert [r[3].value for r in workbook.iter_rows() if r[0].value == "小计"] == [
        float(pension["total"]),
        float(medical["total"]),
    ]
    rates = [r[2] for r in workbook.iter_rows() if r[0].value == "2025-01"]
    assert [(c.value, c.number_format) for c in rates] == [(0.2, "0.00%"), (0.08, "0.00%")]


def test_resident_medical_joins_a_pension_quote_without_a_tier(client: FlaskClient) -> None:
    _, html = issue(client, also=["resident_medical"], end="2026-12")
    pension = api_quote(
        client, region="360100", scheme="flexible_pension", start="2025-01", end="2026-12", base_ratio="0.6"
    )
    resident = api_quote(client, region="360100", scheme="resident_medical", start="2025-01", end="2026-12")
    assert text_of(html, "total") == f"{Decimal(pension['total']) + Decimal(resident['total']):.2f}"
    assert "2026年" in html and "城乡居民基本医疗保险" in html


def test_a_ticked_scheme_that_is_not_configured_is_refused_next_to_it(app: Flask) -> None:
    status, html, _ = post(app.test_client(), also=["flexible_medical"])
    assert status == 422
    assert "尚未配置“灵活就业人员职工基本医疗保险”" in (field_error(html, "also") or "")
    assert 'id="f-also-flexible_medical" name="also" value="flexible_medical" checked' in html
    assert stored(app) == []


def test_the_outlet_premium_is_quoted_on_its_own(app: Flask) -> None:
    status, html, _ = post(app.test_client(), scheme="outlet_injury", headcount="3", also=["flexible_pension"])
    assert status == 422 and "须单独出具" in (field_error(html, "also") or "")


def test_the_office_is_printed_as_it_was_when_the_quote_was_issued(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "QUOTE_OFFICE": "南昌市社会保险事业管理局红谷滩分局"})
    assert "出具单位：南昌市社会保险事业管理局红谷滩分局" in app.test_client().get("/window").get_data(as_text=True)
    serial, html = issue(app.test_client())
    assert text_of(html, "office") == "南昌市社会保险事业管理局红谷滩分局"
    later = create_app({"TESTING": True, "DATABASE_URL": url, "QUOTE_OFFICE": "另一个经办机构"})
    assert text_of(later.test_client().get(f"/window/quote/{serial}").get_data(as_text=True), "office") == (
        "南昌市社会保险事业管理局红谷滩分局"
    )


def test_without_an_office_the_print_has_a_line_for_the_stamp(client: FlaskClient) -> None:
    _, html = issue(client)
    assert re.search(r'data-testid="office"><span class="sign"></span></dd>', html)
    assert "未设置（打印后盖章" in client.get("/window").get_data(as_text=True)


def svg_of(html: str) -> str:
    match = re.search(r'<figure class="sheet-qr">\s*(<svg.*?</svg>)', html, re.S)
    assert match, "no QR code"
    return match[1]


def test_the_qr_code_leads_back_to_the_quote(tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'qr.sqlite3'}",
            "QUOTE_BASE_URL": "https://shebao.example.cn/",
        }
    )
    client = app.test_client()
    serial, html = issue(client)
    expected = segno.make(f"https://shebao.example.cn/window/quote/{serial}", error="m")
    title = "测算单二维码：扫码查看原件"
    svg = expected.svg_inline(scale=4, border=4, dark="#000", light="#fff", omitsize=True, title=title)
    assert svg_of(html) == svg
    assert svg.startswith("<svg viewBox=") and "width=" not in svg  # scaled by CSS as a whole (issue 23)
    assert "http" not in unescape(svg_of(html)).replace("http://www.w3.org/2000/svg", "")  # drawn, not linked


def test_without_a_base_url_the_qr_code_holds_the_address_the_clerk_used(client: FlaskClient) -> None:
    serial, html = issue(client)
    expected = segno.make(f"http://localhost/window/quote/{serial}", error="m")
    assert svg_of(html) == expected.svg_inline(
        scale=4, border=4, dark="#000", light="#fff", omitsize=True, title="测算单二维码：扫码查看原件"
    )


def test_the_check_code_binds_serial_time_person_and_total(app: Flask) -> None:
    client = app.test_client()
    serial, html = issue(client, applicant_id=PERSON_ID)
    (row,) = stored(app)
    assert serial != row.serial and row.serial in html  # the link carries the random key; the print, the serial
    serial = row.serial
    code = text_of(html, "check-code")
    assert re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}", code) and row.check_code == code
    issued_at = row.issued_at.replace(tzinfo=UTC)
    secret = app.config["SECRET_KEY"]
    total = text_of(html, "total")
    assert make_check_code(secret, serial, issued_at, MASKED, total) == code
    assert make_check_code(secret, serial, issued_at, MASKED, str(Decimal(total) + 1)) != code
    assert make_check_code("another secret", serial, issued_at, MASKED, total) != code


def test_a_quote_stored_before_several_schemes_still_prints(app: Flask) -> None:
    """Rows written by the previous version: one request and one answer, no person, no check code."""
    client = app.test_client()
    answer = api_quote(client, **{k: v for k, v in FORM.items() if k != "basis"})
    with app.app_context(), Session(store().engine) as session, session.begin():
        session.add(
            IssuedQuote(
                serial="20251124-000099",
                access_key="k" * 32,  # every stored quote has one since migration 0004 (issue 12)
                issued_at=datetime(2025, 11, 24, 2, 0, tzinfo=UTC),
                clerk="王五",
                request=json.dumps({k: v for k, v in FORM.items() if k != "basis"}),
                result=json.dumps(answer, ensure_ascii=False),
            )
        )
    html = client.get("/window/quote/" + "k" * 32).get_data(as_text=True)
    assert text_of(html, "total") == answer["total"] and upper_of(html) == upper(Decimal(answer["total"]))
    assert 'data-testid="check-code"' not in html


def test_migration_keeps_the_quotes_issued_before_it(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as connection:
        from alembic import command

        command.upgrade(migrate.alembic_config(connection), "0002")
        connection.execute(
            text(
                "INSERT INTO issued_quote (serial, issued_at, clerk, request, result) "
                "VALUES ('20251124-000001', :at, '王五', '{}', :result)"
            ),
            {"at": datetime(2025, 11, 24, tzinfo=UTC), "result": json.dumps(OLD_RESULT)},
        )
    migrate.upgrade(engine)
    with Session(engine) as session:
        row = session.query(IssuedQuote).one()
        assert row.id_in_full is False and row.applicant_id is None and row.check_code is None
        data = view(row)
        assert data["total"] == "783.00" and data["total_upper"] == "柒佰捌拾叁元整" and len(data["parts"]) == 1


OLD_RESULT = {
    "region": "360100",
    "region_name": "南昌市",
    "scheme": "flexible_pension",
    "scheme_label": "灵活就业人员企业职工基本养老保险",
    "start": "2025-01",
    "end": "2025-01",
    "months": [],
    "total": "783.00",
    "breakdown": {},
    "references": [],
    "notes": [],
}


def test_the_person_s_name_is_text_on_the_page_and_in_the_workbook(client: FlaskClient) -> None:
    name = '<script>alert(1)</script>=HYPERLINK("x")'
    serial, html = issue(client, applicant_name=name)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/window/quote/{serial}.xlsx").data)).active
    cell = next(r[1] for r in sheet.iter_rows() if r[0].value == "参保人")
    assert cell.value == name[:60] and cell.data_type == "s"


# ---------------------------------------------------------------- issue 19: one label, the weakest trust


def test_the_service_rule_reads_the_same_on_every_page_quote_and_workbook(client: FlaskClient) -> None:
    """The base rounding was 本服务计算规则 on 测算 and 待核实 on the printed quote (issue 19, defect 5)."""
    label = "缴费基数取整规则"
    serial, html = issue(client)
    row = re.search(rf"<tr[^>]*><td[^>]*>.*?{label}.*?</tr>", html)
    assert row and "本服务计算规则" in row[0] and "待核实" not in row[0]
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"/window/quote/{serial}.xlsx").data)).active
    (cells,) = [r for r in workbook.iter_rows(values_only=True) if r[2] == label]
    assert cells[5] == "本服务计算规则"
    page = client.get("/?" + "&".join(f"{k}={v}" for k, v in FORM.items())).get_data(as_text=True)
    assert "本服务计算规则" in page
    api = api_quote(client, **{k: v for k, v in FORM.items() if k != "basis"})
    (rounding,) = [r for r in api["references"] if r["family"] == "base_rounding"]
    assert rounding["trust_label"] == "本服务计算规则"
    parameters = client.get("/parameters/360100?month=2025-06").get_data(as_text=True)
    assert "本服务计算规则" in parameters


def test_the_trust_shown_is_never_above_the_source_line(client: FlaskClient) -> None:
    """广州 2025-07: floor, ceiling and average quoted by compilations only (据公开汇编转引) were 官方原文."""
    body = {"region": "440100", "scheme": "flexible_pension", "start": "2025-08", "end": "2025-08"}
    answer = api_quote(client, **body, base_ratio="0.7")
    wage = next(r for r in answer["references"] if r["family"] == "avg_wage")
    assert "转引" in wage["references"][0]["source"] and wage["trust_label"] == "较可靠"
    page = client.get("/?" + "&".join(f"{k}={v}" for k, v in (body | {"basis": "ratio", "base_ratio": "0.7"}).items()))
    line = re.search(r'<p class="trust-line">(.*?)</p>', page.get_data(as_text=True), re.S)
    assert line and 'trust-medium">较可靠<' in line[1] and ">官方原文<" not in line[1]


# ---------------------------------------------------------------- issue 19: each part its own choice

CHENGDU = {"region": "510100", "start": "2025-01", "end": "2025-12"}


@pytest.mark.parametrize(
    ("pension_choice", "pension_alone"),
    [
        ({"basis": "ratio", "base_ratio": "0.6"}, {"base_ratio": "0.6"}),  # was refused: 无需选择缴费档次
        ({"basis": "base", "base": "4588", "base_ratio": "0.6"}, {"base": "4588"}),  # medical was priced on 4588
    ],
)
@pytest.mark.parametrize("medical_block", [{"medical_form": "1"}, {}])  # as the form sends it; a hand-made post
def test_pension_and_chengdu_medical_each_priced_with_its_own_choice(
    client: FlaskClient,
    pension_choice: dict[str, str],
    pension_alone: dict[str, str],
    medical_block: dict[str, str],
) -> None:
    """Each part of a counter quote equals what its scheme answers alone (POST /api/v1/calculate) with its own
    choice: the pension its tier or base, 成都's medical none (its base is 80% of 四川's average)."""
    form = CHENGDU | {"scheme": "flexible_pension", "also": ["flexible_medical"]} | pension_choice | medical_block
    serial, html = issue(client, **form)
    pension = api_quote(client, **CHENGDU, scheme="flexible_pension", **pension_alone)
    medical = api_quote(client, **CHENGDU, scheme="flexible_medical")
    assert re.findall(r'data-testid="subtotal">([^<]+)<', html) == [pension["total"], medical["total"]]
    total = Decimal(pension["total"]) + Decimal(medical["total"])
    assert text_of(html, "total") == f"{total:.2f}"
    if pension_alone == {"base": "4588"}:
        assert f"{total:.2f}" == "17984.64"  # the issue's figure: 16241.52 when medical took the pension's 4588
    assert re.findall(r'data-testid="part-choice">([^<]+)<', html) == (
        ["缴费档次：60%"] if "base_ratio" in pension_alone else []
    )
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"/window/quote/{serial}.xlsx").data)).active
    assert [r[3].value for r in workbook.iter_rows() if r[0].value == "小计"] == [
        float(pension["total"]),
        float(medical["total"]),
    ]


def test_medical_first_and_the_pension_ticked_each_keep_their_own_choice(client: FlaskClient) -> None:
    """Medical chosen above with its own base (an approved 成都 base), the pension ticked with its tier."""
    form = CHENGDU | {"scheme": "flexible_medical", "also": ["flexible_pension"], "medical_form": "1"}
    form |= {"medical_base": "6015", "basis": "ratio", "base_ratio": "1"}
    _, html = issue(client, **form)
    medical = api_quote(client, **CHENGDU, scheme="flexible_medical", base="6015")
    pension = api_quote(client, **CHENGDU, scheme="flexible_pension", base_ratio="1")
    assert re.findall(r'data-testid="subtotal">([^<]+)<', html) == [medical["total"], pension["total"]]


def test_a_declared_medical_base_is_asked_for_in_chinese_next_to_its_own_field(client: FlaskClient) -> None:
    """广州 asks for a declared base: the medical part says so by its own field, never by the pension's."""
    form = {"region": "440100", "start": "2025-08", "end": "2025-08", "scheme": "flexible_pension"}
    form |= {"also": ["flexible_medical"], "medical_form": "1", "basis": "ratio", "base_ratio": "0.6"}
    status, html, _ = post(client, **form)
    assert status == 422
    message = field_error(html, "medical_base") or ""
    assert "请填写缴费基数" in message and not re.search(r"[A-Za-z_]", message)
    assert field_error(html, "base_ratio") is None and field_error(html, "base") is None


# ---------------------------------------------------------------- issue 23: the counter end to end


def test_the_download_is_named_in_chinese_for_every_browser(client: FlaskClient) -> None:
    serial, html = issue(client)
    response = client.get(f"/window/quote/{serial}.xlsx")
    printed = re.search(r'data-testid="serial">([^<]+)<', html)
    assert printed
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''%E6%B5%8B%E7%AE%97%E5%8D%95-{printed[1]}.xlsx" in disposition  # 测算单-<serial>
    assert "quote-" not in disposition


def test_versions_are_marks_a_clerk_can_read_with_their_legend(client: FlaskClient) -> None:
    serial, html = issue(client, region="510100", also=["flexible_medical"])  # 成都: medical configured
    marks = re.findall(r'<td class="marks">(.*?)</td>', html)
    assert marks and all(re.fullmatch(r'(<a href="#mark-\d+" title="参数版本 v\d+">[①-⑳]</a>)+', m) for m in marks)
    legend = re.findall(r'<tr id="mark-(\d+)"><td data-label="标记"><span class="mark-big">([①-⑳])</span>', html)
    assert [mark for _, mark in legend] == list("①②③④⑤⑥⑦⑧⑨⑩")[: len(legend)]  # in order, each once
    for vid, mark in legend:  # a month's mark leads to its line of the legend
        assert f'<a href="#mark-{vid}" title="参数版本 v{vid}">{mark}</a>' in html
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/window/quote/{serial}.xlsx").data)).active
    rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row[0] == "参数版本与文号")
    assert [row[1] for row in rows[header + 1 : header + 1 + len(legend)]] == [mark for _, mark in legend]
    month_marks = {row[5] for row in rows[:header] if row[0] and re.fullmatch(r"\d{4}-\d{2}", str(row[0]))}
    assert month_marks and all(m and set(m) <= {mark for _, mark in legend} for m in month_marks)


def test_issue_another_keeps_region_scheme_months_choice_and_clerk(client: FlaskClient) -> None:
    changes = {"region": "510100", "start": "2025-03", "end": "2025-08", "base_ratio": "0.8"}
    _serial, html = issue(client, also=["flexible_medical"], **changes)
    link = re.search(r'href="(/window\?[^"]+)" data-testid="again"', html)
    assert link
    form = client.get(unescape(link[1])).get_data(as_text=True)
    assert re.search(r'<option value="510100"[^>]*selected', form)
    assert 'value="2025-03"' in form and 'value="2025-08"' in form
    assert re.search(r'<option value="0.8"[^>]*selected', form)
    assert re.search(r'name="clerk"[^>]*value="王五"', form)
    assert re.search(r'value="flexible_medical"\s+checked', form)
    assert 'name="applicant_name" maxlength="60" autocomplete="off" value=""' in form  # the next person: empty


def test_the_workbook_carries_the_pension_estimate(client: FlaskClient) -> None:
    form = FORM | {"region": "530100", "start": "2026-01", "end": "2026-12", "base_ratio": "0.6"}
    form |= {"birth_month": "1985-03", "category": "male", "clerk": "张三", "csrf_token": ""}
    response = client.post("/window", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(response.headers["Location"] + ".xlsx").data)).active
    rows = [row for row in sheet.iter_rows(values_only=True)]
    title = next(i for i, row in enumerate(rows) if str(row[0]).startswith("养老金估算"))
    assert "1985-03出生" in rows[title][0]
    assert (rows[title + 1][0], str(rows[title + 1][1])[:7]) == ("退休时间", "2048-03")
    header = next(i for i in range(title, len(rows)) if rows[i][0] == "档次")
    printed = re.findall(
        r'<tr><th scope="row">(\d+%)</th>(?:<td class="num">[^<]*</td>){4}<td class="num">([^<]+)</td>', html
    )
    tiers = [(row[0], f"{row[5]:.2f}") for row in rows[header + 1 : header + 1 + len(printed)]]
    assert printed and tiers == printed  # each tier's 月养老金 as the printed quote shows it


# ---------------------------------------------------------------- /verify and /window/quotes (issue 23)


def check_code_of(html: str) -> str:
    match = re.search(r'data-testid="check-code">([^<]+)<', html)
    assert match
    return match[1]


def serial_of(html: str) -> str:
    match = re.search(r'data-testid="serial">([^<]+)<', html)
    assert match
    return match[1]


def test_verify_says_match_with_the_stored_figures(client: FlaskClient) -> None:
    _key, html = issue(client, applicant_name="李四")
    serial, code = serial_of(html), check_code_of(html)
    typed = code.replace("-", " ").lower()  # as read out: spaces, lower case
    page = client.post("/verify", data={"serial": f" {serial} ", "code": typed, "csrf_token": ""})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "一致" in text and "不一致" not in text
    total = re.search(r'data-testid="total">([^<]+)<', html)
    assert total and f'data-testid="verify-total">{total[1]}<' in text
    assert "李四" in text and serial in text


def test_verify_says_mismatch_and_shows_nothing(client: FlaskClient) -> None:
    _key, html = issue(client, applicant_name="李四")
    serial, code = serial_of(html), check_code_of(html)
    wrong = ("A" if code[0] != "A" else "B") + code[1:]
    for asked in ({"serial": serial, "code": wrong}, {"serial": "20000101-000001", "code": code}):
        text = client.post("/verify", data=asked | {"csrf_token": ""}).get_data(as_text=True)
        assert "不一致" in text and "李四" not in text and 'data-testid="verify-total"' not in text


def test_verify_says_what_to_fix_in_chinese(client: FlaskClient) -> None:
    response = client.post("/verify", data={"serial": "abc", "code": "12", "csrf_token": ""})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "例如 20261203-000001" in text and "例如 D7ES-R68N" in text


def test_verify_is_rate_limited_like_the_login(app: Flask, client: FlaskClient) -> None:
    app.config["VERIFY_MAX_FAILURES"] = 3
    _key, html = issue(client)
    serial, code = serial_of(html), check_code_of(html)
    wrong = ("A" if code[0] != "A" else "B") + code[1:]
    statuses = [client.post("/verify", data={"serial": serial, "code": wrong}).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = client.post("/verify", data={"serial": serial, "code": code})  # even the right code now waits
    assert refused.status_code == 429 and "次数过多" in refused.get_data(as_text=True)
    # the login's own limit is untouched: verification failures are counted apart
    assert client.post("/login", data={"username": "nobody", "password": "x"}).status_code == 401


def test_issuing_a_quote_is_in_the_audit_log(app: Flask, client: FlaskClient) -> None:
    from rates import audit

    _key, html = issue(client)
    with app.app_context(), Session(store().engine) as session:
        entry = audit.entries(session, action="quote_issue")[0]
    assert entry.action_label == "出具测算单" and entry.target == f"测算单 {serial_of(html)}"
    assert entry.actor == "窗口（未登录）：王五" and entry.after and entry.after["经办人"] == "王五"


def test_recent_quotes_are_for_clerks_only_and_searchable(app: Flask, client: FlaskClient) -> None:
    from tests.admin_support import PASSWORD, add_user

    first_key, first = issue(client, applicant_name="李四")
    _second_key, second = issue(client, applicant_name="赵六")
    assert client.get("/window/quotes").status_code == 302  # the public goes to the login page
    add_user(app, "clerk1", role="clerk")
    client.post("/login", data={"username": "clerk1", "password": PASSWORD})
    listing = client.get("/window/quotes").get_data(as_text=True)
    listing = listing[listing.index('data-testid="quote-list"') :]  # the table, not the form's example
    assert listing.index(serial_of(second)) < listing.index(serial_of(first))  # newest first
    found = client.get("/window/quotes", query_string={"q": "李四"}).get_data(as_text=True)
    assert serial_of(first) in found and serial_of(second) not in found
    assert f'href="/window/quote/{first_key}"' in found and f'href="/window/quote/{first_key}.xlsx"' in found
    today = datetime.now(UTC).astimezone(CHINA).strftime("%Y-%m-%d")
    assert serial_of(first) in client.get("/window/quotes", query_string={"date": today}).get_data(as_text=True)
    none = client.get("/window/quotes", query_string={"date": "2000-01-01"}).get_data(as_text=True)
    assert "没有符合条件的测算单" in none
    bad = client.get("/window/quotes", query_string={"date": "12/03"})
    assert bad.status_code == 422 and "例如 2026-12-03" in bad.get_data(as_text=True)
