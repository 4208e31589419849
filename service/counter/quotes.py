"""Issued quotes (测算单): stored so that a quote can be reprinted as issued, with a unique serial.

A quote is stored with the request and the result exactly as shown (the API's JSON form, amounts as
strings), so a reprint shows the figures of the day it was issued even after parameters change.
The serial is the issue date plus the database id, hence unique across processes sharing the database.

One quote may cover several schemes (pension and medical for one person): ``request`` and ``result``
then hold ``{"parts": [...]}``, one API request and answer per scheme; quotes stored before that hold
a single request and answer, and are read as one part. The person it is for is stored as the print
shows them: the ID number in full only when the clerk chose to print it in full, masked otherwise.
The issuing office is stored as it was when the quote was issued, and a check code (an HMAC of the
serial, time, person and total under the app's secret) is printed so that a paper copy can be
compared with the stored quote.
Serials are sequential and printed, so they open nothing on their own: a quote's link carries a random
key (192 bits) given only to whoever issued it; a logged-in clerk may also find a quote by its serial.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, String, Text, false, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from rates import audit
from rates.months import Month
from rates.store import Base
from service.answer.present import CHINA, trust_text
from service.core.rmb import upper

SERIAL_RE = re.compile(r"^\d{8}-\d{6,}$")
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
MAX_CLERK = 40
MAX_NAME = 60
MAX_OFFICE = 100
ID_LENGTH = 18


class IssuedQuote(Base):
    __tablename__ = "issued_quote"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    serial: Mapped[str | None] = mapped_column(String(24), unique=True, nullable=True)
    access_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)  # the link's secret
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    clerk: Mapped[str | None] = mapped_column(String(MAX_CLERK), nullable=True)
    request: Mapped[str] = mapped_column(Text)  # JSON, as loaded from the form
    result: Mapped[str] = mapped_column(Text)  # JSON, the API's quote shape (amounts as strings)
    applicant_name: Mapped[str | None] = mapped_column(String(MAX_NAME), nullable=True)
    applicant_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)  # masked unless id_in_full
    id_in_full: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    office: Mapped[str | None] = mapped_column(String(MAX_OFFICE), nullable=True)
    check_code: Mapped[str | None] = mapped_column(String(16), nullable=True)


@dataclass(frozen=True)
class Applicant:
    """The person a quote is for; both fields may be left for the clerk to write by hand."""

    name: str | None = None
    id_number: str | None = None  # validated and in full; stored masked unless printed in full
    id_in_full: bool = False


def check_id(raw: str) -> str:
    """A 公民身份号码 as typed, validated (length, birth date, check digit), or a Chinese message."""
    number = raw.strip().replace(" ", "").upper()
    if len(number) != ID_LENGTH:
        raise ValueError(f"公民身份号码须为18位（现为{len(number)}位），最后一位可为 X，请核对。")
    try:
        # the birth-place check is left out on purpose: a number keeps the division of the year it was
        # issued, often renamed since (see docs/outlets.md); the check digit catches mistyped digits
        ric.validate(number)
    except StdnumError:
        raise ValueError("公民身份号码校验不通过（出生日期或最后一位校验码不对），请核对后重新填写。") from None
    return number


def mask_id(number: str) -> str:
    """360102199001010012 -> 360102********0012: the birth date hidden, enough left to recognise."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else number


def make_check_code(secret: str | bytes, serial: str, issued_at: datetime, applicant_id: str, total: str) -> str:
    """Eight characters a clerk can read out, bound to the quote's serial, time, person and total."""
    key = secret.encode() if isinstance(secret, str) else secret
    message = "|".join((serial, issued_at.astimezone(UTC).isoformat(timespec="seconds"), applicant_id, total))
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    code = base64.b32encode(digest).decode()[:8]
    return f"{code[:4]}-{code[4:]}"


def new_key() -> str:
    return secrets.token_urlsafe(24)  # 32 characters


