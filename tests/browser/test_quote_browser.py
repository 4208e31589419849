"""The counter quote and the outlet page in Debian's chromium: filled as a clerk would, printed to PDF,
the PDF's pages read back with poppler (pdftotext), and screenshots at 360 px and at a desk."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rates.loader import BUNDLED
from tests.admin_support import PASSWORD, add_user
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, pages, screenshot, serving
from tests.conftest import MEDICAL_FIXTURE
from tests.outlets_support import HEADERS, make_id, workbook_bytes

pytestmark = pytest.mark.browser

OFFICE = "南昌市社会保险事业管理中心（测试）"
PERSON_ID = make_id(7, prefix="360102", birth="19851203")
MASKED = PERSON_ID[:6] + "********" + PERSON_ID[-4:]


@pytest.fixture(scope="module")
def counter_server(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the test-only medical figures (so pension + medical can be quoted) and an office set."""
    from service import create_app

    folder = tmp_path_factory.mktemp("counter")
    rates = folder / "rates"
    shutil.copytree(BUNDLED, rates)
    (rates / "360100").mkdir(exist_ok=True)
    (rates / "360100" / "flexible_medical.yaml").write_text(MEDICAL_FIXTURE, encoding="utf-8")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder / 'counter.sqlite3'}",
            "RATES_DIR": str(rates),
            "QUOTE_OFFICE": OFFICE,
        }
    )
    add_user(app, "clerk1", role="clerk")
    with serving(app) as url:
        yield url


@pytest.fixture
def open_page(browser: Any, counter_server: str) -> Iterator[Any]:
    yield from pages(browser, counter_server)


def fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide at {page.viewport_size['width']}px"


def total_of(page: Any, body: dict[str, Any]) -> Decimal:
    response = page.request.post("/api/v1/calculate", data=body)
    assert response.ok, response.text()
    return Decimal(response.json()["total"])


def fill_quote(page: Any, start: str, end: str, also: str, in_full: bool) -> None:
    page.goto("/window")
    page.get_by_label("参保地区").select_option(label="江西省 · 南昌市")
    page.get_by_label("险种").select_option(label="灵活就业人员企业职工基本养老保险")
    page.get_by_label("起始月份").fill(start)
    page.get_by_label("终止月份").fill(end)
    page.get_by_label("缴费档次", exact=True).select_option(label="60%")
    page.get_by_label(also, exact=True).check()
    page.get_by_label("姓名", exact=True).fill("张三丰")
    page.get_by_label("公民身份号码").fill(PERSON_ID)
    if in_full:
        page.get_by_label("打印完整身份证号").check()
    page.get_by_label("经办人姓名").fill("赵六")


def pdf_pages(pdf: bytes, name: str) -> list[str]:
    """The text of each page (pdftotext), and a PNG of each page in tests/screenshots/ to look at."""
    if not shutil.which("pdftotext") or not shutil.which("pdftoppm"):
        pytest.fail(
            "poppler-utils (pdftotext, pdftoppm) are needed to read the printed quote: apt-get install poppler-utils"
        )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.pdf"
    path.write_bytes(pdf)
    for old in SCREENSHOTS.glob(f"{name}-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "70", "-png", str(path), str(SCREENSHOTS / f"{name}-page")], check=True)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_also_never_offers_the_scheme_chosen_above(open_page: Any) -> None:
    page = open_page(PHONE)
    page.goto("/window")
    pension = page.locator("input[name='also'][value='flexible_pension']")
    medical = page.locator("input[name='also'][value='flexible_medical']")
    page.get_by_label("险种").select_option(label="灵活就业人员企业职工基本养老保险")
    assert not pension.is_visible() and pension.is_disabled() and medical.is_visible()
    page.get_by_label("险种").select_option(label="灵活就业人员职工基本医疗保险")
    assert pension.is_visible() and pension.is_enabled() and not medical.is_visible()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_clerk_quotes_pension_and_medical_for_a_named_person(open_page: Any, size: dict[str, int]) -> None:
    page = open_page(size)
    fill_quote(page, "2025-01", "2025-12", "灵活就业人员职工基本医疗保险", in_full=True)
    fits(page)
    screenshot(page, "window-filled")
    page.get_by_role("button", name="出具测算单").click()
    page.wait_for_url(re.compile(r"/window/quote/[A-Za-z0-9_-]{32}$"))  # the random key (issue 12)

    body = {"region": "360100", "start": "2025-01", "end": "2025-12", "base_ratio": "0.6"}
    total = sum(total_of(page, body | {"scheme": scheme}) for scheme in ("flexible_pension", "flexible_medical"))
    from service.core.rmb import upper

    assert page.get_by_test_id("total").inner_text() == f"{total:.2f}"
    assert page.get_by_test_id("total-upper").inner_text() == upper(total)
    assert page.get_by_test_id("applicant").inner_text() == "张三丰"
    assert page.get_by_test_id("applicant-id").inner_text() == MASKED  # on screen: masked, though printed in full
    assert page.get_by_test_id("office").inner_text() == OFFICE
    assert page.locator("table.months").count() == 2
    assert page.locator("figure.sheet-qr svg").is_visible()
    assert re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}", page.get_by_test_id("check-code").inner_text())
    fits(page)
    screenshot(page, "quote-two-schemes")

    page.emulate_media(media="print")
    assert page.get_by_test_id("applicant-id").inner_text() == PERSON_ID  # the clerk chose the full number
    if size == DESKTOP:
        pages = pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True), "quote-two-schemes")
        first = flat(pages[0])  # a long value may wrap within its cell
        assert PERSON_ID in first and OFFICE in first and upper(total) in first
        for number, text in enumerate(pages, start=1):
            assert f"第 {number} 页，共 {len(pages)} 页" in text
        assert "".join(pages).count("小计 ") == 2 + 2  # each part's heading and its one subtotal row
    page.emulate_media(media="screen")


