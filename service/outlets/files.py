"""The bytes of an uploaded roster, checked before any spreadsheet reader sees them.

Size, zip structure, encryption, declared and real uncompressed size (zip bombs), which sheets hold a
formula (see ``formulas``), and what each sheet will cost the spreadsheet reader (see ``scan``): the
grid it builds, the text its cells hold, its merged ranges, places taken twice. Every limit is a field of
``Limits``, applied here, once: the upload's checks in the request and the job's reading run this same
function on the same bytes, so they cannot disagree.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from service.outlets.formulas import SHEETS, MarkerSearch, XmlProblem, sheet_list
from service.outlets.scan import FastScan, SheetFacts, Unsure, exact_scan, shared_string_lengths

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"
# A real .xlsx sheet compresses about 5 to 20 times; far beyond that is a bomb, not a roster.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_FROM = 1024 * 1024  # tiny members may compress extremely well and harm no one
CORRUPT = "文件已损坏、不完整或不是有效的 Excel 工作簿，无法读取：请在 Excel 中重新保存为 .xlsx 后再上传。"
ENCRYPTED = "文件已加密，请去掉密码后再上传（Excel：文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码后保存）。"
OLD_XLS = "这是旧版 Excel（.xls）文件，请在 Excel 中“另存为”.xlsx 格式后再上传。"
NOT_XLSX = "这不是 Excel .xlsx 文件，请上传用模板填写的 .xlsx 文件（只改文件扩展名是不行的）。"
SPLIT = "请拆分成几个文件分别上传。"
HEADER_SCAN_ROWS = 30  # a roster's header is looked for in a sheet's first rows; they are allowed beyond the limit


class RosterFileError(ValueError):
    """The file as a whole cannot be used; the message says what to do."""

    def __init__(self, message: str, code: str, status: int = 400):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


@dataclass(frozen=True)
class Limits:
    """Every limit on a roster, in one place (app config keys in ``from_config``).

    The defaults hold a 200,000-row roster of the template's columns; each bounds what the reader builds,
    so that no file, whatever it claims, costs more than a few times a small roster's memory.
    """

    max_rows: int = 200_000
    max_bytes: int = 20 * 1024 * 1024
    max_uncompressed: int = 300 * 1024 * 1024
    # the reader's grid (rows x columns from the first to the last cell holding a value, every visible
    # sheet): some 32 bytes a cell, so 3,000,000 cells are about 100 MB; 200,000 rows of 15 columns fit
    max_cells: int = 3_000_000
    # merged ranges on the visible sheets: a roster merging its outlet cell over pairs of rows has one per
    # two rows
    max_merges: int = 100_000
    # bytes of text the cells hold, a shared string counted once per cell using it (the reader copies it
    # into each); also the most the shared-string table itself may hold
    max_text: int = 32 * 1024 * 1024
    max_strings: int = 1_000_000  # entries of the shared-string table (each costs the reader a string)

    @classmethod
    def from_config(cls, config: Any) -> Limits:
        return cls(
            int(config.get("OUTLET_MAX_ROWS", cls.max_rows)),
            int(config.get("OUTLET_MAX_UPLOAD_BYTES", cls.max_bytes)),
            int(config.get("OUTLET_MAX_UNCOMPRESSED_BYTES", cls.max_uncompressed)),
            int(config.get("OUTLET_MAX_CELLS", cls.max_cells)),
            int(config.get("OUTLET_MAX_MERGES", cls.max_merges)),
            int(config.get("OUTLET_MAX_TEXT_BYTES", cls.max_text)),
            int(config.get("OUTLET_MAX_SHARED_STRINGS", cls.max_strings)),
        )


@dataclass(frozen=True)
class BookSheet:
    """One ``<sheet>`` of workbook.xml, in the workbook's order (the reader's order too)."""

    name: str
    visible: bool
    member: str  # the zip member holding its XML, "" when there is none
    facts: SheetFacts


@dataclass(frozen=True)
class Checked:
    """What the check of the bytes learnt on the way, for the reading that follows."""

    with_markers: set[str]  # worksheet members that may hold a formula or an error value (see ``formulas``)
    filled_rows: dict[str, int]  # member -> rows holding a value, counted on the XML (an upper bound)
    sheets: list[BookSheet]  # by position: sheets are matched to the reader's by position, never by name


def check_file(data: bytes, limits: Limits) -> Checked:
    """Refuse what is not a usable .xlsx before a spreadsheet reader touches it."""
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
    _no_member_twice(members)
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
    try:
        book = sheet_list(archive)
    except (XmlProblem, KeyError, zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise RosterFileError(CORRUPT, "corrupt_file") from None
    checked = _check_real_sizes(archive, members, limits, book)
    enforce(checked, limits)
    return checked


def _no_member_twice(members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip holding one part twice: which copy a reader takes is up to it, so the checks here
    could measure one copy and the spreadsheet reader read the other. Names are compared as readers may
    look them up (case and slash direction aside)."""
    seen: set[str] = set()
    for member in members:
        key = member.filename.replace("\\", "/").lower()
        if key in seen:
            raise RosterFileError(
                f"文件里的部件“{member.filename[:80]}”出现了两次，不是 Excel 保存的正常文件，读取时可能读错或丢失数据："
                "请在 Excel 中打开后另存为 .xlsx 再上传。",
                "corrupt_file",
            )
        seen.add(key)


