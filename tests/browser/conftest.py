"""Browser tests: the app served on 127.0.0.1 in a thread, driven by Debian's chromium through Playwright.

Never ``playwright install``: the machines cannot download browsers; Debian's chromium is used instead.
Without it the tests are skipped on a developer's machine and fail in CI (where .ci/run installs it).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


def _missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"chromium not installed at {CHROMIUM}: apt-get install chromium (CI installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed: .venv/bin/pip install -e '.[test]'"
    return None


@pytest.fixture(scope="session")
def browser_ready() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_server(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from service import create_app

    folder = tmp_path_factory.mktemp("browser")
    with serving(create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'browser.sqlite3'}"})) as url:
        yield url


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """``app`` served on 127.0.0.1 in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)  # port 0: a free port chosen by the system
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser(browser_ready: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Console:
    """Console errors (CSP violations, script errors) and failed sub-resources (style, script, image) of a page.

    A page answering 4xx on purpose (a form with errors) logs "Failed to load resource" too: those
    messages are ignored and failed loads are taken from the responses instead.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []

    def __call__(self, message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} {response.url}")


@pytest.fixture(params=["phone", "desktop"])
def viewport(request: pytest.FixtureRequest) -> tuple[str, dict[str, int]]:
    return request.param, PHONE if request.param == "phone" else DESKTOP


@pytest.fixture
def page_at(browser: Any, live_server: str) -> Iterator[Any]:
    """``page_at(size)``: a fresh page of that viewport; fails the test on any console error."""
    yield from pages(browser, live_server)


def pages(browser: Any, base_url: str) -> Iterator[Any]:
    """A maker of fresh pages on ``base_url`` for a fixture to yield; fails the test on any console error."""
    contexts: list[tuple[Any, Console]] = []

    def make(size: dict[str, int] = PHONE, **options: Any) -> Any:
        context = browser.new_context(
            viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=base_url, **options
        )
        page = context.new_page()
        console = Console()
        page.on("console", console)
        page.on("response", console.response)
        page.on("pageerror", lambda error: console.errors.append(str(error)))
        contexts.append((context, console))
        return page

    yield make
    errors = [e for _, console in contexts for e in console.errors]
    for context, _ in contexts:
        context.close()
    assert not errors, f"console errors: {errors}"


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot under tests/screenshots/ (ignored by git) for anyone to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    path = SCREENSHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
