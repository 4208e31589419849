"""Reading an outlet's courier roster (.xlsx) as people really fill it in.

Two stages. ``check_file`` looks at the bytes before any spreadsheet reader does: size, zip
structure, encryption, declared and real uncompressed size (zip bombs), and which sheets hold a
formula. ``read_roster`` then reads every visible sheet that has a recognisable header with
python-calamine (the fastest xlsx reader pandas supports; it returns ID-as-text cells as text, numeric
cells as numbers, date cells as dates, which is all we need; ``formulas`` finds the cells it cannot
give), finds the header row, and classifies each row below it: blank (skipped and counted), accepted
(to be priced) or an error with a Chinese message telling the user how to fix it.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from rates.months import Month
from service.outlets.formulas import SHEETS, MarkerSearch, Unreadable, XmlProblem, sheet_parts, unreadable_cells

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"
HEADER_SCAN_ROWS = 30
PROGRESS_CHUNK = 5000  # rows between two progress reports: (rows done since last, rows in all)
# A real .xlsx sheet compresses about 5 to 20 times; far beyond that is a bomb, not a roster.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_FROM = 1024 * 1024  # tiny members may compress extremely well and harm no one

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
CORRUPT = "文件已损坏、不完整或不是有效的 Excel 工作簿，无法读取：请在 Excel 中重新保存为 .xlsx 后再上传。"
ENCRYPTED = "文件已加密，请去掉密码后再上传（Excel：文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码后保存）。"
OLD_XLS = "这是旧版 Excel（.xls）文件，请在 Excel 中“另存为”.xlsx 格式后再上传。"
NOT_XLSX = "这不是 Excel .xlsx 文件，请上传用模板填写的 .xlsx 文件（只改文件扩展名是不行的）。"
SPLIT = "请拆分成几个文件分别上传。"
NUMERIC_ID = (
    "身份证号被 Excel 存成了数字，后几位已经丢失，无法使用：请把这一列设置为“文本”格式，重新输入完整的18位号码。"
)
MAX_OUTLET = 100  # characters: longer is not an outlet's name but pasted text
MAX_NAME = 60  # the longest real names (transliterated, with ·) are about 30
MAX_RAW = 200  # characters of a cell shown back on the error sheet
TEMPLATE_EXAMPLE_ID = "11010519491231002X"  # the sample number of GB 11643, used in the template's example row


class RosterFileError(ValueError):
    """The file as a whole cannot be used; the message says what to do."""

    def __init__(self, message: str, code: str, status: int = 400):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


@dataclass(frozen=True)
class Limits:
    max_rows: int = 200_000
    max_bytes: int = 20 * 1024 * 1024
    max_uncompressed: int = 300 * 1024 * 1024

    @classmethod
    def from_config(cls, config: Any) -> Limits:
        return cls(
            int(config.get("OUTLET_MAX_ROWS", cls.max_rows)),
            int(config.get("OUTLET_MAX_UPLOAD_BYTES", cls.max_bytes)),
            int(config.get("OUTLET_MAX_UNCOMPRESSED_BYTES", cls.max_uncompressed)),
        )


@dataclass(frozen=True)
class RowError:
    row: int  # the Excel row number
    column: str  # Chinese column label, or "" for the whole row
    raw: str
    message: str
    sheet: str = ""  # the sheet's name


@dataclass
class SheetPart:
    """One sheet that holds a roster: where its header is and its cells, for raw values in messages."""

    name: str
    header_row: int  # the Excel row number of the header
    columns: dict[str, int]
    cells: list[list[Any]] = field(repr=False)  # the sheet's rows from row 1 (blank rows: one shared [])
    unreadable: bool = False  # whether any cell holds a formula without result or an error value


@dataclass
class Roster:
    """The accepted rows as parallel lists, the rejected ones as errors, and the counts.

    A workbook may hold several rosters, a sheet per outlet: every visible sheet with a roster header
    is read (``parts``), and a row is then named by its sheet and row (``label``).
    """

    parts: list[SheetPart] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    row_parts: list[int] = field(default_factory=list)  # index into ``parts``
    outlets: list[str] = field(default_factory=list)
    credit_codes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # Month.index()
    ends: list[int] = field(default_factory=list)
    factors: list[Decimal] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    blank_rows: int = 0
    total_rows: int = 0  # 合计/总计 rows: not couriers, listed on the error sheet
    skipped: list[str] = field(default_factory=list)  # sheets not read, and why: said to the user

    @property
    def sheet(self) -> str:
        return "、".join(part.name for part in self.parts)

    @property
    def header_row(self) -> int:
        return self.parts[0].header_row if self.parts else 0

    def label(self, sheet: str, row: int) -> int | str:
        """How a row is named: its Excel row number, with its sheet's name when several sheets were read."""
        return row if len(self.parts) < 2 else f"{sheet} 第{row}行"

    def row_label(self, position: int) -> int | str:
        return self.label(self.parts[self.row_parts[position]].name, self.rows[position])

    def raw_value(self, position: int, key: str) -> str:
        """What the user typed in a column of an accepted row, for an error found later (cut like any raw value)."""
        part = self.parts[self.row_parts[position]]
        column, row = part.columns.get(key), self.rows[position]
        if column is None or row - 1 >= len(part.cells) or column >= len(part.cells[row - 1]):
            return ""
        return _raw(part.cells[row - 1][column])

    def sort_errors(self, errors: list[RowError]) -> None:
        order = {part.name: i for i, part in enumerate(self.parts)}
        errors.sort(key=lambda e: (order.get(e.sheet, 0), e.row))


