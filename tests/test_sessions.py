"""Sessions end on logout, password change and disabling: every session of the account, on every process."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.core.auth import set_active, set_password
from tests.admin_support import PASSWORD, add_user, login


@pytest.fixture
def app(db_url: str) -> Flask:
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test-only-sessions"})
    app.config["LOGIN_FAILURE_DELAY"] = 0
    return app


def other_process(app: Flask) -> Flask:
    """A second app on the same database and key: another worker process."""
    other = create_app(
        {"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-only-sessions"}
    )
    other.config["LOGIN_FAILURE_DELAY"] = 0
    return other


def stolen(app: Flask, client: FlaskClient) -> FlaskClient:
    """A client of ``app`` holding a copy of ``client``'s session cookie (taken earlier)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def test_a_session_taken_before_logout_no_longer_opens_admin(app: Flask) -> None:
    add_user(app, "alice")
    browser = app.test_client()
    assert login(browser, "alice").status_code == 302
    copies = [stolen(app, browser), stolen(other_process(app), browser)]
    for copy in copies:
        assert copy.get("/admin").status_code == 200
    browser.post("/logout")
    for copy in copies:
        response = copy.get("/admin")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert login(browser, "alice").status_code == 302 and browser.get("/admin").status_code == 200


def test_a_password_change_ends_every_session(app: Flask) -> None:
    add_user(app, "alice")
    laptop, phone = app.test_client(), other_process(app).test_client()
    login(laptop, "alice")
    login(phone, "alice")
    with app.app_context():
        set_password("alice", "a new password, long enough")
    assert laptop.get("/admin").status_code == 302
    assert phone.get("/admin").status_code == 302
    assert login(phone, "alice", PASSWORD).status_code == 401
    assert login(phone, "alice", "a new password, long enough").status_code == 302


def test_a_disabled_account_stays_logged_out_when_enabled_again(app: Flask) -> None:
    add_user(app, "alice")
    browser = app.test_client()
    login(browser, "alice")
    with app.app_context():
        set_active("alice", False)
    assert browser.get("/admin").status_code == 302
    with app.app_context():
        set_active("alice", True)
    assert browser.get("/admin").status_code == 302  # the old session does not come back
    assert login(browser, "alice").status_code == 302 and browser.get("/admin").status_code == 200


def test_the_admin_api_checks_the_session_version_too(app: Flask) -> None:
    add_user(app, "alice")
    browser = app.test_client()
    login(browser, "alice")
    copy = stolen(app, browser)
    browser.post("/logout")
    response = copy.post("/api/v1/admin/publish", json={"versions": [{}], "dry_run": True})
    assert response.status_code == 401


# ---------------------------------------------------------------- the failed-login limit under a crowd


def test_the_login_limit_holds_under_40_parallel_wrong_passwords(app: Flask) -> None:
    """Only LOGIN_MAX_FAILURES passwords are ever checked, however many guesses arrive at the same moment."""
    add_user(app, "alice")
    apps = [app, other_process(app)]  # two processes on one database
    crowd = 40
    start = threading.Barrier(crowd)

    def guess(i: int) -> int:
        client = apps[i % 2].test_client()
        start.wait()
        return login(client, "alice", f"wrong password {i}").status_code

    with ThreadPoolExecutor(crowd) as pool:
        statuses = list(pool.map(guess, range(crowd)))
    assert statuses.count(401) == app.config["LOGIN_MAX_FAILURES"], statuses
    assert statuses.count(429) == crowd - app.config["LOGIN_MAX_FAILURES"]
    assert login(app.test_client(), "alice").status_code == 429  # the right password too, for a while
