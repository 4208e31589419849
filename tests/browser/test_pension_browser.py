"""The 养老金估算 part of the 测算 page in Debian's chromium, on a 360 px phone, without JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.test_pages_browser import api, money, no_horizontal_scroll

pytestmark = pytest.mark.browser


def test_worker_born_1985_in_kunming_sees_every_tier_until_retirement(page_at: Any) -> None:
    page = page_at(PHONE, java_script_enabled=False)
    page.goto("/")
    page.get_by_label("参保地区").select_option(label="云南省 · 昆明市")
    page.get_by_label("险种").select_option(label="灵活就业人员企业职工基本养老保险")
    page.get_by_label("缴费档次", exact=True).select_option(label="60%")
    page.get_by_label("出生年月").fill("1985-03")
    page.get_by_label("人员类别").select_option(label="男职工")
    page.get_by_role("button", name="测算").click()
    page.wait_for_url(re.compile(r"birth_month=1985-03"))

    section = page.locator("section#pension")
    assert section.is_visible()
    expected = api(
        page,
        "/api/v1/pension/estimate",
        {"region": "530100", "birth_month": "1985-03", "category": "male", "base_ratio": "0.6"},
    )
    assert page.get_by_test_id("retirement-month").inner_text() == expected["retirement_month"]
    assert page.get_by_test_id("retirement-age").inner_text() == "63岁"
    rows = section.locator("table.pension-table tbody tr")
    assert rows.count() == 25
    first = [money(c).replace("（所选档次）", "") for c in rows.nth(0).locator("th, td").all_inner_texts()]
    assert first == [
        "60%",
        expected["monthly_pension"]["total"],
        expected["payback_years"] + "年",
        expected["monthly_contribution"],
        expected["contributions"],
        expected["monthly_pension"]["basic"],
        expected["monthly_pension"]["account"],
    ]
    assert section.locator("figure.chart svg rect").count() == 25
    # the assumptions and what is not covered are in view, every figure has its source
    assert "假设" in section.locator(".assumptions").inner_text()
    assert "不含过渡性养老金" in section.inner_text()
    assert section.locator(".sources li").count() >= 5
    no_horizontal_scroll(page)
    screenshot(page, "pension-estimate")


def test_clerk_record_mode_on_a_phone(page_at: Any) -> None:
    page = page_at(PHONE)
    page.goto("/window/benefit")
    page.get_by_label("计发基数（元/月）").fill("7010")
    page.get_by_label("本人平均缴费指数").fill("2.8635")
    page.get_by_label("累计缴费月数").fill("504")
    page.get_by_label("个人账户储存额（元）").fill("326284.41")
    page.get_by_label("退休年龄（月）").fill("720")
    page.get_by_label("退休月份").fill("2024-09")
    page.get_by_role("button", name="核算").click()
    assert money(page.get_by_test_id("basic").inner_text()).startswith("5687.46")
    assert money(page.get_by_test_id("account").inner_text()).startswith("2347.37")
    no_horizontal_scroll(page)
    screenshot(page, "pension-benefit")


def test_clerk_record_mode_with_the_region_s_rules(page_at: Any) -> None:
    """Issue 22: the 江苏 2024-01 sheet under 江苏's rules gives its printed 2482.96, and the 补发 figure beside it."""
    for size, name in ((PHONE, "pension-benefit-region"), (DESKTOP, "pension-benefit-region-desktop")):
        page = page_at(size)
        page.goto("/window/benefit")
        page.get_by_label("地区（计发口径）").select_option("320000")
        page.get_by_label("计发基数（元/月）").fill("8613")
        page.get_by_label("本人平均缴费指数").fill("1.2762")
        page.get_by_label("累计缴费月数").fill("304")
        page.get_by_label("个人账户储存额（元）").fill("190912.85")
        page.get_by_label("退休年龄（月）").fill("600")
        page.get_by_label("退休月份").fill("2024-01")
        page.get_by_role("button", name="核算").click()
        assert money(page.get_by_test_id("basic").inner_text()).startswith("2482.96")
        assert "2532.55" in page.get_by_test_id("final-basic").inner_text()
        no_horizontal_scroll(page)
        screenshot(page, name)
