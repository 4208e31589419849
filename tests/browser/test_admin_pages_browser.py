"""The administration pages on a phone and at a desk: the publish form's keypad and limits, Chinese
choices and trust levels, and an overview whose action column reads as words, not one letter a line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.admin_support import PASSWORD, add_user
from tests.browser.conftest import screenshot, serving
from tests.browser.test_worker_browser import no_horizontal_scroll, no_letter_per_line

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_site(browser_ready: None, tmp_path: Path) -> Iterator[str]:
    from service import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'admin-pages.sqlite3'}"})
    add_user(app, "alice")
    with serving(app) as url:
        yield url


def logged_in(page_at: Any, size: dict[str, int], site: str) -> Any:
    page = page_at(size)
    page.goto(f"{site}/login")
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{site}/admin")
    return page


def test_overview_reads_as_words_at_every_width(
    page_at: Any, admin_site: str, viewport: tuple[str, dict[str, int]]
) -> None:
    name, size = viewport
    page = logged_in(page_at, size, admin_site)
    no_horizontal_scroll(page)
    no_letter_per_line(page, "table.admin-table tbody td, table.admin-table tbody th, table.admin-table a")
    # each action is one line: "发布新版本", not "发布/新版/本"
    lines = page.evaluate(
        """() => [...document.querySelectorAll('table.admin-table td.row-actions a')].map((a) => {
            const range = document.createRange();
            range.selectNodeContents(a.firstChild);
            return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
        })"""
    )
    assert lines and max(lines) == 1, lines
    text = page.locator("main").inner_text()
    assert "half_up_yuan" not in text and "四舍五入到元" in text and "缴费比例 20%" in text
    screenshot(page, f"admin-overview-words-{name}")


def test_publish_form_has_a_keypad_limits_and_chinese_choices(
    page_at: Any, admin_site: str, viewport: tuple[str, dict[str, int]]
) -> None:
    name, size = viewport
    page = logged_in(page_at, size, admin_site)
    page.goto(f"{admin_site}/admin/publish?region=360000&family=avg_wage")
    wage = page.get_by_label("月平均工资")
    assert wage.get_attribute("inputmode") == "decimal"  # a numeric keypad on a phone
    assert wage.get_attribute("maxlength") == "16"
    wage.fill("1" * 30)
    assert len(wage.input_value()) == 16  # the browser keeps to the limit
    assert page.get_by_label("缴费年度").get_attribute("inputmode") == "numeric"
    assert page.get_by_label("文件标题").get_attribute("maxlength") == "500"
    assert page.get_by_label("文件标题").get_attribute("required") is not None
    trust = page.get_by_label("可信度").locator("option").all_inner_texts()
    assert trust == ["请选择", "官方原文", "较可靠", "待核实"]
    no_horizontal_scroll(page)
    screenshot(page, f"admin-publish-attributes-{name}")

    page.goto(f"{admin_site}/admin/publish?region=000000&family=base_rounding")
    rules = page.get_by_label("取整规则").locator("option").all_inner_texts()
    assert rules[0] == "四舍五入到元" and all(re.search(r"[\u4e00-\u9fff]", r) for r in rules)
    no_horizontal_scroll(page)
    screenshot(page, f"admin-publish-rule-{name}")