def _bomb_message() -> str:
    return "文件内容的压缩比异常（疑似压缩炸弹），已拒绝：请上传正常保存的 Excel 文件。"


def _too_big_message(limits: Limits) -> str:
    return f"文件解压后超过 {limits.max_uncompressed / 1048576:.0f} MB，数据过多：请拆分成几个文件分别上传。"


def _check_real_sizes(
    archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], limits: Limits, book: list[tuple[str, bool, str]]
) -> Checked:
    """Decompress in bounded chunks: the sizes in a zip header may lie, the data does not.

    On the way, each XML member's rows holding a value are counted (``RowCount``), so that a sheet of a
    million rows is refused before the spreadsheet reader builds them (which costs some 700 bytes a row),
    and each sheet is measured for what the reader will build (``scan``). The shared-string table is
    read first, wherever it sits in the zip: a cell's cost depends on the string it uses.
    """
    by_key = {m.filename.lower(): m for m in members}
    sheet_members = {path.lower() for _, _, path in book if path}
    shared_member = by_key.get("xl/sharedstrings.xml")
    shared: list[int] = []
    total = 0
    if shared_member is not None:
        if shared_member.file_size > limits.max_text:
            raise too_much_text(limits)
        try:
            # counted first at C speed (an upper bound: every "<si" start tag), so that a table of millions of
            # strings is refused without parsing each
            entries = 0
            with archive.open(shared_member) as stream:
                tail = b""
                while chunk := stream.read(1 << 20):
                    head = chunk[:8]
                    for tag in (b"<si>", b"<si/>", b"<si "):  # and those cut in two by the chunking
                        entries += chunk.count(tag) + (tail + head).count(tag) - tail.count(tag) - head.count(tag)
                    tail = chunk[-8:]
                    if entries > limits.max_strings:
                        raise too_many_strings(limits)
            with archive.open(shared_member) as stream:
                shared = shared_string_lengths(stream, limits.max_strings, lambda: too_many_strings(limits))
        except RosterFileError:
            raise
        except Exception:  # zip, decompression and expat errors alike: a broken table
            raise RosterFileError(CORRUPT, "corrupt_file") from None
        if sum(shared) > limits.max_text:
            raise too_much_text(limits)
    with_markers = set()
    filled_rows = {}
    facts: dict[str, SheetFacts] = {}
    unsure: list[zipfile.ZipInfo] = []
    for member in members:
        search = MarkerSearch() if member.filename.startswith(SHEETS) else None
        rows = RowCount() if member.filename.endswith(".xml") else None
        fast = FastScan(shared, limits.max_text) if member.filename.lower() in sheet_members else None
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(1 << 20):
                    total += len(chunk)
                    if search is not None:
                        search.feed(chunk)
                    if rows is not None:
                        rows.feed(chunk)
                    if fast is not None:
                        try:
                            fast.feed(chunk)
                        except Unsure:
                            fast = None
                            unsure.append(member)
                    if total > limits.max_uncompressed:
                        raise RosterFileError(_too_big_message(limits), "too_much_data", 413)
            if fast is not None:
                found = fast.close()
                # the fast pass's grid counts styled empty cells too: over the limit, the exact pass decides
                if found.cells > limits.max_cells or found.text > limits.max_text:
                    unsure.append(member)
                else:
                    facts[member.filename.lower()] = found
        except Unsure:
            unsure.append(member)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
            raise RosterFileError(CORRUPT, "corrupt_file") from None
        if search is not None and search.found:
            with_markers.add(member.filename)
        if rows is not None and rows.count:
            filled_rows[member.filename] = rows.count
    # rows first: a roster over the row limit is said to be one (the exact pass below would stop at the
    # cell limit and say that instead)
    visible = [path for _, shown_, path in book if shown_ and path]
    if sum(filled_rows.get(path, 0) for path in visible) > limits.max_rows + HEADER_SCAN_ROWS * len(visible):
        raise too_many(limits)
    for member in unsure:
        facts[member.filename.lower()] = _exact(archive, member, shared, limits)
    sheets = [BookSheet(name, visible, path, facts.get(path.lower(), SheetFacts())) for name, visible, path in book]
    return Checked(with_markers, filled_rows, sheets)


