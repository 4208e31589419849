"""The 测算 and 参数 pages as a worker uses them in chromium: the answer in view, the chosen scheme's
fields, whom to ask when a scheme is not configured, 大字 mode across pages, and the footer."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, screenshot

pytestmark = pytest.mark.browser

PENSION = "/?region=360100&scheme=flexible_pension&start=2025-01&end=2025-12&basis=ratio&base_ratio=0.6"
MEDICAL_NANCHANG = "/?region=360100&scheme=flexible_medical&start=2025-01&end=2025-12&basis=ratio&base_ratio=1"
SIZES = {"phone": PHONE, "desktop": DESKTOP}


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide at {page.viewport_size['width']}px"


def tables_fit(page: Any) -> None:
    """Every table of amounts shows all its columns (no sideways scrolling inside the page either)."""
    wide = page.evaluate(
        "[...document.querySelectorAll('.table-wrap')].filter((w) => w.scrollWidth > w.clientWidth + 1)"
        ".map((w) => w.querySelector('table').className)"
    )
    assert not wide, f"tables wider than the screen: {wide}"


def in_view(page: Any, selector: str) -> bool:
    """The element's top is on the screen (not a screen and a half below the form)."""
    top = page.evaluate(f"document.querySelector({selector!r}).getBoundingClientRect().top")
    return -2 <= top < page.viewport_size["height"] / 2


