"""Helpers for the outlet batch tests: valid ID numbers and credit codes, rosters as .xlsx bytes."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import openpyxl
from stdnum.cn import ric, uscc

HEADERS = ["网点名称", "统一社会信用代码", "姓名", "公民身份号码", "参保起始月", "参保终止月", "浮动费率", "备注"]


def make_id(serial: int, prefix: str = "360102", birth: str = "19900101") -> str:
    """A valid 18-digit number: region prefix, birth date, three serial digits and the check digit."""
    body = f"{prefix}{birth}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_credit_code(division: str = "360100", serial: str = "MA35ABCD1") -> str:
    """A valid 统一社会信用代码 registered in ``division`` (characters 3-8)."""
    body = f"91{division}{serial}"
    return body + uscc.calc_check_digit(body)


def workbook_bytes(rows: Iterable[Iterable[Any]], text_cells: Iterable[str] = ()) -> bytes:
    """An .xlsx of the rows; ``text_cells`` (like "C7") keep a leading = as text, not a formula."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    for ref in text_cells:
        sheet[ref].data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