def make_serial(issued_at: datetime, row_id: int) -> str:
    return f"{issued_at.astimezone(CHINA):%Y%m%d}-{row_id:06d}"


def issue(
    session: Session,
    request: dict[str, Any] | list[dict[str, Any]],
    result: dict[str, Any] | list[dict[str, Any]],
    clerk: str | None,
    applicant: Applicant | None = None,
    office: str | None = None,
    secret: str | bytes | None = None,
    actor: str | None = None,
) -> IssuedQuote:
    """Store a quote and give it its serial, in one transaction (the caller's session commits).

    ``request`` and ``result`` are one scheme's, or lists of several schemes' (one per part).
    """
    requests = request if isinstance(request, list) else [request]
    results = result if isinstance(result, list) else [result]
    applicant = applicant or Applicant()
    stored_id = None
    if applicant.id_number:
        stored_id = applicant.id_number if applicant.id_in_full else mask_id(applicant.id_number)
    row = IssuedQuote(
        issued_at=datetime.now(UTC),
        clerk=(clerk or "").strip()[:MAX_CLERK] or None,
        access_key=new_key(),
        request=json.dumps({"parts": requests}, ensure_ascii=False, sort_keys=True),
        result=json.dumps({"parts": results}, ensure_ascii=False, sort_keys=True),
        applicant_name=(applicant.name or "").strip()[:MAX_NAME] or None,
        applicant_id=stored_id,
        id_in_full=bool(applicant.id_in_full and stored_id),
        office=(office or "").strip()[:MAX_OFFICE] or None,
    )
    session.add(row)
    session.flush()  # the id makes the serial
    row.serial = make_serial(row.issued_at, row.id)
    if secret:
        row.check_code = make_check_code(secret, row.serial, row.issued_at, stored_id or "", str(grand_total(results)))
    if actor:  # issuing is recorded in the audit log (issue 23), in the same transaction as the quote
        schemes = "、".join(str(part.get("scheme_label", "")) for part in results)
        summary = {"编号": row.serial, "险种": schemes, "合计": str(grand_total(results)), "经办人": row.clerk or ""}
        audit.record(session, actor, "quote_issue", f"测算单 {row.serial}", after=summary)
    return row


def grand_total(results: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(q["total"]) for q in results), Decimal("0.00"))


def find(session: Session, key: str) -> IssuedQuote | None:
    """The quote a link's key opens."""
    if not KEY_RE.match(key):
        return None
    return session.scalars(select(IssuedQuote).where(IssuedQuote.access_key == key)).first()


def find_by_serial(session: Session, serial: str) -> IssuedQuote | None:
    """The quote of a printed serial: for logged-in staff only (serials are sequential)."""
    if not SERIAL_RE.match(serial):
        return None
    return session.scalars(select(IssuedQuote).where(IssuedQuote.serial == serial)).first()


def _parts(text: str) -> list[dict[str, Any]]:
    data = json.loads(text)
    return data["parts"] if isinstance(data, dict) and "parts" in data else [data]  # older quotes: one scheme


CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def version_marks(parts: list[dict[str, Any]]) -> dict[int, str]:
    """A mark a clerk can read for each parameter version of a quote (①, ②, ...), in the order first used.

    The months name their versions by these marks and the 参数版本与文号 table is their legend (issue 23:
    ``v139 v1 v2`` told a clerk nothing)."""
    ids = dict.fromkeys(version["id"] for part in parts for version in part["quote"]["references"])
    return {vid: CIRCLED[n] if n < len(CIRCLED) else f"({n + 1})" for n, vid in enumerate(ids)}