# ---------------------------------------------------------------- the file


def check_file(data: bytes, limits: Limits) -> set[str]:
    """Refuse what is not a usable .xlsx before a spreadsheet reader touches it.

    Returns the worksheet members that may hold a formula or an error value (see ``formulas``).
    """
    if not data:
        raise RosterFileError("上传的文件是空的，请选择填好的花名册（.xlsx）。", "empty_file")
    if len(data) > limits.max_bytes:
        raise RosterFileError(
            f"文件有 {len(data) / 1048576:.1f} MB，超过上限 {limits.max_bytes / 1048576:.0f} MB：" + SPLIT,
            "file_too_large",
            413,
        )
    if data.startswith(OLE2_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise RosterFileError(
                ENCRYPTED,
                "encrypted",
            )
        raise RosterFileError(OLD_XLS, "old_xls", 415)
    if not data.startswith(ZIP_MAGIC):
        raise RosterFileError(NOT_XLSX, "not_xlsx", 415)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise RosterFileError(CORRUPT, "corrupt_file") from None
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise RosterFileError(NOT_XLSX, "not_xlsx", 415)
    if any(m.flag_bits & 0x1 for m in members):
        raise RosterFileError(ENCRYPTED, "encrypted")
    declared = sum(m.file_size for m in members)
    for member in members:
        if member.file_size > RATIO_CHECK_FROM and member.file_size > MAX_COMPRESSION_RATIO * max(
            member.compress_size, 1
        ):
            raise RosterFileError(_bomb_message(), "zip_bomb", 413)
    if declared > limits.max_uncompressed:
        raise RosterFileError(_too_big_message(limits), "too_much_data", 413)
    return _check_real_sizes(archive, members, limits)


def _bomb_message() -> str:
    return "文件内容的压缩比异常（疑似压缩炸弹），已拒绝：请上传正常保存的 Excel 文件。"


def _too_big_message(limits: Limits) -> str:
    return f"文件解压后超过 {limits.max_uncompressed / 1048576:.0f} MB，数据过多：请拆分成几个文件分别上传。"


def _check_real_sizes(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], limits: Limits) -> set[str]:
    """Decompress in bounded chunks: the sizes in a zip header may lie, the data does not."""
    total = 0
    with_markers = set()
    for member in members:
        search = MarkerSearch() if member.filename.startswith(SHEETS) else None
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(1 << 20):
                    if search is not None:
                        search.feed(chunk)
                    total += len(chunk)
                    if total > limits.max_uncompressed:
                        raise RosterFileError(_too_big_message(limits), "too_much_data", 413)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
            raise RosterFileError(CORRUPT, "corrupt_file") from None
        if search is not None and search.found:
            with_markers.add(member.filename)
    return with_markers


# ---------------------------------------------------------------- cells


def _text(value: Any) -> str:
    """A cell as the text the user sees, trimmed (numbers without a spurious .0)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    return str(value).strip()


def _normal(text: str) -> str:
    """Full-width to half-width, no spaces: how header names and codes are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _header_key(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = re.sub(r"\(.*?\)|\[.*?\]|[*:：]", "", _normal(value))  # “姓名（必填）”, “*姓名”
    return _HEADER_NAMES.get(text)


_HEADER_NAMES = {name: key for key, names in SYNONYMS.items() for name in names}

_MONTH_TEXT = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),  # a whole date typed as text: its month
)
MONTH_HELP = "请写成 2025-03 这样的年月（也可写 2025/3、2025.3、2025年3月、202503 或填日期）"


