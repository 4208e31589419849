"""The sheets of a workbook: where a roster's header is, and its rows streamed from the reader.

Reading is python-calamine (the fastest xlsx reader pandas supports; it returns ID-as-text cells as
text, numeric cells as numbers, date cells as dates, which is all we need); ``formulas`` marks the cells
it cannot give.
"""

from __future__ import annotations

import html
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from service.outlets.cells import normal, without_invisible
from service.outlets.files import CORRUPT, HEADER_SCAN_ROWS, Limits, RosterFileError, too_many
from service.outlets.formulas import Unreadable
from service.outlets.scan import EMPTY_TEXT_CELL

COLUMNS = {
    "outlet": "网点名称",
    "credit_code": "统一社会信用代码",
    "name": "姓名",
    "id": "公民身份号码",
    "start": "参保起始月",
    "end": "参保终止月",
    "factor": "浮动费率",
    "remark": "备注",
}
REQUIRED = ("outlet", "name", "id", "start", "end")
SYNONYMS = {
    "outlet": ("网点名称", "网点", "快递网点", "快递网点名称", "网点名"),
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "网点统一社会信用代码"),
    "name": ("姓名", "快递员姓名", "人员姓名"),
    "id": ("公民身份号码", "身份证号", "身份证号码", "公民身份证号码", "身份证", "证件号码"),
    "start": ("参保起始月", "参保起始月份", "起始月份", "开始月份", "起始月", "开始月", "参保开始月份"),
    "end": ("参保终止月", "参保终止月份", "终止月份", "结束月份", "终止月", "结束月", "参保结束月份"),
    "factor": ("浮动费率", "费率浮动系数", "浮动系数", "浮动比例"),
    "remark": ("备注", "说明"),
}


def header_key(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = re.sub(r"\(.*?\)|\[.*?\]|[*:：]", "", normal(value))  # “姓名（必填）”, “*姓名”
    return HEADER_NAMES.get(text)


HEADER_NAMES = {name: key for key, names in SYNONYMS.items() for name in names}


@dataclass(frozen=True)
class HeaderProblem:
    """Why a sheet has no usable header; ``partial``: a row looks like one but lacks columns."""

    message: str
    partial: bool


@dataclass(frozen=True)
class HeaderSpec:
    """What a kind of sheet's header names: its columns (by key), which of them it must have, how a cell's text
    is read as a column's key, and what to say when no row of the first ones is its header."""

    columns: Mapping[str, str]
    required: tuple[str, ...]
    key: Callable[[Any], str | None]
    not_found: str


ROSTER_HEADER = HeaderSpec(
    COLUMNS,
    REQUIRED,
    header_key,
    f"在前{HEADER_SCAN_ROWS}行中找不到表头（须有“网点名称、姓名、公民身份号码、参保起始月、参保终止月”等列）："
    "请使用模板，或把列名改成模板中的名称。",
)


def find_header(rows: list[list[Any]], spec: HeaderSpec = ROSTER_HEADER) -> tuple[int, dict[str, int]] | HeaderProblem:
    """The first row naming every required column, or what is missing."""
    best: tuple[int, dict[str, int]] | None = None
    for number, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        found: dict[str, int] = {}
        for column, value in enumerate(cells):
            key = spec.key(value)
            if key is not None and key not in found:
                found[key] = column
        if all(k in found for k in spec.required):
            return number, found
        if len(found) >= 2 and (best is None or len(found) > len(best[1])):
            best = (number, found)
    if best is not None:
        missing = "、".join(spec.columns[k] for k in spec.required if k not in best[1])
        return HeaderProblem(f"第{best[0] + 1}行像是表头，但缺少这些列：{missing}。请按模板填写列名。", partial=True)
    return HeaderProblem(spec.not_found, partial=False)


def open_workbook(data: bytes) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError, UnicodeDecodeError):
        raise RosterFileError(CORRUPT, "corrupt_file") from None


