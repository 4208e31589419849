"""Accounts, login and roles; CSRF protection of every page form.

Two roles: a clerk (经办人员) may read the administration pages, an admin (管理员) may also write
(publish, correct, withdraw, import). Passwords are stored as werkzeug hashes. Failed logins are
recorded in the database, so the limit holds across every process sharing it. Calculations, the
参数 page and the JSON API stay public; a protected JSON route answers 401/403 in the API's error
shape, a protected page redirects to the login page.
"""

from __future__ import annotations

import functools
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask.cli import AppGroup
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import Boolean, DateTime, Integer, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from rates import audit
from rates.store import Base
from service.api.base import text_problem
from service.core.db import serialise, store

ROLES = {"clerk": "经办人员", "admin": "管理员"}
_RANK = {"clerk": 1, "admin": 2}
MIN_PASSWORD = 10
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
users_cli = AppGroup("users", help="账号管理：创建账号、修改密码。")
F = TypeVar("F", bound=Callable[..., Any])


class UserRow(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Every session carries the version it was opened under; logout, a password change and disabling
    # raise it, which ends every session of the account at once in every process sharing the database.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginAttempt(Base):
    __tablename__ = "login_attempt"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    # what was tried: "login" (a password), "verify" (a quote's check code, /verify); each has its own limit
    purpose: Mapped[str] = mapped_column(String(10), default="login", server_default="login", index=True)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    session_version: int = 0

    def can(self, role: str) -> bool:
        return _RANK[self.role] >= _RANK[role]

    @property
    def role_label(self) -> str:
        return ROLES[self.role]


class AccountError(ValueError):
    pass


def remote_address() -> str:
    """The client's address (behind a proxy, configure ProxyFix so that this is the real one)."""
    return (request.remote_addr or "unknown")[:64]


def create_user(username: str, password: str, role: str, actor: str = "cli") -> None:
    username = username.strip()
    if not username or len(username) > 80:
        raise AccountError("用户名须为1至80个字符。")
    problem = text_problem(username)
    if problem:
        raise AccountError(f"用户名{problem}")
    if role not in ROLES:
        raise AccountError(f"角色须为 {'、'.join(ROLES)} 之一。")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少{MIN_PASSWORD}个字符。")
    with Session(store().engine) as db, db.begin():
        if db.scalar(select(UserRow).where(UserRow.username == username)) is not None:
            raise AccountError(f"用户名“{username}”已存在。")
        db.add(
            UserRow(
                username=username,
                password_hash=generate_password_hash(password),
                role=role,
                active=True,
                created_at=datetime.now(UTC),
            )
        )
        audit.record(db, actor, "user_create", f"user/{username}", None, {"username": username, "role": role})


def set_password(username: str, password: str, actor: str = "cli") -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少{MIN_PASSWORD}个字符。")
    with Session(store().engine) as db, db.begin():
        row = db.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise AccountError(f"没有名为“{username}”的账号。")
        row.password_hash = generate_password_hash(password)
        row.session_version += 1
        audit.record(db, actor, "user_password", f"user/{username}", None, {"username": username})


def set_active(username: str, active: bool, actor: str = "cli") -> None:
    """Disable an account (someone left) or enable it again; a disabled account's sessions end at once."""
    with Session(store().engine) as db, db.begin():
        row = db.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise AccountError(f"没有名为“{username}”的账号。")
        before = {"username": username, "active": row.active}
        row.active = active
        row.session_version += 1
        action = "user_enable" if active else "user_disable"
        audit.record(db, actor, action, f"user/{username}", before, {"username": username, "active": active})


@functools.cache
def _no_such_user_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


@dataclass(frozen=True)
class AttemptLimit:
    """How many failed attempts of one purpose a name and an address may make within the window."""

    purpose: str
    by_name: int
    by_address: int
    window_seconds: int


def login_limit() -> AttemptLimit:
    config = current_app.config
    return AttemptLimit(
        "login", config["LOGIN_MAX_FAILURES"], config["LOGIN_MAX_FAILURES_PER_ADDRESS"], config["LOGIN_WINDOW_SECONDS"]
    )


def _failures(db: Session, limit: AttemptLimit, name: str, address: str) -> tuple[int, int]:
    since = datetime.now(UTC) - timedelta(seconds=limit.window_seconds)
    failed = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.at >= since, ~LoginAttempt.success, LoginAttempt.purpose == limit.purpose)
    )
    by_name = db.scalar(failed.where(LoginAttempt.username == name)) or 0
    by_address = db.scalar(failed.where(LoginAttempt.address == address)) or 0
    return by_name, by_address