class CellError(ValueError):
    pass


def _month_from(year: int, month: int, raw: str) -> int:
    if not 1 <= month <= 12:
        raise CellError(f"“{raw}”的月份不在1至12之间，{MONTH_HELP}。")
    if not 1900 <= year <= 9999:
        raise CellError(f"“{raw}”的年份不对，{MONTH_HELP}。")
    return Month(year, month).index()


@lru_cache(maxsize=4096)
def parse_month(value: Any) -> int:
    """A month cell as ``Month.index()``; raises ``CellError`` with the fix in Chinese."""
    if isinstance(value, dt.date):  # datetime is a date too
        return _month_from(value.year, value.month, _text(value))
    if isinstance(value, bool):
        raise CellError(f"不是月份，{MONTH_HELP}。")
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        digits = str(int(value))
        if len(digits) == 6:
            return _month_from(int(digits[:4]), int(digits[4:]), digits)
        raise CellError(f"“{digits}”不是年月，{MONTH_HELP}。")
    if isinstance(value, float):
        # 2025.3 typed into a number cell arrives as the float 2025.3; its shortest repr is what was
        # typed, except that Excel keeps no trailing zero: 2025.10 (October) arrives as 2025.1, the same
        # number as 2025.1 (January). That one cannot be told apart, so it is never guessed.
        text = repr(value)
        year, _, month = text.partition(".")
        if month == "1" and len(year) == 4:
            raise CellError(
                "“2025.1”这样的数字无法区分1月和10月（Excel 会把 2025.10 存成 2025.1）："
                "请改写成 2025-01 或 2025-10，或把该列设为文本后再填。".replace("2025", year)
            )
        if len(year) == 4 and month.isdigit() and len(month) <= 2:
            return _month_from(int(year), int(month), text)
        raise CellError(f"“{text}”不是年月，{MONTH_HELP}。")
    if isinstance(value, str):
        text = _normal(value)
        for pattern in _MONTH_TEXT:
            match = pattern.match(text)
            if match:
                if len(match.groups()) == 3:
                    try:
                        dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
                    except ValueError:
                        raise CellError(f"“{value.strip()}”不是有效日期，{MONTH_HELP}。") from None
                return _month_from(int(match.group(1)), int(match.group(2)), value.strip())
        raise CellError(f"“{value.strip()[:30]}”不是可识别的年月，{MONTH_HELP}。")
    raise CellError(f"不是月份，{MONTH_HELP}。")


@lru_cache(maxsize=1024)
def parse_factor(value: Any) -> Decimal:
    if value == "" or value is None:
        return Decimal(1)
    if isinstance(value, bool):
        raise CellError("浮动费率须为数字（例如 1 或 1.2），不填则按 1 计算。")
    # a float's shortest repr is what was typed (1.2, not 1.19999...)
    text = repr(value) if isinstance(value, float) else _normal(str(value))
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(f"“{str(value)[:20]}”不是数字：浮动费率须为数字（例如 1 或 1.2），不填则按 1 计算。") from None
    if not number.is_finite():
        raise CellError("浮动费率须为有限的数字。")
    if number.as_tuple().exponent < -4:  # type: ignore[operator]
        raise CellError("浮动费率最多4位小数，请修改。")
    return number


@lru_cache(maxsize=65536)
def _birth_date(digits: str) -> bool:
    """cn.ric's birth-date check, once per distinct date (a roster holds far fewer dates than people)."""
    try:
        born = ric.get_birth_date(f"000000{digits}0000")
    except ValidationError:
        return False
    return born <= dt.date.today()