def with_merged_header(rows: list[list[Any]], merged: list[Any]) -> list[list[Any]]:
    """The first rows as Excel shows them: a merged header cell's name on every row and column it spans.

    A two-row header (“参保期间” merged over “起始月”“终止月”, the other names merged down over both
    rows) then has one row that names every column.
    """
    filled = [list(cells) for cells in rows]
    # Merged ranges never overlap in a file Excel writes, so filling them visits each cell of these rows at
    # most once; overlapping ones (a generated file: 100,000 ranges over one wide row) would visit them again
    # and again, so the work is bounded by the cells there are and such a file refused.
    budget = sum(map(len, filled)) + len(merged)
    for (top, left), (bottom, right) in merged:
        budget -= 1
        if top >= len(filled) or left >= len(filled[top]):
            continue
        value = filled[top][left]
        for row in range(top, min(bottom, len(filled) - 1) + 1):
            end = min(right, len(filled[row]) - 1) + 1
            budget -= max(end - left, 0)
            if budget < 0:
                raise RosterFileError(OVERLAPPING_MERGES, "corrupt_file")
            cells = filled[row]
            for column in range(left, end):
                if cells[column] == "":
                    cells[column] = value
    return filled


OVERLAPPING_MERGES = (
    "表头附近的合并单元格互相重叠（Excel 不会保存这样的文件，可能是程序生成时出错）："
    "请在 Excel 中取消这些单元格的合并、重新合并后另存为 .xlsx 再上传。"
)


def sheet_rows(sheet: Any, unreadable: dict[tuple[int, int], Unreadable]) -> Iterator[list[Any]]:
    """The sheet's rows from row 1 and column A, streamed (calamine starts its rows at the first used column),
    with the cells calamine reads as empty but that hold a formula without result or an error value marked."""
    pad = [""] * sheet.start[1] if sheet.start and sheet.start[1] else []
    if not unreadable:  # the common case: calamine's own iterator, nothing in between
        return map(pad.__add__, sheet.iter_rows()) if pad else sheet.iter_rows()
    return _marked_rows(sheet, pad, unreadable)


def _marked_rows(sheet: Any, pad: list[Any], unreadable: dict[tuple[int, int], Unreadable]) -> Iterator[list[Any]]:
    by_row: dict[int, list[tuple[int, Unreadable]]] = {}
    for (row, column), marker in unreadable.items():
        by_row.setdefault(row, []).append((column, marker))
    number = -1
    for number, cells in enumerate(sheet.iter_rows()):
        yield _marked(pad + cells if pad else cells, by_row.get(number, ()))
    # calamine's rows end at its last value: rows holding only unreadable cells come after it
    for extra in range(number + 1, max(by_row, default=-1) + 1):
        yield _marked([], by_row.get(extra, ()))


def _marked(cells: list[Any], markers: Iterable[tuple[int, Unreadable]]) -> list[Any]:
    for column, marker in markers:
        if column >= len(cells):
            cells.extend([""] * (column + 1 - len(cells)))
        cells[column] = marker
    return cells


def has_header(workbook: CalamineWorkbook, index: int) -> bool:
    """Whether a (hidden) sheet holds a roster header: only asked to explain a workbook with no roster."""
    try:
        sheet = workbook.get_sheet_by_index(index)
        head = list(itertools.islice(sheet.iter_rows(), HEADER_SCAN_ROWS))
        return not isinstance(find_header(with_merged_header(head, sheet.merged_cell_ranges or [])), HeaderProblem)
    except (CalamineError, ValueError, OSError, UnicodeDecodeError):
        return False


BLANK: list[Any] = []


def sheet_body(
    head: list[list[Any]],
    rows: Iterator[list[Any]],
    header: int,
    wanted: set[int] | None,
    limits: Limits,
    counted: int,
) -> tuple[list[list[Any]], int]:
    """Every row of the sheet, blank ones as one shared empty list (trailing ones dropped), and the
    filled rows below headers counted so far in the workbook (``counted`` before this sheet).

    A sheet formatted down to row 1,048,576 (styled but empty rows) costs neither time nor memory here:
    calamine does not even return rows whose cells hold no value, and empty ones are not kept. Unreadable
    cells outside the roster's columns ``wanted`` (a 备注 formula) are what calamine read: empty.
    """
    cells: list[list[Any]] = []
    last = 0
    for number, row in enumerate(itertools.chain(head, rows)):
        if wanted is not None and any(isinstance(c, Unreadable) for c in row):
            row = [c if not isinstance(c, Unreadable) or i in wanted else "" for i, c in enumerate(row)]
        if row.count("") == len(row):
            cells.append(BLANK)
            continue
        cells.append(row)
        last = number + 1
        if number > header:
            counted += 1
            if counted > limits.max_rows:
                raise too_many(limits)
    del cells[max(last, header + 1) :]
    return cells, counted