def no_letter_per_line(page: Any, selector: str) -> None:
    """No cell of the elements is so narrow that its text wraps one character per line."""
    narrow = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].filter((el) => {
            const text = el.innerText.trim();
            if (text.length < 3 || !el.getClientRects().length) return false;
            const line = parseFloat(getComputedStyle(el).lineHeight) || 20;
            const tall = el.getBoundingClientRect().height > line * (text.length - 0.5);
            return el.offsetWidth > 2 && el.offsetWidth < 40 && tall;
        }).map((el) => el.innerText.trim())""",
        selector,
    )
    assert not narrow, f"wrapped one character per line: {narrow}"


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_answer_is_brought_into_view_and_focused(page_at: Any, size: str) -> None:
    page = page_at(SIZES[size])
    page.goto("/")
    page.get_by_label("参保地区").select_option("360100")
    page.get_by_label("缴费档次", exact=True).select_option(label="100%")
    page.get_by_label("起始月份").fill("2025-01")
    page.get_by_label("终止月份").fill("2025-12")
    page.get_by_role("button", name="测算").click()
    page.wait_for_url(re.compile(r"region=360100.*#result$"))
    assert page.evaluate("document.activeElement.id") == "result"
    assert in_view(page, "#result")
    assert page.get_by_test_id("total").is_visible()
    # one 依据 list with the 文号, no "依据 v2 v11 v1" in the month rows
    months = page.locator("table.months tbody").inner_text()
    assert "依据" not in months and not re.search(r"\bv\d+\b", months)
    tables_fit(page)
    basis = page.locator("ol.sources").first.inner_text()
    assert "赣人社字〔2025〕150号" in basis and "国发〔2005〕38号" in basis and "用于 2025-01 至 2025-12" in basis
    assert "本服务计算规则" in basis
    # the headline trust is the documents' (较可靠), not the rounding convention's
    assert "数据可信度：较可靠" in page.locator(".trust-line").inner_text()
    no_horizontal_scroll(page)
    screenshot(page, "calculate-answer")
    page.evaluate("document.getElementById('result').scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SCREENSHOTS / f"calculate-answer-screen-{size}.png"))  # what the phone shows


def test_without_script_the_answer_is_still_where_the_page_opens(browser: Any, live_server: str) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, base_url=live_server, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto("/")
        # every scheme's fields are there, each group saying which scheme it is for
        for legend in page.locator("fieldset[data-scheme] legend").all_inner_texts():
            assert "适用险种" in legend
        assert page.get_by_label("参保人数").is_visible() and page.get_by_label("缴费档次", exact=True).is_visible()
        page.get_by_label("参保地区").select_option("360100")
        page.get_by_role("button", name="测算").click()
        page.wait_for_url(re.compile(r"#result$"))
        assert in_view(page, "#result")
        screenshot(page, "calculate-no-script")
    finally:
        context.close()


def test_only_the_chosen_schemes_fields_are_shown(page_at: Any) -> None:
    page = page_at(PHONE)
    page.goto("/")
    scheme = page.get_by_label("险种")
    assert page.get_by_label("缴费档次", exact=True).is_visible()
    assert not page.get_by_label("参保人数").is_visible() and not page.get_by_label("浮动费率系数").is_visible()

    scheme.select_option("outlet_injury")
    assert page.get_by_label("参保人数").is_visible() and page.get_by_label("浮动费率系数").is_visible()
    assert not page.get_by_label("缴费档次", exact=True).is_visible()
    page.get_by_label("参保地区").select_option("360100")
    page.get_by_label("参保人数").fill("12")
    page.get_by_label("浮动费率系数").fill("1.2")
    page.get_by_role("button", name="测算").click()
    page.wait_for_url(re.compile(r"headcount=12"))
    assert "base_ratio" not in page.url  # the pension's fields are not sent
    assert page.get_by_label("参保人数").input_value() == "12"

    scheme.select_option("resident_medical")
    assert not page.get_by_label("参保人数").is_visible() and not page.get_by_label("缴费档次", exact=True).is_visible()
    assert page.locator("p[data-scheme='resident_medical']").is_visible()

    scheme.select_option("flexible_medical")
    options = page.get_by_label("缴费档次", exact=True).locator("option").all_inner_texts()
    assert options[0] == "60%" and options[-1] == "300%" and len(options) > 2
    no_horizontal_scroll(page)
    screenshot(page, "calculate-medical-fields")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_not_configured_says_whom_to_ask_and_what_is_known(page_at: Any, size: str) -> None:
    page = page_at(SIZES[size])
    response = page.goto(MEDICAL_NANCHANG)
    assert response.status == 422
    assert page.evaluate("document.activeElement.id") == "result" and in_view(page, "#result")
    answer = page.locator("#result").inner_text()
    assert "南昌市尚未配置灵活就业人员职工基本医疗保险" in answer
    assert "参保地医保经办机构" in answer and "12393" in answer
    assert page.get_by_test_id("known-floor").inner_text() == "3915.00"
    assert page.get_by_test_id("known-ceiling").inner_text() == "19575.00"
    assert "赣人社字〔2025〕150号" in answer
    assert page.locator(".tiers").count() == 0  # no second, bare notice under 各档次对比
    no_horizontal_scroll(page)
    screenshot(page, f"calculate-not-configured-{size}")


def test_parameters_page_is_in_chinese(page_at: Any, viewport: tuple[str, dict[str, int]]) -> None:
    name, size = viewport
    page = page_at(size)
    page.goto("/parameters/360100?month=2025-06")
    text = page.locator("main").inner_text()
    assert "half_up_yuan" not in text and "四舍五入到元" in text
    assert "缴费比例\n20%" in text or "缴费比例\t20%" in text
    assert "北京时间" in text and "bundled files" not in text
    # notes and sources in Chinese (the average wages' files are issue 10's, translated there)
    for version in page.locator("article.version:not([data-family=avg_wage])").all():
        words = re.findall(r"[A-Za-z]{3,}(?: [A-Za-z]{2,}){2,}", version.inner_text())
        assert not words, f"English in {version.get_attribute('id')}: {words}"
    assert "12393" in text
    no_horizontal_scroll(page)
    screenshot(page, f"parameters-chinese-{name}")


def test_large_text_is_kept_across_pages(page_at: Any) -> None:
    page = page_at(PHONE)
    page.goto(PENSION)
    normal = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.get_by_role("link", name=re.compile("^大字")).click()
    page.wait_for_url(re.compile(r"region=360100"))  # back on the same answer
    large = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert large >= normal * 1.2
    assert page.get_by_test_id("total").is_visible()
    no_horizontal_scroll(page)
    tables_fit(page)
    screenshot(page, "calculate-large-text")
    for path in (
        "/?region=360100&scheme=flexible_pension&start=2025-12&end=2026-01&basis=ratio&base_ratio=1",
        "/?region=360100&scheme=outlet_injury&start=2025-12&end=2026-01&headcount=1200&factor=1.2",
    ):
        page.goto(path)
        no_horizontal_scroll(page)
        tables_fit(page)
    screenshot(page, "calculate-large-text-outlet")
    page.get_by_role("link", name="参数", exact=True).click()
    page.wait_for_url(re.compile(r"/parameters$"))
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") == large
    page.goto("/parameters/530100")
    no_horizontal_scroll(page)
    screenshot(page, "parameters-large-text")
    page.get_by_role("link", name=re.compile("^标准字号")).click()
    page.wait_for_url(re.compile(r"/parameters/530100$"))
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") == normal


def test_footer_links_the_api_documentation(page_at: Any) -> None:
    page = page_at(DESKTOP)
    page.goto("/")
    link = page.locator("footer.site").get_by_role("link", name=re.compile("接口文档"))
    assert link.get_attribute("href") == "/api/v1/docs"
    response = page.request.get("/api/v1/docs")
    assert response.ok


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_api_docs_show_chinese_sections_and_lead_back_to_the_site(page_at: Any, size: dict[str, int]) -> None:
    """Issue 23: Swagger UI's section headings are the tags' Chinese names; a link leads back to the site."""
    page = page_at(size)
    page.goto("/api/v1/docs")
    headings = page.locator(".opblock-tag-section .opblock-tag")
    headings.first.wait_for(state="visible", timeout=30_000)
    names = [re.split(r"\s", text.strip(), maxsplit=1)[0] for text in headings.all_inner_texts()]
    assert names == ["社保缴费测算", "养老金估算", "快递网点批量测算", "参数管理"], names
    back = page.get_by_role("link", name="返回社保缴费测算网站首页")
    assert back.count() == 2  # above the docs, and in the document's own description
    screenshot(page, "api-docs")
    back.first.click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("heading", level=1).count() == 1