def _exact(archive: zipfile.ZipFile, member: zipfile.ZipInfo, shared: list[int], limits: Limits) -> SheetFacts:
    def over(facts: SheetFacts) -> bool:
        return facts.cells > limits.max_cells or facts.text > limits.max_text or facts.merges > limits.max_merges

    try:
        with archive.open(member) as stream:
            return exact_scan(stream, shared, over, limits.max_cells)
    except Exception:  # zip, decompression and expat errors alike: a broken sheet
        raise RosterFileError(CORRUPT, "corrupt_file") from None


def enforce(checked: Checked, limits: Limits) -> None:
    """The limits on what the reader will build, over the visible sheets (the only ones read)."""
    visible = [sheet for sheet in checked.sheets if sheet.visible]
    for sheet in visible:
        if sheet.facts.duplicate:
            raise RosterFileError(
                f"工作表“{shown(sheet.name)}”的 {sheet.facts.duplicate} 单元格在文件里出现了两次"
                "（例如同一个行号写了两行，或单元格顺序错乱），只读一个会悄悄丢掉另一个的内容：请检查生成这个文件的程序，"
                "或在 Excel 中打开、核对这一行后另存为 .xlsx 再上传。",
                "duplicate_cells",
                422,
            )
    for sheet in visible:
        if sheet.facts.too_many_elements:
            raise RosterFileError(
                f"工作表“{shown(sheet.name)}”写有超过 {limits.max_cells:,} 个单元格（含空的、只有格式的单元格），"
                "超过上限：请删除表格以外多余的行和列（选中后右键“删除”）后再上传，花名册本身过大时，" + SPLIT,
                "too_many_cells",
                413,
            )
    cells = sum(sheet.facts.cells for sheet in visible)
    if cells > limits.max_cells:
        widest = max(visible, key=lambda sheet: sheet.facts.cells)
        raise too_many_cells(widest, cells, limits)
    if sum(sheet.facts.merges for sheet in visible) > limits.max_merges:
        merges = sum(sheet.facts.merges for sheet in visible)
        raise RosterFileError(
            f"工作簿中有 {merges:,} 处合并单元格，超过一次最多 {limits.max_merges:,} 处的上限："
            "请取消不需要的合并单元格（选中区域 → 取消单元格合并）后再上传，或拆分成几个文件。",
            "too_many_merges",
            413,
        )
    if sum(sheet.facts.text for sheet in visible) > limits.max_text:
        raise too_much_text(limits)


def sheet_fits(sheet: BookSheet, limits: Limits) -> bool:
    """Whether one (hidden) sheet may be built alone, to explain a workbook without a visible roster."""
    facts = sheet.facts
    return not facts.duplicate and facts.cells <= limits.max_cells and facts.text <= limits.max_text


def shown(name: str) -> str:
    """A sheet's name for a message: a line feed or other control character in it shown as a space."""
    return re.sub("[\x00-\x1f\x7f-\x9f]", " ", name)


def too_many_cells(sheet: BookSheet, cells: int, limits: Limits) -> RosterFileError:
    facts = sheet.facts
    rows, columns = facts.last_row - facts.first_row + 1, facts.last_col - facts.first_col + 1
    return RosterFileError(
        f"工作表“{shown(sheet.name)}”的 {facts.far_cell} 单元格有内容，使表格范围达到 {rows:,} 行 × {columns:,} 列，"
        f"要读取的单元格共 {cells:,} 个，超过一次最多 {limits.max_cells:,} 个的上限："
        f"请删除表格以外的多余内容（如 {facts.far_cell} 单元格）后再上传；花名册本身过大时，" + SPLIT,
        "too_many_cells",
        413,
    )