_LOGIN_LOCK = 0x5348_4C47  # "SHLG": the advisory lock that serialises the failed-attempt count on PostgreSQL


class Throttled(Exception):
    """Too many failed attempts for this name or address within the window."""


def _lock_logins(db: Session) -> None:
    """Serialise the count-and-record of attempts across every process sharing the database."""
    serialise(db, _LOGIN_LOCK)


def reserve_attempt(limit: AttemptLimit, name: str, address: str) -> int:
    """Count the failures and record this attempt as one, atomically, before any secret is checked.

    An attempt in flight counts as failed until it proves right (``attempt_succeeded``), so however many
    guesses arrive at the same moment, no more than the limit are ever checked. Used by the login and by
    the check of a quote's check code (/verify).
    """
    with Session(store().engine) as db, db.begin():
        _lock_logins(db)
        by_name, by_address = _failures(db, limit, name, address)
        if by_name >= limit.by_name or by_address >= limit.by_address:
            raise Throttled()
        attempt = LoginAttempt(
            username=name[:80], address=address, at=datetime.now(UTC), success=False, purpose=limit.purpose
        )
        db.add(attempt)
        db.flush()
        return attempt.id


def attempt_succeeded(db: Session, attempt: int) -> None:
    """The reserved attempt proved right: it no longer counts as a failure (in the caller's transaction)."""
    db.execute(update(LoginAttempt).where(LoginAttempt.id == attempt).values(success=True))


def authenticate(username: str, password: str, address: str) -> User | None:
    """The user if the password is right; every attempt is recorded for the failure limit.

    Raises Throttled, without looking at the password, when the limit is reached; that refusal is in the
    audit log too (its own transaction: the reservation's was rolled back), so a guessing run shows there
    in full, not only its first few failures.
    """
    try:
        attempt = reserve_attempt(login_limit(), username, address)
    except Throttled:
        with Session(store().engine) as db, db.begin():
            audit.record(db, username[:80] or "（空）", "login_throttled", f"user/{username[:80]}", address=address)
        raise
    with Session(store().engine) as db, db.begin():
        row = db.scalar(select(UserRow).where(UserRow.username == username))
        # An unknown name costs the same hash check as a known one: timing does not tell names apart.
        matches = check_password_hash(row.password_hash if row else _no_such_user_hash(), password)
        ok = row is not None and row.active and matches
        if ok:
            assert row is not None
            attempt_succeeded(db, attempt)
            audit.record(db, row.username, "login", f"user/{row.username}", address=address)
            return User(row.id, row.username, row.role, row.session_version)
        audit.record(db, username[:80] or "（空）", "login_failed", f"user/{username[:80]}", address=address)
    return None


def current_user() -> User | None:
    if "user" not in g:
        g.user = None
        user_id = session.get("user_id")
        if user_id is not None:
            with Session(store().engine) as db:
                row = db.get(UserRow, user_id)
            if row is not None and row.active and row.session_version == session.get("session_version"):
                g.user = User(row.id, row.username, row.role, row.session_version)
    return g.user


