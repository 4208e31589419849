"""Accessibility (issue 23): axe-core, the npm package installed under tests/browser/axe by `.ci/run`,
run in Debian's chromium on every page a person reads, at 360 px and at a desk. No serious or critical
violation may remain; the lesser ones are printed for whoever improves the pages next."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.admin_support import PASSWORD, add_user
from tests.browser.conftest import DESKTOP, PHONE, pages, screenshot, serving
from tests.browser.test_outlets_browser import roster_file, upload

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_script() -> str:
    if not AXE.exists():
        reason = f"axe-core not installed at {AXE}: npm ci --prefix tests/browser/axe (python3 run.py test does it)"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def site(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from service import create_app

    folder = tmp_path_factory.mktemp("a11y")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'a11y.sqlite3'}"})
    add_user(app, "alice")
    with serving(app) as url:
        yield url


@pytest.fixture
def open_page(browser: Any, site: str) -> Iterator[Any]:
    yield from pages(browser, site)


def violations(page: Any, script: str) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    page.evaluate(script)  # evaluated, not a <script> tag: the pages' CSP allows no inline script
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    lines = []
    for rule in found:
        targets = ", ".join(" ".join(node["target"]) for node in rule["nodes"][:5])
        line = f"{rule['impact']}: {rule['id']} ({rule['help']}) at {targets}"
        if rule["impact"] in BLOCKING:
            lines.append(line)
        else:
            print(line)
    return lines


def log_in(page: Any) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/admin$"))


def issue_quote(page: Any) -> None:
    page.goto("/window")
    page.get_by_label("参保地区").select_option(label="江西省 · 南昌市")
    page.get_by_label("起始月份").fill("2025-01")
    page.get_by_label("终止月份").fill("2025-03")
    page.get_by_role("button", name="出具测算单").click()
    page.wait_for_url(re.compile(r"/window/quote/[A-Za-z0-9_-]{32}$"))


PUBLIC = {
    "calculate": "/",
    "calculate-result": "/?region=360100&scheme=flexible_pension&start=2025-01&end=2025-12&base_ratio=0.6",
    "window": "/window",
    "outlets": "/outlets",
    "outlets-orders": "/outlets/orders",
    "parameters": "/parameters",
    "parameters-region": "/parameters/360100",
    "login": "/login",
    "verify": "/verify",
}
ADMIN = {
    "admin": "/admin",
    "admin-publish": "/admin/publish?region=360000&family=avg_wage",
    "admin-upload": "/admin/upload",
    "admin-audit": "/admin/audit",
    "admin-export": "/admin/export",
    "admin-due": "/admin/due",
    "admin-trust": "/admin/trust",
    "admin-trust-new": "/admin/trust/new/{version}",  # the raise form of a version in force (raise_candidate)
    "window-quotes": "/window/quotes",
}


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_pages_have_no_serious_violation(
    open_page: Any, axe_script: str, name: str, size: dict[str, int]
) -> None:
    page = open_page(size)
    page.goto(PUBLIC[name])
    assert violations(page, axe_script) == []
    screenshot(page, f"a11y-{name}")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_quote_has_no_serious_violation(open_page: Any, axe_script: str, size: dict[str, int]) -> None:
    page = open_page(size)
    issue_quote(page)
    assert violations(page, axe_script) == []


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_outlet_result_and_recent_uploads_have_no_serious_violation(
    open_page: Any, axe_script: str, size: dict[str, int], tmp_path: Path
) -> None:
    """The job's page once done: the result above the form, and the list of this browser's uploads."""
    page = open_page(size)
    page.goto("/outlets")
    upload(page, roster_file(tmp_path, "一月花名册.xlsx"))
    upload(page, roster_file(tmp_path, "二月花名册.xlsx"))
    assert page.locator("table.outlet-uploads tbody tr").count() == 2
    assert violations(page, axe_script) == []
    page.goto("/outlets")  # the form with the list, and no result
    assert violations(page, axe_script) == []
    screenshot(page, "a11y-outlets-recent")


def raise_candidate(page: Any) -> int:
    """A version whose trust can be raised: an active 安徽 average wage not yet 官方原文, found by region and
    family (not by its number, which depends on the order the bundled files are loaded)."""
    answer = page.request.get("/api/v1/parameters/340000/history").json()
    return next(
        v["id"]
        for v in answer["versions"]
        if v["family"] == "avg_wage" and v["region"] == "340000" and v["active"] and v["trust"] != "official"
    )


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_admin_pages_have_no_serious_violation(open_page: Any, axe_script: str, size: dict[str, int]) -> None:
    page = open_page(size)
    log_in(page)
    found = {}
    version = raise_candidate(page)
    for name, path in ADMIN.items():
        page.goto(path.format(version=version))
        found[name] = violations(page, axe_script)
        screenshot(page, f"a11y-{name}")
    assert found == {name: [] for name in ADMIN}


def test_axe_finds_what_it_should(open_page: Any, axe_script: str) -> None:
    """The check itself: a button with no name and a form field with no label are reported."""
    page = open_page(PHONE)
    page.goto("/login")
    page.evaluate(
        """() => { const b = document.createElement('button'); document.querySelector('main').append(b);
                   const i = document.createElement('input'); document.querySelector('main').append(i); }"""
    )
    found = violations(page, axe_script)
    assert any("button-name" in line for line in found) and any("label" in line for line in found), found
