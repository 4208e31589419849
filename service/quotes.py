"""Issued quotes (测算单): stored so that a quote can be reprinted as issued, with a unique serial.

A quote is stored with the request and the result exactly as shown (the API's JSON form, amounts as
strings), so a reprint shows the figures of the day it was issued even after parameters change.
The serial is the issue date plus the database id, hence unique across processes sharing the database.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from rates.months import Month
from rates.store import Base
from service.present import CHINA

SERIAL_RE = re.compile(r"^\d{8}-\d{6,}$")
MAX_CLERK = 40


class IssuedQuote(Base):
    __tablename__ = "issued_quote"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    serial: Mapped[str | None] = mapped_column(String(24), unique=True, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    clerk: Mapped[str | None] = mapped_column(String(MAX_CLERK), nullable=True)
    request: Mapped[str] = mapped_column(Text)  # JSON, as loaded from the form
    result: Mapped[str] = mapped_column(Text)  # JSON, the API's quote shape (amounts as strings)


def make_serial(issued_at: datetime, row_id: int) -> str:
    return f"{issued_at.astimezone(CHINA):%Y%m%d}-{row_id:06d}"


def issue(session: Session, request: dict[str, Any], result: dict[str, Any], clerk: str | None) -> IssuedQuote:
    """Store a quote and give it its serial, in one transaction (the caller's session commits)."""
    row = IssuedQuote(
        issued_at=datetime.now(UTC),
        clerk=(clerk or "").strip()[:MAX_CLERK] or None,
        request=json.dumps(request, ensure_ascii=False, sort_keys=True),
        result=json.dumps(result, ensure_ascii=False, sort_keys=True),
    )
    session.add(row)
    session.flush()  # the id makes the serial
    row.serial = make_serial(row.issued_at, row.id)
    return row


def find(session: Session, serial: str) -> IssuedQuote | None:
    if not SERIAL_RE.match(serial):
        return None
    return session.scalars(select(IssuedQuote).where(IssuedQuote.serial == serial)).first()


def view(row: IssuedQuote) -> dict[str, Any]:
    """What the printable page and the .xlsx show."""
    quote = json.loads(row.result)
    issued_at = row.issued_at if row.issued_at.tzinfo else row.issued_at.replace(tzinfo=UTC)  # SQLite drops tz
    return {
        "serial": row.serial,
        "issued_at": issued_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
        "months": Month.parse(quote["start"]).count_until(Month.parse(quote["end"])),
        "clerk": row.clerk,
        "request": json.loads(row.request),
        "quote": quote,
    }


def workbook(data: dict[str, Any], part_labels: dict[str, str]) -> bytes:
    """The quote as .xlsx: amounts as numbers formatted to the fen, every user text written as text."""
    import xlsxwriter  # here: every start is spared it

    quote, buffer = data["quote"], io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("测算单")
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    # Excel stores numbers as doubles; the amounts are already rounded to the fen by the engine and
    # two decimals survive the conversion exactly as displayed.
    money = book.add_format({"num_format": "0.00"})
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
    head = [
        ("编号", data["serial"]),
        ("出具时间", data["issued_at"]),
        ("地区", f"{quote['region_name']}（{quote['region']}）"),
        ("险种", quote["scheme_label"]),
        ("缴费月份", f"{quote['start']} 至 {quote['end']}（共{data['months']}个月）"),
    ]
    row = 2
    for label, value in head:
        text(row, 0, label, bold)
        text(row, 1, value)
        row += 1
    row += 1
    for col, label in enumerate(["月份", "缴费基数", "缴费比例", "缴费金额", "暂按上年度标准"]):
        text(row, col, label, bold)
    for line in quote["months"]:
        row += 1
        text(row, 0, line["month"])
        number(row, 1, line["base"])
        text(row, 2, line["rate"] or "")
        number(row, 3, line["amount"])
        text(row, 4, "是" if line["provisional"] else "")
    row += 1
    text(row, 0, "合计", bold)
    number(row, 3, quote["total"])
    for name, value in quote["breakdown"].items():
        row += 1
        text(row, 0, part_labels.get(name, name))
        number(row, 3, value)
    row += 2
    text(row, 0, "参数版本", bold)
    for col, label in enumerate(["版本", "参数", "生效月份", "文号", "可信度"], start=1):
        text(row, col, label, bold)
    for version in quote["references"]:
        row += 1
        text(row, 1, f"v{version['id']}")
        text(row, 2, version["family_label"])
        text(row, 3, version["effective_from"])
        text(row, 4, version["doc_no"])
        text(row, 5, version["trust_label"])
    for note in quote["notes"]:
        row += 1
        text(row, 0, note)
    row += 2
    text(row, 0, "经办人", bold)
    text(row, 1, data["clerk"] or "")
    book.close()
    return buffer.getvalue()
