"""Issue 25 in chromium, phone (360 px) and desktop: one administrator attaches a notice's sentence and its page to a
version, another approves it on /admin/trust, and the 参数 page quotes the sentence with its page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rates.months import Month
from tests.admin_support import PASSWORD, add_user
from tests.browser.conftest import screenshot, serving
from tests.browser.test_admin_browser import no_horizontal_scroll

pytestmark = pytest.mark.browser
SENTENCE = "全省月平均工资为7185元，个人缴费基数下限为4311元/月，上限为21556元/月。"  # test data (安徽 2025 figures)


@pytest.fixture
def trust_server(browser_ready: None, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A server of its own (an approval writes a version): the 安徽 2025 version in force to raise."""
    from service import create_app

    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": True, "DATABASE_URL": f"sqlite:///{tmp_path / 't.sqlite3'}"})
    add_user(app, "alice")
    add_user(app, "bob")
    version = app.extensions["rates"].snapshot().at("340000", "avg_wage", Month(2025, 6)).version
    assert version.id is not None
    with serving(app) as url:
        yield url, version.id


def log_in(page: Any, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{url}/admin")


def test_a_raise_is_proposed_by_one_admin_and_approved_by_another(
    page_at: Any, trust_server: tuple[str, int], viewport: tuple[str, dict[str, int]]
) -> None:
    (url, version_id), (name, size) = trust_server, viewport
    page = page_at(size)
    log_in(page, url, "alice")
    assert page.get_by_role("link", name=re.compile(r"^提升可信度 v\d+$")).count() > 0  # the overview offers raises
    page.goto(f"{url}/admin/trust/new/{version_id}")  # 安徽 2025: no longer in force this month, still raisable
    page.get_by_label("原文摘录（通知原句，逐字）").fill("我省上限为21556元/月。")
    page.get_by_label(re.compile("^原文网址")).fill("ftp://hrss.ah.gov.cn/a.html")
    page.get_by_role("button", name="提交，待另一位管理员核准").click()
    summary = page.locator(".error-summary").inner_text()
    assert "原文摘录中没有该版本的数字" in summary and "http:// 或 https://" in summary
    no_horizontal_scroll(page)
    screenshot(page, f"trust-refused-{name}")
    page.get_by_label("原文摘录（通知原句，逐字）").fill(SENTENCE)
    page.get_by_label(re.compile("^原文网址")).fill("https://hrss.ah.gov.cn/public/6595721/2025.html")
    page.get_by_role("button", name="提交，待另一位管理员核准").click()
    page.wait_for_url(f"{url}/admin/trust")
    assert "待另一位管理员核准" in page.locator(".flash").inner_text()
    assert "这是您提交的申请" in page.locator("section.raise").inner_text()
    assert page.get_by_role("button", name="核准：标为官方原文").count() == 0  # four eyes
    no_horizontal_scroll(page)
    screenshot(page, f"trust-pending-proposer-{name}")
    page.get_by_role("button", name=re.compile("退出")).click()

    log_in(page, url, "bob")
    page.goto(f"{url}/admin/trust")
    raise_box = page.locator("section.raise")
    assert SENTENCE in raise_box.inner_text() and "政府网站" in raise_box.inner_text()
    no_horizontal_scroll(page)
    screenshot(page, f"trust-pending-reviewer-{name}")
    page.get_by_label("核准备注（可选）").fill("已打开网页核对")
    page.get_by_role("button", name="核准：标为官方原文").click()
    page.wait_for_url(f"{url}/admin/trust")
    assert "已核准" in page.locator(".flash").inner_text()
    no_horizontal_scroll(page)
    screenshot(page, f"trust-decided-{name}")

    page.goto(f"{url}/parameters/340000")
    quoted = page.locator(".held-text", has_text=SENTENCE).first
    assert quoted.is_visible()
    assert quoted.get_by_role("link", name=re.compile("原文所在网页")).get_attribute("href").startswith("https://hrss")
    no_horizontal_scroll(page)
    quoted.scroll_into_view_if_needed()
    screenshot(page, f"trust-parameters-{name}")