def login_required(role: str = "clerk") -> Callable[[F], F]:
    """Pages redirect to the login page; JSON routes answer 401. A lesser role gets 403."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if request.path.startswith("/api/"):
                    abort(401)
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not user.can(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never redirect a login to somewhere else."""
    if not target:
        return url_for("admin.index")
    parts = urlsplit(target)
    # browsers read "/\\host" as "//host"; control characters can hide either
    odd = "\\" in target or any(ord(c) < 32 for c in target)
    if parts.scheme or parts.netloc or odd or not target.startswith("/") or target.startswith("//"):
        return url_for("admin.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_url = request.values.get("next")
    if request.method == "GET":
        return render_template("admin/login.html", next=next_url, error=None)
    username = request.form.get("username", "").strip()[:80]
    password = request.form.get("password", "")
    address = remote_address()
    try:
        user = authenticate(username, password, address)
    except Throttled:
        minutes = current_app.config["LOGIN_WINDOW_SECONDS"] // 60
        message = f"登录失败次数过多，请{minutes}分钟后再试。"
        return render_template("admin/login.html", next=next_url, error=message), 429
    if user is None:
        time.sleep(current_app.config["LOGIN_FAILURE_DELAY"])  # slows guessing down further
        return render_template("admin/login.html", next=next_url, error="用户名或密码不正确。"), 401
    session.clear()  # a fresh session: no fixation of a session set before login
    session["user_id"] = user.id
    session["session_version"] = user.session_version
    session.permanent = True
    return redirect(_safe_next(next_url))


@bp.post("/logout")
def logout() -> Any:
    user = current_user()
    if user is not None:
        with Session(store().engine) as db, db.begin():
            row = db.get(UserRow, user.id, with_for_update=True)
            if row is not None:
                row.session_version += 1  # every session of the account ends, on every device and process
            audit.record(db, user.username, "logout", f"user/{user.username}", address=remote_address())
    session.clear()
    return redirect(url_for("pages.calculate") if "pages.calculate" in current_app.view_functions else "/")


@users_cli.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(list(ROLES)), default="clerk", show_default=True, help="角色")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（第一行），不提示。")
def create_command(name: str, role: str, password_stdin: bool) -> None:
    """创建账号（密码以提示方式输入，或用 --password-stdin 从标准输入读取）。"""
    password = _read_password(password_stdin)
    try:
        create_user(name, password, role)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"已创建账号 {name}（{ROLES[role]}）。")


@users_cli.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（第一行），不提示。")
def password_command(name: str, password_stdin: bool) -> None:
    """修改账号密码。"""
    try:
        set_password(name, _read_password(password_stdin))
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"已修改 {name} 的密码。")


@users_cli.command("disable")
@click.argument("name")
def disable_command(name: str) -> None:
    """停用账号（人员离岗）：立即失效，已登录的会话也随即失效。"""
    _switch(name, active=False)


@users_cli.command("enable")
@click.argument("name")
def enable_command(name: str) -> None:
    """重新启用已停用的账号。"""
    _switch(name, active=True)


def _switch(name: str, active: bool) -> None:
    try:
        set_active(name, active)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"已{'启用' if active else '停用'} {name}。")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")  # click.get_text_stream is deprecated (Click 9)
    return click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    message = "页面已过期或缺少安全校验码，请刷新页面后重新提交。"
    return render_template("error.html", status=400, message=message), 400


def _protect() -> None:
    # The JSON API (/api/...) is token-less and public for reading and calculating; every page
    # form is checked. Routes under /api/ that write must use login_required.
    enabled = current_app.config["WTF_CSRF_ENABLED"]  # protect() itself does not look at it
    if enabled and request.method in UNSAFE_METHODS and not request.path.startswith("/api/"):
        csrf.protect()


def _user_context() -> dict[str, Any]:
    return {"current_user": current_user() if "user_id" in session else None}


def init_app(app: Flask) -> None:
    # Flask's own defaults are looser: tighten them unless the configuration already did.
    if app.config["SESSION_COOKIE_SAMESITE"] is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"] or not (app.debug or app.testing)
    if app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=31):
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=8)
    for key, value in {
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
        "LOGIN_WINDOW_SECONDS": 15 * 60,
        "LOGIN_FAILURE_DELAY": 1.0,
        "VERIFY_MAX_FAILURES": 10,  # wrong check codes per quote serial within LOGIN_WINDOW_SECONDS (/verify)
        "VERIFY_MAX_FAILURES_PER_ADDRESS": 30,
        # checked in _protect, for pages only; tests of other features post without a token
        "WTF_CSRF_ENABLED": not app.testing,
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,  # valid as long as the session: a long form does not expire
    }.items():
        app.config.setdefault(key, value)
    csrf.init_app(app)
    app.before_request(_protect)
    app.register_error_handler(CSRFError, _csrf_error)
    app.context_processor(_user_context)
    app.register_blueprint(bp)
    app.cli.add_command(users_cli)