def again_query(parts: list[dict[str, Any]], clerk: str | None) -> list[tuple[str, str]]:
    """The /window form's fields for 再出一张: the same region, scheme, months, choice, schemes added and
    clerk, for the next person (whose own details are left empty)."""
    first = parts[0]["request"]
    query = [(name, str(first[name])) for name in ("region", "scheme", "start", "end") if first.get(name)]
    query += [(name, str(first[name])) for name in ("base_ratio", "base") if first.get(name) is not None]
    if first.get("base") is not None:
        query.append(("basis", "base"))
    query += [("also", str(part["request"]["scheme"])) for part in parts[1:]]
    return query + ([("clerk", clerk)] if clerk else [])


def view(row: IssuedQuote) -> dict[str, Any]:
    """What the printable page and the .xlsx show."""
    results, requests = _parts(row.result), _parts(row.request)
    issued_at = row.issued_at if row.issued_at.tzinfo else row.issued_at.replace(tzinfo=UTC)  # SQLite drops tz
    parts = [
        {
            "quote": quote,
            "request": asked,
            "months": Month.parse(quote["start"]).count_until(Month.parse(quote["end"])),
        }
        for quote, asked in zip(results, requests, strict=True)
    ]
    total = grand_total(results)
    applicant_id = row.applicant_id
    marks = version_marks(parts)
    versions = {v["id"]: v | {"mark": marks[v["id"]]} for part in parts for v in part["quote"]["references"]}
    return {
        "serial": row.serial,
        "key": row.access_key,
        "issued_at": issued_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
        "clerk": row.clerk,
        "parts": parts,
        # the first scheme, as quotes of one scheme were read before several were possible
        "months": parts[0]["months"],
        "request": parts[0]["request"],
        "quote": parts[0]["quote"],
        "total": f"{total:.2f}",
        "total_upper": upper(total),
        "applicant_name": row.applicant_name,
        "applicant_id_screen": mask_id(applicant_id) if applicant_id else None,  # never in full on a screen
        "applicant_id_print": applicant_id,  # what the clerk chose to print: in full, or masked
        "id_in_full": bool(row.id_in_full),
        "office": row.office,
        "check_code": row.check_code,
        "marks": marks,
        "versions": list(versions.values()),
        "again": again_query(parts, row.clerk),
        "download_name": f"测算单-{row.serial}.xlsx",
    }