def parse_id(value: Any) -> str:
    """A 公民身份号码 checked with cn.ric's functions: length, digits, checksum and birth date.

    Not cn.ric's birth-place check: it wants the first six digits to name a county that existed in
    the birth year, but they name the household registration where the number was issued, often a
    district created later (青山湖区 360111 for someone born in 1970), so real numbers would be refused;
    a mistyped digit is caught by the checksum anyway. Lowercase x is written upper case.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError(NUMERIC_ID)
    if not isinstance(value, str):
        raise CellError("身份证号须为18位号码，请填写。")
    # the common case, 18 plain ASCII characters, skips the full-width and space clean-up
    number = value.upper() if len(value) == 18 and value.isascii() and value.isalnum() else _normal(value).upper()
    if not number:
        raise CellError("身份证号为空，请填写18位公民身份号码。")
    if len(number) != 18:
        raise CellError(f"身份证号应为18位，这里是{len(number)}位：请核对后重新填写。")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise CellError("身份证号只能是17位数字加最后一位数字或X，请核对。")
    if number[-1] != ric.calc_check_digit(number):
        raise CellError("身份证号校验位不对（可能有数字输错），请与身份证核对。")
    if not _birth_date(number[6:14]):
        raise CellError("身份证号中的出生日期不存在，请与身份证核对。")
    return number


@lru_cache(maxsize=4096)
def parse_credit_code(value: Any) -> str:
    if isinstance(value, (int, float)):
        raise CellError("统一社会信用代码被存成了数字，请把该列设为文本后重新填写18位代码（或留空）。")
    code = _normal(str(value)).upper()
    try:
        return uscc.validate(code)
    except ValidationError:
        raise CellError(f"统一社会信用代码“{code[:30]}”校验不通过：请核对营业执照上的18位代码，或留空。") from None


_TOTAL = re.compile(r"^(?:合计|总计|小计)(?:[:(].*)?$")  # “合计”, “合计：”, “合计（元）”, not “合计快递”


def _is_total(cells: list[Any]) -> bool:
    return any(isinstance(cell, str) and cell and _TOTAL.match(_normal(cell)) for cell in cells)


# ---------------------------------------------------------------- the sheet


@dataclass(frozen=True)
class HeaderProblem:
    """Why a sheet has no usable header; ``partial``: a row looks like one but lacks columns."""

    message: str
    partial: bool


def _find_header(rows: list[list[Any]]) -> tuple[int, dict[str, int]] | HeaderProblem:
    """The first row naming every required column, or what is missing."""
    best: tuple[int, dict[str, int]] | None = None
    for number, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        found: dict[str, int] = {}
        for column, value in enumerate(cells):
            key = _header_key(value)
            if key is not None and key not in found:
                found[key] = column
        if all(k in found for k in REQUIRED):
            return number, found
        if len(found) >= 2 and (best is None or len(found) > len(best[1])):
            best = (number, found)
    if best is not None:
        missing = "、".join(COLUMNS[k] for k in REQUIRED if k not in best[1])
        return HeaderProblem(f"第{best[0] + 1}行像是表头，但缺少这些列：{missing}。请按模板填写列名。", partial=True)
    return HeaderProblem(
        f"在前{HEADER_SCAN_ROWS}行中找不到表头（须有“网点名称、姓名、公民身份号码、参保起始月、参保终止月”等列）："
        "请使用模板，或把列名改成模板中的名称。",
        partial=False,
    )


def _open(data: bytes) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError, UnicodeDecodeError):
        raise RosterFileError(CORRUPT, "corrupt_file") from None


def _too_many(limits: Limits) -> RosterFileError:
    return RosterFileError(f"花名册超过一次最多 {limits.max_rows} 行的上限（空行不计）：" + SPLIT, "too_many_rows", 413)


def _with_merged_header(rows: list[list[Any]], merged: list[Any]) -> list[list[Any]]:
    """The first rows as Excel shows them: a merged header cell's name on every row and column it spans.

    A two-row header (“参保期间” merged over “起始月”“终止月”, the other names merged down over both
    rows) then has one row that names every column.
    """
    filled = [list(cells) for cells in rows]
    for (top, left), (bottom, right) in merged:
        if top >= len(filled) or left >= len(filled[top]):
            continue
        value = filled[top][left]
        for row in range(top, min(bottom, len(filled) - 1) + 1):
            for column in range(left, min(right, len(filled[row]) - 1) + 1):
                if filled[row][column] == "":
                    filled[row][column] = value
    return filled


def _rows(sheet: Any, unreadable: dict[tuple[int, int], Unreadable]) -> Iterator[list[Any]]:
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


def read_roster(data: bytes, limits: Limits, progress: Callable[[int, int], None] | None = None) -> Roster:
    """Check the bytes, then read every visible sheet that has a roster header.

    Hidden sheets are never read (what the user does not see is not charged); they, and the visible
    sheets without a roster header (such as the template's 填写说明), are named in the summary. A visible
    sheet that looks like a roster but lacks a required column refuses the file: its rows would be lost.
    """
    with_markers = check_file(data, limits)
    workbook = _open(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = sheet_parts(archive)
    except (XmlProblem, KeyError, zipfile.BadZipFile):
        raise RosterFileError(CORRUPT, "corrupt_file") from None
    roster = Roster()
    problem: str | None = None  # the first visible sheet's reason for having no roster
    hidden: list[int] = []  # looked at only if no visible sheet holds a roster
    data_rows = 0
    outlet_merges: list[list[Any]] = []  # per sheet read: the merged cells of its outlet column
    for index, (name, meta) in enumerate(zip(workbook.sheet_names, workbook.sheets_metadata, strict=False)):
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        try:
            sheet = workbook.get_sheet_by_index(index)
            if meta.visible != SheetVisibleEnum.Visible:
                hidden.append(index)
                roster.skipped.append(f"隐藏的工作表“{name}”未读取")
                continue
            unreadable = unreadable_cells(archive, members.get(name), with_markers)
            rows = _rows(sheet, unreadable)
            head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
            merged = sheet.merged_cell_ranges or []
            found = _find_header(_with_merged_header(head, merged))
            if isinstance(found, HeaderProblem):
                if found.partial:  # it looks like a roster: refusing beats losing its rows
                    hint = "（如果这张表不是花名册，请删除或隐藏它）" if len(workbook.sheet_names) > 1 else ""
                    raise RosterFileError(f"工作表“{name}”{found.message}{hint}", "no_header", 422)
                problem = problem or found.message
                roster.skipped.append(f"工作表“{name}”没有花名册表头，未读取")
                continue
            header, columns = found
            wanted = {c for k, c in columns.items() if k != "remark"}
            cells, data_rows = _body(head, rows, header, wanted if unreadable else None, limits, data_rows)
            outlet_merges.append([r for r in merged if r[0][1] <= columns["outlet"] <= r[1][1]])
            roster.parts.append(SheetPart(name, header + 1, columns, cells, bool(unreadable)))
        except (CalamineError, ValueError, OSError, UnicodeDecodeError) as error:
            if isinstance(error, RosterFileError):
                raise
            raise RosterFileError(CORRUPT, "corrupt_file") from None
    if roster.parts:
        total = sum(len(part.cells) - part.header_row for part in roster.parts)
        for index, merges in enumerate(outlet_merges):
            _classify(roster, index, merges, None if progress is None else functools.partial(_step, progress, total))
        return roster
    hidden_rosters = [workbook.sheet_names[i] for i in hidden if _has_header(workbook, i)]
    if hidden_rosters:
        names = "、".join(f"“{n}”" for n in hidden_rosters)
        problem = (
            f"花名册所在的工作表{names}是隐藏的，不会读取：请在 Excel 中取消隐藏（右键工作表标签 → 取消隐藏）后再上传。"
        )
    raise RosterFileError(problem or "工作簿中没有工作表。", "no_header", 422)


def _has_header(workbook: CalamineWorkbook, index: int) -> bool:
    """Whether a (hidden) sheet holds a roster header: only asked to explain a workbook with no roster."""
    try:
        sheet = workbook.get_sheet_by_index(index)
        head = list(itertools.islice(sheet.iter_rows(), HEADER_SCAN_ROWS))
        return not isinstance(_find_header(_with_merged_header(head, sheet.merged_cell_ranges or [])), HeaderProblem)
    except (CalamineError, ValueError, OSError, UnicodeDecodeError):
        return False


_BLANK: list[Any] = []


def _step(progress: Callable[[int, int], None], total: int, rows: int) -> None:
    progress(rows, total)  # rows done since the last report, out of the rows of every sheet read


def _body(
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
            cells.append(_BLANK)
            continue
        cells.append(row)
        last = number + 1
        if number > header:
            counted += 1
            if counted > limits.max_rows:
                raise _too_many(limits)
    del cells[max(last, header + 1) :]
    return cells, counted


def _merged_value(rows: list[list[Any]], merged: list[Any], row: int, column: int) -> Any:
    """The value a merged outlet cell shows on this row (Excel keeps it in the top-left cell only)."""
    for (top, left), (bottom, right) in merged:
        if top <= row <= bottom and left <= column <= right:
            return rows[top][left] if left < len(rows[top]) else ""
    return ""


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode's control characters (category Cc)


def _text_problem(text: str, label: str, limit: int) -> str | None:
    """Why a name cannot be used (empty, too long to be one, control characters), or None."""
    if not text:
        return f"{label}为空，请填写{'快递网点名称' if label == '网点名称' else '快递员姓名'}。"
    if len(text) > limit:
        return f"{label}有 {len(text)} 个字符，超过 {limit} 个字符的上限：请核对是否把别的内容粘贴进来了。"
    if _CONTROL.search(text):
        return f"{label}里有换行符或其他看不见的控制字符（常见于从别的系统复制）：请删除后重新输入。"
    return None


def _raw(value: Any) -> str:
    """What a cell held, for the error sheet: cut when very long (a whole pasted document)."""
    if value is None:
        return ""
    text = _text(value)
    return text if len(text) <= MAX_RAW else f"{text[:MAX_RAW]}…（共 {len(text)} 个字符）"


def _classify(
    roster: Roster,
    part_index: int,
    merged: list[Any],
    progress: Callable[[int], None] | None,
) -> None:
    part = roster.parts[part_index]
    rows, header, columns, sheet = part.cells, part.header_row - 1, part.columns, part.name
    c_outlet, c_name, c_id, c_start, c_end = (columns[k] for k in REQUIRED)
    c_credit, c_factor = columns.get("credit_code"), columns.get("factor")
    width = max(columns.values()) + 1
    look = part.unreadable  # without such cells (most sheets) no cell needs the look
    labels = COLUMNS
    body = rows[header + 1 :]
    for offset, cells in enumerate(body):
        if progress is not None and offset % PROGRESS_CHUNK == 0 and offset:
            progress(PROGRESS_CHUNK)
        number = header + 2 + offset  # the Excel row number
        if cells is _BLANK:
            roster.blank_rows += 1
            continue
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        if "计" in repr(cells) and _is_total(cells):  # a cheap look first: the repr is built in C
            roster.total_rows += 1
            roster.errors.append(RowError(number, "", "", "合计行：不是快递员，未计费（无需修改）。", sheet))
            continue
        problems: list[RowError] = []

        def fail(key: str, raw: Any, message: str, number: int = number, problems: list[RowError] = problems) -> None:
            problems.append(RowError(number, labels[key], _raw(raw), message, sheet))

        def usable(key: str, value: Any) -> bool:
            if isinstance(value, Unreadable):
                fail(key, value, value.message)
                return False
            return True

        outlet_raw = cells[c_outlet]
        if outlet_raw == "" and merged:
            outlet_raw = _merged_value(rows, merged, header + 1 + offset, c_outlet)
        outlet = name = id_number = credit = ""
        if not look or usable("outlet", outlet_raw):
            outlet = _text(outlet_raw)
            if not outlet or len(outlet) > MAX_OUTLET or _CONTROL.search(outlet):  # one cheap look first
                fail("outlet", outlet_raw, _text_problem(outlet, "网点名称", MAX_OUTLET) or "")
        if not look or usable("name", cells[c_name]):
            name = _text(cells[c_name])
            if not name or len(name) > MAX_NAME or _CONTROL.search(name):
                fail("name", cells[c_name], _text_problem(name, "姓名", MAX_NAME) or "")
        if not look or usable("id", cells[c_id]):
            try:
                id_number = parse_id(cells[c_id])
            except CellError as error:
                fail("id", cells[c_id], str(error))
        if c_credit is not None and cells[c_credit] != "" and (not look or usable("credit_code", cells[c_credit])):
            try:
                credit = parse_credit_code(cells[c_credit])
            except CellError as error:
                fail("credit_code", cells[c_credit], str(error))
        months: list[int] = []
        for key, column in (("start", c_start), ("end", c_end)):
            if cells[column] == "":
                fail(key, "", f"{labels[key]}为空，{MONTH_HELP}。")
                continue
            if look and not usable(key, cells[column]):
                continue
            try:
                months.append(parse_month(cells[column]))
            except CellError as error:
                fail(key, cells[column], str(error))
        factor = Decimal(1)
        if c_factor is not None and (not look or usable("factor", cells[c_factor])):
            try:
                factor = parse_factor(cells[c_factor])
            except CellError as error:
                fail("factor", cells[c_factor], str(error))
        if not problems and id_number == TEMPLATE_EXAMPLE_ID:
            fail("id", cells[c_id], "这是模板里的示例行，未计费：请删除示例行后再上传。")
        if problems:
            roster.errors.extend(problems)
            continue
        roster.rows.append(number)
        roster.row_parts.append(part_index)
        roster.outlets.append(outlet)
        roster.credit_codes.append(credit)
        roster.names.append(name)
        roster.ids.append(id_number)
        roster.starts.append(months[0])
        roster.ends.append(months[1])
        roster.factors.append(factor)
    if progress is not None and body:
        progress(len(body) % PROGRESS_CHUNK or PROGRESS_CHUNK)
