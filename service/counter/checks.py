"""Issued quotes after the counter (issue 23): anyone holding a paper quote checks it at /verify; logged-in
clerks find recent quotes at /window/quotes and reopen or reprint them.

/verify answers 一致 with the stored figures only when the serial and its check code match; otherwise
不一致 and nothing else, so that a serial alone (sequential, printed) reveals nothing. Wrong codes count
against the serial and the address like failed logins (``auth.reserve_attempt``), so the eight-character
code cannot be guessed by trying.
"""

from __future__ import annotations

import hmac
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from service.answer.present import CHINA
from service.core.auth import (
    AttemptLimit,
    Throttled,
    attempt_succeeded,
    current_user,
    login_required,
    remote_address,
    reserve_attempt,
)
from service.core.db import store
from service.counter import quotes

bp = Blueprint("quote_desk", __name__)
CODE_RE = re.compile(r"^[A-Z2-7]{4}-?[A-Z2-7]{4}$")
LIST_SIZE = 50


def verify_limit() -> AttemptLimit:
    config = current_app.config
    return AttemptLimit(
        "verify",
        config["VERIFY_MAX_FAILURES"],
        config["VERIFY_MAX_FAILURES_PER_ADDRESS"],
        config["LOGIN_WINDOW_SECONDS"],
    )


def read_check(form: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The serial and check code as typed (spaces dropped, letters upper-cased), or what to fix in each."""
    serial = re.sub(r"\s+", "", str(form.get("serial", "")))[:30]
    code = re.sub(r"\s+", "", str(form.get("code", ""))).upper()[:20]
    errors = {}
    if not quotes.SERIAL_RE.match(serial):
        errors["serial"] = "请填写测算单右上方的编号：8位日期、短横线和6位序号，例如 20261203-000001。"
    if not CODE_RE.match(code):
        errors["code"] = "请填写二维码下方的校验码：8个字母或数字（2至7），例如 D7ES-R68N。"
    if len(code) == 8:
        code = f"{code[:4]}-{code[4:]}"
    return {"serial": serial, "code": code}, errors


def issuer(clerk: str) -> str:
    """Who the audit log names as issuing a quote: the logged-in account, else the clerk's name as typed."""
    user = current_user()
    if user is not None:
        return user.username
    return f"窗口（未登录）：{clerk}" if clerk else "窗口（未登录，未署名）"


@bp.route("/verify", methods=["GET", "POST"])
def verify() -> tuple[str, int] | str:
    """核验测算单: the serial and check code of a paper quote against the stored quote."""
    if request.method == "GET":
        values = {"serial": request.args.get("serial", "")[:30], "code": request.args.get("code", "")[:20]}
        return render_template("pages/verify.html", values=values, errors={}, outcome=None)
    values, errors = read_check(request.form)
    if errors:
        return render_template("pages/verify.html", values=values, errors=errors, outcome=None), 422
    try:
        attempt = reserve_attempt(verify_limit(), values["serial"], remote_address())
    except Throttled:
        minutes = current_app.config["LOGIN_WINDOW_SECONDS"] // 60
        message = f"这张测算单或本机核验不一致的次数过多，请{minutes}分钟后再试，或持测算单到经办窗口核验。"
        return render_template("pages/verify.html", values=values, errors={}, outcome="throttled", message=message), 429
    with Session(store().engine) as session, session.begin():
        row = quotes.find_by_serial(session, values["serial"])
        stored = row.check_code if row is not None else None
        if stored is None or not hmac.compare_digest(stored, values["code"]):
            return render_template("pages/verify.html", values=values, errors={}, outcome="mismatch"), 200
        attempt_succeeded(session, attempt)
        issued = quotes.view(row)
    return render_template("pages/verify.html", values=values, errors={}, outcome="match", issued=issued)


def search(query: Select[tuple[quotes.IssuedQuote]], words: str, day: str) -> tuple[Select[Any], str | None]:
    """The list's query narrowed by a serial or name and a day, or a message about the day as typed."""
    if words:
        pattern = f"%{words}%"
        query = query.where(
            or_(quotes.IssuedQuote.serial.like(pattern), quotes.IssuedQuote.applicant_name.like(pattern))
        )
    if not day:
        return query, None
    try:
        # in UTC: SQLite keeps the UTC digits without their zone, PostgreSQL compares zones itself
        start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=CHINA).astimezone(UTC)
    except ValueError:
        return query, "出具日期请写成年-月-日，例如 2026-12-03。"
    return query.where(
        quotes.IssuedQuote.issued_at >= start, quotes.IssuedQuote.issued_at < start + timedelta(days=1)
    ), None


@bp.get("/window/quotes")
@login_required("clerk")
def recent() -> tuple[str, int] | str:
    """近期测算单 for clerks: newest first, searchable by serial, name and day; each reopened or reprinted."""
    words = request.args.get("q", "").strip()[:60]
    day = request.args.get("date", "").strip()[:10]
    query, problem = search(select(quotes.IssuedQuote).order_by(quotes.IssuedQuote.id.desc()), words, day)
    with Session(store().engine) as session:
        rows = [quotes.view(row) for row in session.scalars(query.limit(LIST_SIZE))]
    context = {"rows": rows, "words": words, "day": day, "problem": problem, "size": LIST_SIZE}
    return render_template("pages/quote_list.html", **context), 422 if problem else 200
