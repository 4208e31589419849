"""The platform orders page (职业伤害保障费, issue 24) in Debian's chromium, at 360 px and at a desk: the upload, the
result above the form with its counts (读取 = 计费 + 未计费), the tables fitting the screen, and no serious
accessibility finding."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.test_accessibility import axe_script, violations  # noqa: F401  (axe_script: a fixture)
from tests.browser.test_outlets_browser import JOB_PAGE, fits
from tests.outlets_support import workbook_bytes

pytestmark = pytest.mark.browser

ROWS = [
    ["月份", "地区", "行业", "单量", "缴费基准额", "浮动系数", "备注"],
    ["2025-08", "510100", "同城货运", 12345, "", "", "货拉拉"],
    ["2025-08", "四川省", "即时配送", 40000, "0.25", "", "美团"],
    ["2025-08", "江西省", "出行", 10, "", "", "滴滴出行"],  # refused: no notice found for 江西
]


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_orders_are_uploaded_and_the_result_comes_first(
    page_at: Any,
    axe_script: str,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
    size: dict[str, int],
) -> None:
    page = page_at(size)
    page.goto("/outlets/orders")
    assert violations(page, axe_script) == []
    fits(page)
    path = tmp_path / "八月订单.xlsx"
    path.write_bytes(workbook_bytes(ROWS))
    page.get_by_label("订单文件（.xlsx）").set_input_files(str(path))
    page.get_by_role("button", name="上传并测算").click()
    page.wait_for_url(JOB_PAGE)
    result = page.locator("section[aria-labelledby=summary-title]")
    result.wait_for(state="visible", timeout=60_000)
    text = re.sub(r"\s+", "", result.inner_text())
    assert "读取3行=计费2行+未计费1行" in text and "未查到江西省" in text and "12,222.10" in text
    assert result.bounding_box()["y"] < page.locator("form").bounding_box()["y"]  # the result before the form
    fits(page)
    assert violations(page, axe_script) == []
    screenshot(page, "orders-result")