def too_much_text(limits: Limits) -> RosterFileError:
    return RosterFileError(
        f"单元格中的文字超过一次最多 {limits.max_text / 1048576:.0f} MB 的上限"
        "（同一段文字被多个单元格引用时按每个单元格计）："
        "请删除过长的文字（如粘贴进备注等单元格的大段内容）后再上传，或拆分成几个文件。",
        "too_much_text",
        413,
    )


def too_many_strings(limits: Limits) -> RosterFileError:
    return RosterFileError(
        f"文件中的不同文字超过一次最多 {limits.max_strings:,} 段的上限：" + SPLIT,
        "too_much_text",
        413,
    )


# a value that is not empty, <v>1</v> or an inline string's <t>张三</t>, or a formula (<f>, <f .../>), then
# everything up to the end of its row: each match is one row holding a value (prefixes such as x: allowed)
_VALUE = rb"<(?:[\w.-]+:)?(?:[vt](?:\s[^>]*)?>[^<]|f[\s>/])"
_ROW_END = rb"</(?:[\w.-]+:)?row>"
# "up to the first end of a row" written as runs of anything but "<", and a "<" only where no row ends: the
# same match as ``.*?`` followed by the row's end, but the runs go at C speed where ``.*?`` tries the end tag
# after every byte (half the time of the size check's row count on 100,000 rows). Possessive (``*+``):
# nothing to give back, so a row that never ends costs one look, not a retry from every byte.
_UP_TO_ROW_END = rb"[^<]*+(?:<(?!/(?:[\w.-]+:)?row>)[^<]*+)*+"
_VALUE_ROW = re.compile(_VALUE + _UP_TO_ROW_END + _ROW_END)
_ANY_VALUE = re.compile(_VALUE)
_FIRST_ROW_END = re.compile(_ROW_END)
_KEEP = 1 << 20  # an open row longer than this is not carried whole from chunk to chunk


def _last_row_end(data: bytes) -> int:
    """Where the last complete row ends in ``data`` (after its end tag), or -1."""
    plain = data.rfind(b"</row>")
    best = plain + 6 if plain != -1 else -1
    # only a prefixed end after the last plain one counts: looked for there, not through the whole chunk
    at = data.rfind(b":row>", best + 1)
    while at > best:  # a prefixed tag: the end of a row only if it is a closing tag
        start = data.rfind(b"<", 0, at)
        if start != -1 and data[start + 1 : start + 2] == b"/":
            return at + 5
        at = data.rfind(b":row>", best + 1, at)
    return best


class RowCount:
    """Rows of a sheet's XML that hold a value, counted chunk by chunk with one regular expression.

    An upper bound of the rows the reader will return as filled: a styled empty row, or one of empty
    inline strings, is not counted; a cell pointing at an empty shared string is (rare, and only makes the
    count larger). Fed the chunks the size check decompresses anyway.
    """

    def __init__(self) -> None:
        self.count = 0
        self.tail = b""  # the row still open at the end of the last chunk
        self.open_has_value = False  # for a very long open row, cut: whether its cut part held a value

    def feed(self, chunk: bytes) -> None:
        data = self.tail + chunk
        end = _last_row_end(data)
        if end == -1:  # no row ends here: keep the open row, or only its end once it is very long
            if len(data) > _KEEP:
                self.open_has_value = self.open_has_value or bool(_ANY_VALUE.search(data))
                data = data[-256:]
            self.tail = data
            return
        complete, self.tail = data[:end], data[end:]
        if self.open_has_value:
            first = _FIRST_ROW_END.search(complete)
            if first is not None:
                self.count += 1
                complete = complete[first.end() :]
            self.open_has_value = False
        self.count += sum(1 for _ in _VALUE_ROW.finditer(complete))


def too_many(limits: Limits) -> RosterFileError:
    return RosterFileError(f"花名册超过一次最多 {limits.max_rows} 行的上限（空行不计）：" + SPLIT, "too_many_rows", 413)