def test_a_long_quote_prints_page_numbers_and_repeats_the_table_headings(open_page: Any) -> None:
    page = open_page(DESKTOP)
    fill_quote(page, "2022-01", "2031-12", "城乡居民基本医疗保险", in_full=False)
    page.get_by_role("button", name="出具测算单").click()
    page.wait_for_url(re.compile(r"/window/quote/[A-Za-z0-9_-]{32}$"))  # the random key (issue 12)
    assert page.locator("table.months").first.locator("tbody tr").count() == 120
    screenshot(page, "quote-long")

    page.emulate_media(media="print")
    pages = pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True), "quote-long")
    page.emulate_media(media="screen")
    count = len(pages)
    assert count >= 3, f"120 months and a yearly scheme should need several pages, got {count}"
    month_row = re.compile(r"^\s*\d{4}-\d{2}(?: \*)?\s+[\d.]+\s+\d+%", re.M)
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页，共 {count} 页" in text, f"page {number} has no page number:\n{text[-300:]}"
        if month_row.search(text):
            before = text[: month_row.search(text).start()]
            assert re.search(r"月份\s+缴费基数\s+比例\s+金额（元）", before), f"page {number}: no column headings"
    assert MASKED in flat(pages[0]) and PERSON_ID not in flat("".join(pages))  # not chosen: masked on paper too
    assert "人民币（大写）" in pages[0]
    assert any("城乡居民基本医疗保险" in text for text in pages[1:])


