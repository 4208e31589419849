"""The administration pages in chromium: log in, fill the publish form, check the preview, confirm, see the figure."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.admin_support import PASSWORD, add_user
from tests.browser.conftest import screenshot, serving

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_server(browser_ready: None, tmp_path: Path) -> Iterator[str]:
    """A server of its own (publishing changes figures: the shared live server must keep the bundled ones)."""
    from service import create_app

    app = create_app(
        {"TESTING": True, "WTF_CSRF_ENABLED": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'admin.sqlite3'}"}
    )
    add_user(app, "alice")
    with serving(app) as url:
        yield url


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide at {page.viewport_size['width']}px"


def test_admin_publishes_through_the_form_and_the_calculation_uses_it(
    page_at: Any, admin_server: str, viewport: tuple[str, dict[str, int]]
) -> None:
    name, size = viewport
    page = page_at(size)
    page.goto(f"{admin_server}/admin")
    page.wait_for_url(re.compile(r"/login\?next=/admin$"))
    no_horizontal_scroll(page)
    screenshot(page, f"admin-login-{name}")
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{admin_server}/admin")
    assert page.get_by_role("button", name=re.compile("退出")).is_visible()
    no_horizontal_scroll(page)
    screenshot(page, f"admin-overview-{name}")

    # the hidden part of the link's name tells screen-reader users which row it belongs to
    page.get_by_role("link", name=re.compile(r"^发布新版本\s*：江西省上年度全省全口径")).click()
    page.wait_for_url(re.compile(r"/admin/publish\?region=360000&family=avg_wage"))
    assert page.get_by_label("月平均工资").input_value() == "6525"  # the figure in force, to start from
    page.get_by_label("生效月份").fill("2026-01")
    page.get_by_label("缴费年度").fill("2026")
    page.get_by_label("月平均工资").fill("6800")
    page.get_by_label("缴费基数下限（公布值）").fill("")  # not published yet for 2026 (test data)
    page.get_by_label("缴费基数上限（公布值）").fill("")
    page.get_by_label("文件标题").fill("2025年度全省全口径城镇单位就业人员平均工资")
    page.get_by_label("文号", exact=True).fill("赣人社字〔2026〕1号")
    page.get_by_label("可信度").select_option("medium")  # issue 25: 官方原文 is a reviewed trust raise
    no_horizontal_scroll(page)
    screenshot(page, f"admin-publish-form-{name}")
    page.get_by_role("button", name="预览差异").click()

    page.wait_for_url(f"{admin_server}/admin/publish")
    wage_row = page.locator("table.diff-table tr", has_text="月平均工资")
    assert wage_row.locator("[data-role=old]").inner_text() == "6525"
    assert wage_row.locator("[data-role=new]").inner_text() == "6800"
    worker = page.locator("table.effect-table tr[data-region='360100']", has_text="60%档")
    assert worker.locator("td.num").all_inner_texts() == ["783.00", "816.00"]
    no_horizontal_scroll(page)
    screenshot(page, f"admin-preview-{name}")
    page.get_by_role("button", name="确认发布").click()

    page.wait_for_url(f"{admin_server}/admin")
    assert "已发布：新增 1 个版本" in page.locator(".flash").inner_text()
    page.goto(
        f"{admin_server}/?region=360100&scheme=flexible_pension&start=2026-03&end=2026-03&basis=ratio&base_ratio=0.6"
    )
    assert re.sub(r"[\s元]", "", page.get_by_test_id("total").inner_text()) == "816.00"
    assert page.locator("table.months tr.is-provisional").count() == 0  # 2026 has its own figure now

    page.goto(f"{admin_server}/admin/audit")
    assert "发布新版本" in page.locator("table.audit-table").inner_text()
    no_horizontal_scroll(page)
    screenshot(page, f"admin-audit-{name}")
    page.get_by_role("button", name=re.compile("退出")).click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("link", name="登录").is_visible()
