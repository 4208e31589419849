"""Accounts and login: cookie flags, CSRF, the failed-login limit, safe redirects, roles, the users CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from rates import audit
from service import create_app
from tests.admin_support import PASSWORD, add_user, hidden, login


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'auth.sqlite3'}"})
    app.config["LOGIN_FAILURE_DELAY"] = 0
    return app


def actions(app: Flask) -> list[str]:
    with Session(app.extensions["rates"].engine) as session:
        return [e.action for e in audit.entries(session)]


def test_login_sets_a_fresh_strict_session_cookie(tmp_path: Path) -> None:
    # not TESTING: the configuration production gets (Secure cookie, CSRF on)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}", "SECRET_KEY": "test-only-key"})
    app.config["LOGIN_FAILURE_DELAY"] = 0
    add_user(app, "alice")
    client = app.test_client()
    token = hidden(client.get("/login").get_data(as_text=True), "csrf_token")
    response = login(client, "alice", csrf_token=token)
    assert response.status_code == 302 and response.headers["Location"] == "/admin"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # a permanent session of limited lifetime (8 hours), not 31 days
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 8 * 3600


def test_csrf_token_is_required_on_page_forms(tmp_path: Path) -> None:
    app = create_app(
        {"TESTING": True, "WTF_CSRF_ENABLED": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'csrf.sqlite3'}"}
    )
    app.config["LOGIN_FAILURE_DELAY"] = 0
    add_user(app, "alice")
    client = app.test_client()
    refused = login(client, "alice")
    assert refused.status_code == 400
    assert "缺少安全校验码" in refused.get_data(as_text=True)
    assert client.get("/admin").status_code == 302  # not logged in
    token = hidden(client.get("/login").get_data(as_text=True), "csrf_token")
    assert login(client, "alice", csrf_token=token).status_code == 302
    page = client.get("/admin/publish?region=360000&family=avg_wage").get_data(as_text=True)
    # a logged-in admin's form without its token is refused too, and nothing is published
    response = client.post("/admin/publish/confirm", data={"payload": "[]", "based_on": "[]"})
    assert response.status_code == 400
    assert 'name="csrf_token"' in page
    assert client.post("/logout").status_code == 400  # logging out is a form too
    # the JSON API stays token-less for reading and calculating
    body = {"region": "360100", "scheme": "outlet_injury", "start": "2025-01", "end": "2025-01"}
    assert client.post("/api/v1/calculate", json=body).status_code == 200


def test_failed_logins_are_limited_even_with_the_right_password(app: Flask, client: FlaskClient) -> None:
    add_user(app, "alice")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = login(client, "alice", "wrong password!")
        assert response.status_code == 401
        assert "用户名或密码不正确" in response.get_data(as_text=True)
    blocked = login(client, "alice")
    assert blocked.status_code == 429
    assert "登录失败次数过多" in blocked.get_data(as_text=True)
    assert client.get("/admin").status_code == 302
    # the limit is kept in the database: a second app on the same database (another process) agrees
    other = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"]})
    other.config["LOGIN_FAILURE_DELAY"] = 0
    assert login(other.test_client(), "alice").status_code == 429
    assert "login" not in actions(app)
    # every refusal is in the audit log, with the name and the address it came from (issue 21)
    assert actions(app).count("login_throttled") == 2


def test_throttled_logins_are_audited_with_name_and_address(app: Flask, client: FlaskClient) -> None:
    app.config["LOGIN_MAX_FAILURES"] = 1
    add_user(app, "alice")
    assert login(client, "alice", "wrong password!").status_code == 401
    assert login(client, "alice", "wrong password!").status_code == 429
    with Session(app.extensions["rates"].engine) as db:
        entry = audit.entries(db, action="login_throttled")[0]
    assert (entry.actor, entry.target, entry.address) == ("alice", "user/alice", "127.0.0.1")
    assert entry.action_label == "登录被拒（失败次数过多）"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/admin", "/\\evil.example", "javascript:alert(1)", "admin", ""],
)
def test_login_never_redirects_to_another_site(app: Flask, client: FlaskClient, target: str) -> None:
    add_user(app, "alice")
    response = login(client, "alice", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin"


def test_login_returns_to_the_page_asked_for(app: Flask, client: FlaskClient) -> None:
    add_user(app, "alice")
    asked = client.get("/admin/audit?action=publish")
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/login?next=")
    response = login(client, "alice", next="/admin/audit?action=publish")
    assert response.headers["Location"] == "/admin/audit?action=publish"


def test_roles_pages_redirect_and_clerks_only_read(app: Flask, client: FlaskClient) -> None:
    add_user(app, "clara", "clerk")
    for path in ("/admin", "/admin/publish", "/admin/audit", "/admin/export.xlsx"):
        assert client.get(path).status_code == 302, path
    assert client.post("/admin/publish/confirm").status_code == 302
    assert client.get("/").status_code == 200 and client.get("/parameters/360100").status_code == 200
    login(client, "clara")
    overview = client.get("/admin")
    assert overview.status_code == 200
    assert "发布新版本" not in overview.get_data(as_text=True)
    assert client.get("/admin/audit").status_code == 200
    assert client.get("/admin/export.zip").status_code == 200
    for path in ("/admin/publish", "/admin/upload", "/admin/withdraw/1"):
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/publish/confirm", data={"payload": "[]", "based_on": "[]"}).status_code == 403
    assert client.post("/admin/upload").status_code == 403


def test_header_shows_login_link_or_logout_button(app: Flask, client: FlaskClient) -> None:
    add_user(app, "alice")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/login"' in html and "退出" not in html
    login(client, "alice")
    html = client.get("/").get_data(as_text=True)
    assert 'action="/logout"' in html and "alice" in html and 'href="/login"' not in html
    assert client.post("/logout").status_code == 302
    assert client.get("/admin").status_code == 302
    assert {"login", "logout", "user_create"} <= set(actions(app))


def test_users_cli_creates_accounts(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "root", "--role", "admin", "--password-stdin"], input=PASSWORD)
    assert result.exit_code == 0, result.output
    assert "已创建账号 root（管理员）" in result.output
    duplicate = runner.invoke(args=["users", "create", "root", "--password-stdin"], input=PASSWORD)
    assert duplicate.exit_code != 0 and "已存在" in duplicate.output
    short = runner.invoke(args=["users", "create", "bob", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "密码至少10个字符" in short.output
    prompted = runner.invoke(args=["users", "create", "carol"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0 and "经办人员" in prompted.output
    bad_role = runner.invoke(args=["users", "create", "dave", "--role", "boss", "--password-stdin"], input=PASSWORD)
    assert bad_role.exit_code != 0
    client = app.test_client()
    assert login(client, "root").headers["Location"] == "/admin"
    changed = runner.invoke(args=["users", "password", "root", "--password-stdin"], input="another long secret\n")
    assert changed.exit_code == 0, changed.output
    assert login(app.test_client(), "root").status_code == 401
    assert login(app.test_client(), "root", "another long secret").status_code == 302


def test_a_disabled_account_is_logged_out_at_once_and_cannot_log_in(app: Flask, client: FlaskClient) -> None:
    add_user(app, "alice")
    assert login(client, "alice").status_code == 302 and client.get("/admin").status_code == 200
    runner = app.test_cli_runner()
    disabled = runner.invoke(args=["users", "disable", "alice"])
    assert disabled.exit_code == 0 and "已停用 alice" in disabled.output
    assert client.get("/admin").status_code == 302  # the open session ends with the account
    assert login(app.test_client(), "alice").status_code == 401
    assert runner.invoke(args=["users", "enable", "alice"]).exit_code == 0
    assert login(app.test_client(), "alice").status_code == 302
    assert runner.invoke(args=["users", "disable", "nobody"]).exit_code != 0
    assert {"user_disable", "user_enable"} <= set(actions(app))


def test_failed_logins_are_audited_and_unknown_names_cost_the_same_check(app: Flask, client: FlaskClient) -> None:
    from unittest import mock

    from service.core import auth

    add_user(app, "alice")
    with mock.patch.object(auth, "check_password_hash", wraps=auth.check_password_hash) as checked:
        assert login(client, "nobody", "some password!").status_code == 401
        assert login(client, "alice", "wrong password!").status_code == 401
    assert checked.call_count == 2  # a hash is checked for an unknown name too
    assert actions(app).count("login_failed") == 2