def test_outlet_errors_are_cards_on_a_phone_and_a_table_at_a_desk(open_page: Any, tmp_path: Path) -> None:
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(
        workbook_bytes(
            [
                HEADERS,
                ["红谷滩网点", "", "张三", make_id(1), "2025-01", "2025-12", "1", ""],
                ["红谷滩网点", "", "王五", "123", "2025-01", "2025-12", "1", ""],
                ["红谷滩网点", "", "", make_id(3), "2025-13", "2025-12", "五", ""],
            ]
        )
    )
    for size in (PHONE, DESKTOP):
        page = open_page(size)
        page.goto("/outlets")
        region = page.get_by_label("地区")
        options = region.locator("option").all_inner_texts()
        assert "江西省 · 南昌市" in options and not any(re.search(r"\d{6}", o) for o in options)
        page.get_by_label("花名册文件（.xlsx）").set_input_files(str(roster))
        page.get_by_role("button", name="上传并测算").click()
        # a background job since issue 12: its page shows the result once the job is done
        page.wait_for_url(re.compile(r"/outlets/jobs/[A-Za-z0-9_-]{24}$"))
        errors = page.locator("table.outlet-errors")
        errors.wait_for(state="visible", timeout=60_000)
        fits(page)
        message = errors.locator("tbody tr").first.locator("td").nth(3)
        box = message.bounding_box()
        assert box is not None
        line = float(message.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
        display = errors.locator("thead").evaluate("e => getComputedStyle(e).position")
        if size == PHONE:
            assert display == "absolute"  # headings hidden visually: each value carries its own label
            assert box["width"] > 200, box  # the message runs across the card, not one character a line
            assert "说明" in message.evaluate("e => getComputedStyle(e, '::before').content")
        else:
            assert display == "static"
        assert box["height"] < line * 6, f"the message wraps into {box['height'] / line:.0f} lines"
        caption = errors.locator("caption").bounding_box()
        assert caption is not None and caption["height"] < line * 4, caption  # not one character a line
        screenshot(page, "outlets-errors")


# ---------------------------------------------------------------- issue 19: each scheme its own choice

# What the medical block shows for a city, by the rule its notice has (the bundled figures, 2025-08).
MEDICAL_PARTS = {
    "510100": ("avg_ratio", ["医保缴费基数（每月，元）"]),  # 80% of the average: an approved base, or nothing
    "500000": ("yearly_tiers", ["医保缴费档次"]),
    "440100": ("declared", ["医保缴费基数（每月，元）"]),
    "110000": ("fixed_monthly", []),
    "310000": ("ratio_range", ["医保缴费比例档次", "医保缴费基数（每月，元）"]),
}
MEDICAL_INSTRUCTION_WORDS = {
    "avg_ratio": "无需选择",
    "yearly_tiers": "一档或二档",
    "declared": "请填写医保缴费基数",
    "fixed_monthly": "按每月固定金额缴费",
    "ratio_range": "选择医保缴费比例档次",
}
MEDICAL_LABELS = ("医保缴费比例档次", "医保缴费基数（每月，元）", "医保缴费档次")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_medical_block_shows_only_what_the_citys_rule_takes(open_page: Any, size: dict[str, int]) -> None:
    page = open_page(size)
    page.goto("/?region=510100&scheme=flexible_medical&start=2025-08&end=2025-08")
    assert not page.get_by_label("缴费档次", exact=True).is_visible()  # the pension's tier is the pension's
    for region, (need, shown) in MEDICAL_PARTS.items():
        page.get_by_label("参保地区").select_option(region)
        for label in MEDICAL_LABELS:
            assert page.get_by_label(label, exact=True).is_visible() == (label in shown), (region, label)
        assert page.locator("p[data-need='fixed_monthly']").is_visible() == (need == "fixed_monthly"), region
        hint = page.locator("#h-medical").inner_text()  # what the city needs, said for the city chosen here
        assert hint.startswith(page.locator("#f-region option:checked").inner_text().split(" · ")[-1]), hint
        assert MEDICAL_INSTRUCTION_WORDS[need] in hint, (region, hint)
    page.get_by_label("参保地区").select_option("510100")
    fits(page)
    screenshot(page, "calculate-medical-chengdu")
    page.get_by_role("button", name="测算").click()
    page.wait_for_url(re.compile(r"region=510100"))
    alone = total_of(page, {"region": "510100", "scheme": "flexible_medical", "start": "2025-08", "end": "2025-08"})
    assert page.get_by_test_id("total").inner_text() == f"{alone:.2f} 元"  # the default was refused before


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_pension_and_chengdu_medical_each_with_its_own_choice(open_page: Any, size: dict[str, int]) -> None:
    """The counter priced 成都 medical on the pension's typed base (16241.52 for 17984.64) or refused its tier."""
    page = open_page(size)
    page.goto("/window")
    page.get_by_label("参保地区").select_option("510100")
    page.get_by_label("险种").select_option("flexible_pension")
    page.get_by_label("起始月份").fill("2025-01")
    page.get_by_label("终止月份").fill("2025-12")
    medical = page.get_by_label("医保缴费基数（每月，元）")
    assert not medical.is_visible()  # medical not on the quote: its fields are not shown
    page.get_by_label("灵活就业人员职工基本医疗保险", exact=True).check()
    assert medical.is_visible() and not page.get_by_label("医保缴费档次", exact=True).is_visible()
    page.get_by_label("按缴费基数", exact=True).check()
    page.get_by_label("缴费基数（元/月）").fill("4588")
    fits(page)
    screenshot(page, "window-pension-chengdu-medical")
    page.get_by_role("button", name="出具测算单").click()
    page.wait_for_url(re.compile(r"/window/quote/[A-Za-z0-9_-]{32}$"))
    body = {"region": "510100", "start": "2025-01", "end": "2025-12"}
    pension = total_of(page, body | {"scheme": "flexible_pension", "base": "4588"})
    alone = total_of(page, body | {"scheme": "flexible_medical"})
    assert page.get_by_test_id("subtotal").all_inner_texts() == [f"{pension:.2f}", f"{alone:.2f}"]
    assert page.get_by_test_id("total").inner_text() == f"{pension + alone:.2f}" == "17984.64"
    fits(page)
    screenshot(page, "quote-pension-chengdu-medical")


def test_the_medical_block_follows_the_month_typed(open_page: Any) -> None:
    """重庆's yearly tiers end 2025-12: a page drawn for 2026 shows them once a 2025 month is typed."""
    page = open_page(DESKTOP)
    page.goto("/?region=500000&scheme=flexible_medical&start=2026-02&end=2026-02")
    tier = page.get_by_label("医保缴费档次", exact=True)
    assert not tier.is_visible() and "尚未配置" in page.locator("#h-medical").inner_text()
    page.get_by_label("起始月份").fill("2025-03")
    page.get_by_label("起始月份").dispatch_event("change")
    assert tier.is_visible() and "（2025-03）" in page.locator("#h-medical").inner_text()


def zbar(image: Path) -> list[str]:
    """What zbarimg (Debian's zbar-tools) reads off ``image``: the QR codes' texts."""
    if not shutil.which("zbarimg"):
        pytest.fail("zbar-tools (zbarimg) is needed to scan the quote's QR code: apt-get install zbar-tools")
    found = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True)
    return found.stdout.split()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_qr_code_scans_from_the_screen_and_from_paper(open_page: Any, size: dict[str, int]) -> None:
    """Issue 23: the code was cut off (a fixed-size SVG shrunk by CSS) and nothing could read it."""
    page = open_page(size)
    fill_quote(page, "2025-01", "2025-06", "灵活就业人员职工基本医疗保险", in_full=False)
    page.get_by_role("button", name="出具测算单").click()
    page.wait_for_url(re.compile(r"/window/quote/[A-Za-z0-9_-]{32}$"))
    address = page.url
    code = page.locator("figure.sheet-qr svg")
    box = code.bounding_box()
    assert box and box["width"] >= 100 and abs(box["width"] - box["height"]) < 1  # whole and square
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = size["width"]
    shot = SCREENSHOTS / f"quote-qr-screen-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert zbar(shot) == [address]

    if size == DESKTOP:  # paper: chromium's PDF rendered at a scanner's 200 dpi
        page.emulate_media(media="print")
        pdf = SCREENSHOTS / "quote-qr-print.pdf"
        pdf.write_bytes(page.pdf(prefer_css_page_size=True, print_background=True))
        subprocess.run(
            ["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(pdf), str(pdf.with_suffix(""))], check=True
        )
        scanned = sorted(SCREENSHOTS.glob("quote-qr-print-*1.png"))
        assert scanned and zbar(scanned[-1]) == [address]
        page.emulate_media(media="screen")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_paper_quote_is_verified_and_the_next_one_keeps_the_clerks_choices(
    open_page: Any, size: dict[str, int]
) -> None:
    """Issue 23: /verify by serial and check code; 再出一张 keeps region, scheme, months and clerk."""
    page = open_page(size)
    fill_quote(page, "2025-02", "2025-07", "灵活就业人员职工基本医疗保险", in_full=False)
    page.get_by_role("button", name="出具测算单").click()
    page.wait_for_url(re.compile(r"/window/quote/[A-Za-z0-9_-]{32}$"))
    serial = page.get_by_test_id("serial").inner_text()
    code = page.get_by_test_id("check-code").inner_text()
    total = page.get_by_test_id("total").inner_text()

    page.get_by_test_id("again").click()
    assert page.get_by_label("参保地区").evaluate("s => s.options[s.selectedIndex].text") == "江西省 · 南昌市"
    assert page.get_by_label("起始月份").input_value() == "2025-02"
    assert page.get_by_label("终止月份").input_value() == "2025-07"
    assert page.get_by_label("经办人姓名").input_value() == "赵六"
    assert page.get_by_label("灵活就业人员职工基本医疗保险", exact=True).is_checked()
    assert page.get_by_label("姓名", exact=True).input_value() == ""  # the next person starts empty
    fits(page)
    screenshot(page, "window-again")

    page.goto("/verify")
    page.get_by_role("textbox", name="测算单编号").fill(serial)
    page.get_by_role("textbox", name="校验码").fill(code.lower().replace("-", ""))
    page.get_by_role("button", name="核验").click()
    assert page.get_by_test_id("verify-total").inner_text() == total
    assert "一致" in page.get_by_test_id("verify-result").inner_text()
    fits(page)
    screenshot(page, "verify-match")
    page.get_by_role("textbox", name="校验码").fill("AAAA-AAAA")
    page.get_by_role("button", name="核验").click()
    assert "不一致" in page.get_by_test_id("verify-result").inner_text()
    assert page.get_by_test_id("verify-total").count() == 0
    screenshot(page, "verify-mismatch")

    page.goto("/window/quotes")
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_label("用户名").fill("clerk1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto("/window/quotes")
    page.get_by_label("编号或姓名").fill(serial)
    page.get_by_role("button", name="查找").click()
    rows = page.get_by_test_id("quote-list").locator("tbody tr")
    assert rows.count() == 1 and total in rows.inner_text()
    fits(page)
    screenshot(page, "quote-list")
    rows.get_by_role("link", name=re.compile("打开")).click()
    assert page.get_by_test_id("serial").inner_text() == serial