class MergedColumn:
    """The value a merged cell shows on each row of one column (Excel keeps it in the top-left cell only).

    Rows are asked in order, so the merges, sorted once by their top row, are walked once: a roster whose
    outlet column is merged over every pair of rows costs one step per row, not a search per row.
    """

    def __init__(self, rows: list[list[Any]], merged: list[Any], column: int):
        self.rows = rows
        self.spans = sorted((top, bottom, left) for (top, left), (bottom, right) in merged if left <= column <= right)
        self.at = 0

    def value(self, row: int) -> Any:
        spans, at = self.spans, self.at
        while at < len(spans) and spans[at][1] < row:
            at += 1
        self.at = at
        if at < len(spans) and spans[at][0] <= row:
            top, _, left = spans[at]
            return self.rows[top][left] if left < len(self.rows[top]) else ""
        return ""


_SHEET_ELEMENT = re.compile(rb"<(?:[\w.-]+:)?sheet\s[^>]*>")
_NAME_ATTRIBUTE = re.compile(rb"""(\sname\s*=\s*)(["'])(.*?)\2""", re.S)


def distinct_sheet_names(data: bytes) -> tuple[bytes, list[str]]:
    """The workbook with every sheet's name distinct, and what was renamed, said to the user.

    Excel never writes two sheets of one name, but some programs do; python-calamine finds a sheet by its
    name even when asked by position, so the second would be the first read again and its couriers lost.
    Names that differ only by invisible characters look the same to the user, so count as the same here.
    The later ones are renamed after their position (“花名册（第2个工作表）”) in a copy of the file.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        book = archive.read("xl/workbook.xml")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise RosterFileError(CORRUPT, "corrupt_file") from None
    elements = list(_SHEET_ELEMENT.finditer(book))
    names = []
    for element in elements:
        attribute = _NAME_ATTRIBUTE.search(element.group())
        names.append(html.unescape(attribute.group(3).decode("utf-8", "replace")) if attribute else "")
    seen = {without_invisible(name).strip() for name in names}
    if len(seen) == len(names):
        return data, []
    taken: set[str] = set()
    renamed: dict[int, str] = {}
    notes = []
    for position, name in enumerate(names, start=1):
        shown = without_invisible(name).strip()
        if shown not in taken:
            taken.add(shown)
            continue
        new = f"{shown}（第{position}个工作表）"
        while new in seen or new in taken:
            new = f"{new}（{position}）"
        taken.add(new)
        renamed[position - 1] = new
        notes.append(f"工作簿中有多个工作表都叫“{shown}”，已按位置分别读取，第{position}个工作表记作“{new}”")
    pieces, last = [], 0
    for index, new in renamed.items():
        element = elements[index]
        attribute = _NAME_ATTRIBUTE.search(element.group())
        if attribute is None:
            continue
        start = element.start() + attribute.start(3)
        pieces += [book[last:start], html.escape(new, quote=True).encode()]
        last = element.start() + attribute.end(3)
    pieces.append(book[last:])
    return _replace_member(archive, "xl/workbook.xml", b"".join(pieces)), notes


def without_empty_text(data: bytes, members: list[str]) -> bytes:
    """The workbook with every cell holding an empty inline string emptied in these sheets' XML.

    Some exports write "" into every cell of a range down to row 1,048,576; the reader would build its grid
    down to there (some 32 bytes a cell), though the user sees nothing. ``scan`` leaves exactly these cells
    (the same expression) out of the grid it measures, so what is read is what was measured.
    """
    if not members:
        return data
    archive = zipfile.ZipFile(io.BytesIO(data))
    return _replace_members(archive, {name: EMPTY_TEXT_CELL.sub(b"", archive.read(name)) for name in members})


def _replace_member(archive: zipfile.ZipFile, name: str, content: bytes) -> bytes:
    return _replace_members(archive, {name: content})


def _replace_members(archive: zipfile.ZipFile, contents: dict[str, bytes]) -> bytes:
    """A copy of the archive with some members' content replaced (streamed member by member)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as copy:  # read once, at once
        for member in archive.infolist():
            if member.filename in contents:
                copy.writestr(member, contents[member.filename])
                continue
            with archive.open(member) as source, copy.open(member, "w") as target:
                while chunk := source.read(1 << 20):
                    target.write(chunk)
    return buffer.getvalue()
