"""The bytes of an uploaded roster, checked before any spreadsheet reader sees them.

Size, zip structure, encryption, declared and real uncompressed size (zip bombs), and which sheets
hold a formula (see ``formulas``).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from service.outlets.formulas import SHEETS, MarkerSearch

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
class Checked:
    """What the check of the bytes learnt on the way, for the reading that follows."""

    with_markers: set[str]  # worksheet members that may hold a formula or an error value (see ``formulas``)
    filled_rows: dict[str, int]  # member -> rows holding a value, counted on the XML (an upper bound)


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


def _check_real_sizes(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], limits: Limits) -> Checked:
    """Decompress in bounded chunks: the sizes in a zip header may lie, the data does not.

    On the way, each XML member's rows holding a value are counted (``RowCount``), so that a sheet of a
    million rows is refused before the spreadsheet reader builds them (which costs some 700 bytes a row).
    """
    total = 0
    with_markers = set()
    filled_rows = {}
    for member in members:
        search = MarkerSearch() if member.filename.startswith(SHEETS) else None
        rows = RowCount() if member.filename.endswith(".xml") else None
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(1 << 20):
                    if search is not None:
                        search.feed(chunk)
                    if rows is not None:
                        rows.feed(chunk)
                    if total > limits.max_uncompressed:
                        raise RosterFileError(_too_big_message(limits), "too_much_data", 413)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
            raise RosterFileError(CORRUPT, "corrupt_file") from None
        if search is not None and search.found:
            with_markers.add(member.filename)
        if rows is not None and rows.count:
            filled_rows[member.filename] = rows.count
    return Checked(with_markers, filled_rows)


# a value that is not empty, <v>1</v> or an inline string's <t>张三</t>, or a formula (<f>, <f .../>), then
# everything up to the end of its row: each match is one row holding a value (prefixes such as x: allowed)
_VALUE = rb"<(?:[\w.-]+:)?(?:[vt](?:\s[^>]*)?>[^<]|f[\s>/])"
_ROW_END = rb"</(?:[\w.-]+:)?row>"
_VALUE_ROW = re.compile(_VALUE + rb".*?" + _ROW_END, re.S)
_ANY_VALUE = re.compile(_VALUE)
_FIRST_ROW_END = re.compile(_ROW_END)
_KEEP = 1 << 20  # an open row longer than this is not carried whole from chunk to chunk


def _last_row_end(data: bytes) -> int:
    """Where the last complete row ends in ``data`` (after its end tag), or -1."""
    plain = data.rfind(b"</row>")
    best = plain + 6 if plain != -1 else -1
    at = data.rfind(b":row>")
    while at > best:  # a prefixed tag: the end of a row only if it is a closing tag
        start = data.rfind(b"<", 0, at)
        if start != -1 and data[start + 1 : start + 2] == b"/":
            return at + 5
        at = data.rfind(b":row>", 0, at)
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