def workbook(data: dict[str, Any], part_labels: dict[str, str]) -> bytes:
    """The quote as .xlsx: amounts as numbers formatted to the fen, every user text written as text."""
    import xlsxwriter  # here: every start is spared it

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("测算单")
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    # Excel stores numbers as doubles; the amounts are already rounded to the fen by the engine and
    # two decimals survive the conversion exactly as displayed.
    money = book.add_format({"num_format": "0.00"})
    rate = book.add_format({"num_format": "0.00%"})
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 6, 14)
    sheet.set_column(7, 7, 40)

    def text(row: int, col: int, value: Any, style: Any = None) -> None:
        sheet.write_string(row, col, "" if value is None else str(value), style)

    def number(row: int, col: int, value: str | None) -> None:
        if value is None:
            text(row, col, "")
        else:
            sheet.write_number(row, col, float(value), money)

    text(0, 0, "社会保险缴费测算单", title)
    first = data["quote"]
    head = [
        ("编号", data["serial"]),
        ("出具时间", data["issued_at"]),
        ("出具单位", data["office"] or ""),
        ("参保人", data["applicant_name"] or ""),
        ("公民身份号码", data["applicant_id_print"] or ""),
        ("地区", first["region_name"]),
        ("险种", "、".join(part["quote"]["scheme_label"] for part in data["parts"])),
        ("缴费月份", f"{first['start']} 至 {first['end']}（共{data['months']}个月）"),
    ]
    row = 2
    for label, value in head:
        text(row, 0, label, bold)
        text(row, 1, value)
        row += 1
    several = len(data["parts"]) > 1
    for part in data["parts"]:
        quote = part["quote"]
        row += 1
        if several:
            text(row, 0, quote["scheme_label"], bold)
            row += 1
        for col, label in enumerate(["月份", "缴费基数", "缴费比例", "缴费金额", "暂按上年度标准", "参数版本"]):
            text(row, col, label, bold)
        for line in quote["months"]:
            row += 1
            text(row, 0, f"{line['year']}年" if quote["scheme"] == "resident_medical" else line["month"])
            number(row, 1, line["base"])
            if line["rate"]:
                sheet.write_number(row, 2, float(line["rate"]), rate)
            else:
                text(row, 2, "")
            number(row, 3, line["amount"])
            text(row, 4, "是" if line["provisional"] else "")
            text(row, 5, "".join(data["marks"][vid] for vid in line["version"].values()))
        row += 1
        text(row, 0, "小计" if several else "合计", bold)
        number(row, 3, quote["total"])
        for name, value in quote["breakdown"].items():
            row += 1
            text(row, 0, part_labels.get(name, name))
            number(row, 3, value)
    if several:
        row += 1
        text(row, 0, "合计", bold)
        number(row, 3, data["total"])
    row += 1
    text(row, 0, "合计（大写）", bold)
    text(row, 1, data["total_upper"])
    row += 2
    text(row, 0, "参数版本与文号", bold)
    for col, label in enumerate(["标记", "参数", "生效月份", "文号", "可信度", "版本号"], start=1):
        text(row, col, label, bold)
    for version in data["versions"]:
        row += 1
        text(row, 1, version["mark"])
        text(row, 2, version["family_label"])
        text(row, 3, version["effective_from"])
        text(row, 4, version["doc_no"])
        text(row, 5, trust_text(version))  # the label of the day it is read, as the printed quote
        text(row, 6, f"v{version['id']}")
    for note in dict.fromkeys(n for part in data["parts"] for n in part["quote"]["notes"]):
        row += 1
        text(row, 0, note)
    pension = data["quote"].get("pension")
    if pension:
        row = _pension_rows(sheet, row + 2, pension, text, number, bold)
    row += 2
    text(row, 0, "经办人", bold)
    text(row, 1, data["clerk"] or "")
    if data["check_code"]:
        row += 1
        text(row, 0, "校验码", bold)
        text(row, 1, data["check_code"])
    book.close()
    return buffer.getvalue()


PENSION_COLUMNS = ("档次", "每月缴费", "缴到退休共缴", "基础养老金", "个人账户养老金", "月养老金", "回本年限")


def _pension_rows(sheet: Any, row: int, pension: dict[str, Any], text: Any, number: Any, bold: Any) -> int:
    """The quote's 养老金估算 as the printed quote shows it (templates/pages/_pension_quote.html); the last row."""
    first = pension["first"]
    text(row, 0, f"养老金估算（{first['category_label']}，{first['birth_month']}出生）", bold)
    facts = [
        ("退休时间", f"{first['retirement_month']}（{first['retirement_age']}）"),
        ("累计缴费", str(first["contribution_years"])),
        ("计发基数", f"{first['calc_base']} 元（{first['calc_base_year']}年）"),
        ("计发月数", str(first["payout_months"])),
    ]
    for label, value in facts:
        row += 1
        text(row, 0, label)
        text(row, 1, value)
    row += 1
    for col, label in enumerate(PENSION_COLUMNS):
        text(row, col, label, bold)
    for tier in pension["rows"]:
        row += 1
        monthly = tier["monthly_pension"]
        text(row, 0, tier["percent"])
        number(row, 1, tier["monthly_contribution"])
        number(row, 2, tier["contributions"])
        number(row, 3, monthly["basic"])
        number(row, 4, monthly["account"])
        number(row, 5, monthly["total"])
        text(row, 6, f"{tier['payback_years']}年" if tier["payback_years"] else "—")
    assumptions = "；".join(f"{a['label']} {a['value']}" for a in first["assumptions"])
    row += 1
    text(row, 0, f"假设：{assumptions}（今天的钱，不是对将来的预测）。")
    for note in pension["notes"]:
        row += 1
        text(row, 0, note)
    return row
