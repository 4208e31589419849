"""The pages in Debian's chromium: forms filled as a person would, amounts checked against the API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.outlets_support import HEADERS, make_credit_code, make_id, workbook_bytes

pytestmark = pytest.mark.browser

A4_POINTS = (595.92, 842.88)


def api(page: Any, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = page.request.post(path, data=body) if body is not None else page.request.get(path)
    assert response.ok, response.text()
    return response.json()


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide at {page.viewport_size['width']}px"


def money(text: str) -> str:
    return re.sub(r"[\s元]", "", text)


def test_worker_compares_tiers_on_a_phone(page_at: Any) -> None:
    page = page_at(PHONE)
    page.goto("/")
    page.get_by_label("参保地区").select_option(label="江西省 · 南昌市")
    page.get_by_label("险种").select_option(label="灵活就业人员企业职工基本养老保险")
    page.get_by_label("按缴费档次").check()
    page.get_by_label("缴费档次", exact=True).select_option(label="100%")
    page.get_by_label("起始月份").fill("2025-01")
    page.get_by_label("终止月份").fill("2025-12")
    page.get_by_role("button", name="测算").click()
    page.wait_for_url(re.compile(r"region=360100"))

    expected = api(
        page,
        "/api/v1/calculate",
        {"region": "360100", "scheme": "flexible_pension", "start": "2025-01", "end": "2025-12", "base_ratio": "1"},
    )
    assert money(page.get_by_test_id("total").inner_text()) == expected["total"]
    assert money(page.get_by_test_id("monthly").inner_text()) == expected["months"][0]["amount"]
    breakdown = page.locator("table.breakdown")
    assert (
        money(breakdown.locator("[data-part=personal_account]").inner_text())
        == expected["breakdown"]["personal_account"]
    )
    lowest = {"official": 0, "medium": 1, "low": 2}
    # the headline trust is the documents'; the service's rounding convention (no 文号) is no figure
    documented = [v for v in expected["references"] if any(r.get("doc_no") for r in v["references"])]
    worst = max(documented, key=lambda v: lowest[v["trust"]])["trust_label"]
    assert f"数据可信度：{worst}" in page.locator(".trust-line").inner_text()

    tiers = api(page, "/api/v1/tiers?region=360100&scheme=flexible_pension&month=2025-01")["tiers"]
    rows = page.locator("table.tier-table tbody tr")
    assert rows.count() == len(tiers)
    for index in (0, len(tiers) - 1):
        cells = rows.nth(index).locator("th, td").all_inner_texts()
        assert [c.strip().rstrip("*").strip() for c in cells] == [
            tiers[index]["percent"],
            tiers[index]["base"],
            tiers[index]["monthly"],
            tiers[index]["yearly"],
        ]
    assert page.locator("figure.chart svg rect").count() == len(tiers)
    assert page.locator("figure.chart svg title").text_content().endswith("全年缴费额")
    no_horizontal_scroll(page)
    screenshot(page, "calculate-result")

    # every figure is traceable: an entry of the 依据 list opens the 参数 page at that version
    link = page.locator("ol.sources").first.locator("a.vlink").first
    anchor = link.get_attribute("href").split("#")[1]
    link.click()
    page.wait_for_url(re.compile(rf"/parameters/360100#{anchor}$"))
    version = page.locator(f"#{anchor}")
    assert version.is_visible() and "文号" in version.inner_text()
    assert re.search(r"官方原文|较可靠|待核实", version.inner_text())


def test_provisional_months_are_flagged_on_screen(page_at: Any) -> None:
    page = page_at(DESKTOP)
    page.goto("/?region=360100&scheme=flexible_pension&start=2026-01&end=2026-03&basis=ratio&base_ratio=0.6")
    assert page.locator("table.months tr.is-provisional").count() == 3
    assert page.locator(".provisional-notice").first.is_visible()
    assert "暂按上年度标准" in page.locator("table.months tr.is-provisional").first.inner_text()


def test_errors_are_shown_next_to_the_field_and_input_is_kept(page_at: Any) -> None:
    page = page_at(PHONE)
    page.goto("/")
    page.get_by_label("参保地区").select_option("360100")
    page.get_by_label("按缴费基数").check()
    page.get_by_label("缴费基数（元/月）").fill("五千")
    page.get_by_role("button", name="测算").click()
    page.wait_for_url(re.compile(r"base="))
    assert page.locator("#e-base").inner_text().endswith("“五千”不是数字。")
    assert page.get_by_label("缴费基数（元/月）").input_value() == "五千"
    assert page.get_by_label("缴费基数（元/月）").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "error-summary"
    screenshot(page, "calculate-error")

    page.get_by_label("缴费基数（元/月）").fill("100")  # a number, but below the floor: the engine says so
    page.get_by_role("button", name="测算").click()
    page.wait_for_url(re.compile(r"base=100"))
    assert "缴费基数须在" in page.locator("#e-base").inner_text()

    page.get_by_label("缴费基数（元/月）").fill("5000")
    page.get_by_label("终止月份").fill("2020-01")
    page.get_by_role("button", name="测算").click()
    page.wait_for_url(re.compile(r"end=2020-01"))
    assert page.locator("#e-end").inner_text().endswith("终止月份不能早于起始月份，请修改终止月份。")
    assert page.get_by_label("缴费基数（元/月）").input_value() == "5000"


def focus_order(page: Any, stop: str, limit: int = 60) -> list[str]:
    """Ids (or names) of the elements Tab visits from the top of the page, until ``stop``."""
    order: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        name = page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")
        if not order or order[-1] != name:  # Tab also steps through a month field's parts
            order.append(name)
        if name == stop:
            return order
    raise AssertionError(f"Tab never reached {stop}: {order}")


def test_clerk_issues_prints_and_downloads_a_quote_with_the_keyboard_alone(page_at: Any, tmp_path: Path) -> None:
    page = page_at(DESKTOP, accept_downloads=True)
    page.goto("/window")
    page.locator("body").focus()
    order = focus_order(page, "f-region-filter")  # the region filter comes first (31 provinces)
    assert order[0] == "跳到正文"
    page.keyboard.type("南昌")
    page.keyboard.press("Enter")  # to the narrowed list, where 南昌市 is the one left and chosen
    assert page.evaluate("document.activeElement.id") == "f-region"
    assert page.get_by_label("参保地区").input_value() == "360100"
    rest = focus_order(page, "f-clerk")
    assert rest == [
        "f-scheme",
        "f-start",
        "f-end",
        "f-basis-ratio",
        "f-base_ratio",
        "f-base",
        # a pension's form: the outlet's headcount and factor and the medical tier are hidden (forms.js),
        # and 另加险种 does not offer the pension chosen above
        "f-also-flexible_medical",
        "f-also-resident_medical",
        "f-applicant_name",
        "f-applicant_id",
        "f-id_in_full",
        "f-birth_month",  # the optional 养老金估算 block (issue 11), its extra fields folded away
        "f-category",
        "已有缴费记录、弹性退休与假设",
        "f-clerk",
    ]
    page.keyboard.type("赵六")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/window/quote/[A-Za-z0-9_-]{32}$"))  # a random key, not the serial

    serial = page.get_by_test_id("serial").inner_text()
    assert re.fullmatch(r"\d{8}-\d{6}", serial) and serial not in page.url
    quote = page.locator(".quote-sheet")
    start, end = re.search(r"(\d{4}-\d{2}) 至 (\d{4}-\d{2})", quote.inner_text()).groups()
    expected = api(
        page,
        "/api/v1/calculate",
        {"region": "360100", "scheme": "flexible_pension", "start": start, "end": end, "base_ratio": "0.6"},
    )
    assert money(page.get_by_test_id("total").inner_text()) == expected["total"]
    assert page.get_by_test_id("clerk").inner_text() == "赵六"
    assert "共12个月" in quote.inner_text()
    for version in expected["references"]:
        assert version["doc_no"] in quote.inner_text()
    screenshot(page, "quote")

    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible() and not page.locator(".toolbar").is_visible()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (tmp_path / "quote.pdf").write_bytes(pdf)
    assert re.findall(rb"/Type\s*/Pages\b.*?/Count (\d+)", pdf, re.S) == [b"1"], "the 12-month quote fits one page"
    box = [float(x) for x in re.search(rb"/MediaBox \[([^\]]+)\]", pdf).group(1).split()]
    assert abs(box[2] - A4_POINTS[0]) < 2 and abs(box[3] - A4_POINTS[1]) < 2, box
    page.emulate_media(media="screen")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel").click()
    path = tmp_path / "quote.xlsx"
    download.value.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    cells = {str(row[0].value): row for row in sheet.iter_rows() if row[0].value is not None}
    assert cells["编号"][1].value == serial
    assert f"{cells['合计'][3].value:.2f}" == expected["total"]
    assert cells["经办人"][1].value == "赵六"


PAGES = {
    "calculate": "/",
    "calculate-tiers": "/?region=530100&scheme=flexible_pension&start=2026-01&end=2026-12&basis=ratio&base_ratio=0.6",
    "window": "/window",
    "parameters-index": "/parameters",
    "parameters": "/parameters/530100",
    "outlets": "/outlets",
}


def test_every_page_fits_the_screen_and_is_photographed(page_at: Any, viewport: tuple[str, dict[str, int]]) -> None:
    _, size = viewport
    page = page_at(size)
    for name, path in PAGES.items():
        response = page.goto(path)
        assert response.status == 200, path
        assert page.locator("nav a[href='/outlets']").count() == 1
        assert page.evaluate("getComputedStyle(document.querySelector('header.site')).display") != "none"
        no_horizontal_scroll(page)
        screenshot(page, name)


def test_outlet_uploads_a_roster_and_downloads_the_result(page_at: Any, tmp_path: Path) -> None:
    page = page_at(DESKTOP, accept_downloads=True)
    if page.goto("/outlets").status == 404:
        pytest.fail("the /outlets page does not exist")
    with page.expect_download() as template:
        page.get_by_role("link", name=re.compile("下载花名册模板")).click()
    template_path = tmp_path / "template.xlsx"
    template.value.save_as(template_path)
    assert openpyxl.load_workbook(template_path).sheetnames

    code = make_credit_code("360100")
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(
        workbook_bytes(
            [
                HEADERS,
                ["红谷滩网点", code, "张三", make_id(1), "2025-01", "2025-12", "1", ""],
                ["红谷滩网点", code, "李四", make_id(2), "2025-01", "2025-06", "1", ""],
                ["红谷滩网点", code, "王五", "123", "2025-01", "2025-12", "1", ""],
            ]
        )
    )
    page.get_by_label("花名册文件（.xlsx）").set_input_files(str(roster))
    page.get_by_role("button", name="上传并测算").click()
    # the upload becomes a background job: its page polls the job and shows the summary once it is done
    page.wait_for_url(re.compile(r"/outlets/jobs/[A-Za-z0-9_-]{24}$"))
    summary = page.locator("section[aria-labelledby=summary-title]")
    summary.wait_for(state="visible", timeout=60_000)
    text = summary.inner_text()
    assert re.search(r"计费 2 行，错误 1 行", text), text
    single = [
        api(
            page,
            "/api/v1/calculate",
            {"region": "360100", "scheme": "outlet_injury", "start": "2025-01", "end": end, "headcount": 1},
        )["total"]
        for end in ("2025-12", "2025-06")
    ]
    from decimal import Decimal

    total = sum((Decimal(t) for t in single), Decimal("0.00"))
    assert f"应缴 {total:,.2f} 元" in text
    assert "公民身份号码" in text or "身份" in text
    screenshot(page, "outlets-result")

    with page.expect_download() as result:
        page.get_by_role("link", name=re.compile("下载结果工作簿")).click()
    result_path = tmp_path / "result.xlsx"
    result.value.save_as(result_path)
    assert len(openpyxl.load_workbook(result_path).sheetnames) >= 2


def test_outlet_job_page_works_without_javascript(page_at: Any, tmp_path: Path) -> None:
    """Without JavaScript the job's page reloads itself (meta refresh) until the summary is there."""
    page = page_at(PHONE, java_script_enabled=False)
    page.goto("/outlets")
    roster = tmp_path / "roster.xlsx"
    rows = [["青山湖网点", "", f"快递员{i}", make_id(i), "2025-01", "2025-06", "1", ""] for i in range(200)]
    roster.write_bytes(workbook_bytes([HEADERS, *rows]))
    page.get_by_label("花名册文件（.xlsx）").set_input_files(str(roster))
    page.get_by_role("button", name="上传并测算").click()
    page.wait_for_url(re.compile(r"/outlets/jobs/[A-Za-z0-9_-]{24}$"))
    first = page.content()
    if "<progress" in first:  # still running when the page was made: the bar and the counts are shown
        assert "已读取" in first and "已测算" in first
        screenshot(page, "outlets-job-progress")
    summary = page.locator("section[aria-labelledby=summary-title]")
    summary.wait_for(state="visible", timeout=60_000)
    assert re.search(r"计费 200 行，错误 0 行", summary.inner_text())
    no_horizontal_scroll(page)
