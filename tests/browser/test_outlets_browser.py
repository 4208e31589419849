"""The 快递网点 page in Debian's chromium, as an outlet manager uses it day to day (issue 23): the browser's
recent uploads, the region kept on the result page, and the result above the form on a phone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.outlets_support import HEADERS, make_id, workbook_bytes

pytestmark = pytest.mark.browser

JOB_PAGE = re.compile(r"/outlets/jobs/[A-Za-z0-9_-]{24}$")


def roster_file(folder: Path, name: str, couriers: int = 2) -> Path:
    rows = [["红谷滩网点", "", f"快递员{i}", make_id(i), "2025-01", "2025-06", "1", ""] for i in range(couriers)]
    path = folder / name
    path.write_bytes(workbook_bytes([HEADERS, *rows]))
    return path


def upload(page: Any, roster: Path) -> str:
    """Choose the file and send it from the page as it stands; the job's page once its result is shown."""
    page.get_by_label("花名册文件（.xlsx）").set_input_files(str(roster))
    page.get_by_role("button", name="上传并测算").click()
    page.wait_for_url(JOB_PAGE)
    page.locator("section[aria-labelledby=summary-title]").wait_for(state="visible", timeout=60_000)
    return page.url


def fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide at {page.viewport_size['width']}px"


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_two_uploads_are_listed_newest_first_with_a_link_to_each(
    page_at: Any, tmp_path: Path, size: dict[str, int]
) -> None:
    page = page_at(size)
    page.goto("/outlets")
    assert page.locator("table.outlet-uploads").count() == 0  # a fresh browser has uploaded nothing
    first = upload(page, roster_file(tmp_path, "一月红谷滩网点花名册.xlsx"))
    second = upload(page, roster_file(tmp_path, "二月红谷滩网点花名册.xlsx", couriers=3))  # from the result page

    page.goto("/outlets")
    table = page.locator("table.outlet-uploads")
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    names = [rows.nth(i).locator("td[data-label=文件名]").inner_text() for i in range(2)]
    assert names == ["二月红谷滩网点花名册.xlsx", "一月红谷滩网点花名册.xlsx"]
    for i in range(2):
        assert rows.nth(i).locator("td[data-label=状态]").inner_text() == "已完成"
        assert re.fullmatch(
            r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", rows.nth(i).locator("td[data-label=上传时间]").inner_text()
        )
    fits(page)
    screenshot(page, "outlets-recent")

    links = table.get_by_role("link", name=re.compile("查看结果"))
    assert [links.nth(i).get_attribute("href") for i in range(2)] == [
        re.sub(r"^https?://[^/]+", "", second),
        re.sub(r"^https?://[^/]+", "", first),
    ]
    links.nth(1).click()  # the older one: its result is still there
    page.wait_for_url(first)
    summary = page.locator("section[aria-labelledby=summary-title]").inner_text()
    assert re.search(r"计费 2 行", summary), summary
    current = page.locator("table.outlet-uploads tbody tr[aria-current=page]")
    assert current.locator("td[data-label=文件名]").inner_text() == "一月红谷滩网点花名册.xlsx"


def test_the_result_page_keeps_the_region_chosen(page_at: Any, tmp_path: Path) -> None:
    page = page_at(DESKTOP)
    page.goto("/outlets")
    region = page.get_by_label("地区")
    region.select_option(label="江西省 · 南昌市")
    upload(page, roster_file(tmp_path, "花名册.xlsx"))
    region = page.get_by_label("地区")
    assert region.input_value() == "360100"
    assert region.locator("option:checked").inner_text() == "江西省 · 南昌市"  # not reset to 自动识别
    summary = page.locator("section[aria-labelledby=summary-title]").inner_text()
    assert "地区：南昌市，按指定地区测算" in summary, summary
    upload(page, roster_file(tmp_path, "花名册.xlsx"))  # the next roster, region untouched: still chosen
    assert "按指定地区测算" in page.locator("section[aria-labelledby=summary-title]").inner_text()
    assert page.get_by_label("地区").input_value() == "360100"


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_result_comes_first_above_the_upload_form(page_at: Any, tmp_path: Path, size: dict[str, int]) -> None:
    page = page_at(size)
    page.goto("/outlets")
    upload(page, roster_file(tmp_path, "花名册.xlsx"))
    result = page.locator("section[aria-labelledby=summary-title]").bounding_box()
    form = page.locator("section[aria-labelledby=upload-title]").bounding_box()
    assert result is not None and form is not None
    assert result["y"] + result["height"] <= form["y"], (result, form)
    if size == PHONE:  # the result starts within the first screen: no scrolling past the form to find it
        assert result["y"] < size["height"] / 2, result
    fits(page)
    screenshot(page, "outlets-result-first")
