"""Cells whose value the spreadsheet reader cannot give: a formula saved without its result, an error value.

python-calamine returns the value Excel saved with a formula (what the user sees), which is right,
but it returns an empty cell both for a formula saved without a result (files written by programs
that do not calculate, such as openpyxl) and for an error value (#N/A, #DIV/0!). Read as empty, a
浮动费率 would silently become the default 1 and a row of formulas would be skipped as blank. So the
sheets that hold any formula or error value are read once more here, with the standard library's
expat parser (no DTD, no entities, streamed: memory stays small on a large sheet), to find those cells.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from typing import IO, Any
from xml.parsers import expat

CHUNK = 1 << 20
# <f>, <f t="shared" .../>, <x:f>, and error cells t="e": any of these makes the sheet worth reading
# (a false alarm, such as <font, only costs a closer look)
MARKERS = (b"<f", b":f", b't="e"', b"t='e'")
FORMULA_MARKERS = MARKERS[:2]  # the others hold a quoted e, looked for first (``MarkerSearch``)
OVERLAP = 5
SEAM = 32
# an error cell's type written with spaces or line breaks around "=" (XML allows it): t = "e"
_SPACED_ERROR = re.compile(rb"""\st\s*=\s*["']e["']""")
SHEETS = "xl/worksheets/"  # where Excel and nearly every program keep the sheets


@dataclass(frozen=True)
class Unreadable:
    """A cell the user sees a value in (or an error), but whose value the file does not hold."""

    raw: str  # what the cell holds: "=G2*1.2" or "#N/A"
    message: str

    def __str__(self) -> str:
        return self.raw


def no_result(formula: str) -> Unreadable:
    shown = f"={formula}" if formula else "（公式）"
    return Unreadable(
        shown,
        "这是公式，但文件里没有保存公式的计算结果（常见于程序生成的文件）：请在 Excel 中打开后保存再上传，"
        "或把公式改成数值。",
    )


def error_value(text: str) -> Unreadable:
    shown = text or "#错误"
    return Unreadable(shown, f"单元格是 Excel 错误值 {shown}（公式出错或引用无效）：请改正公式或直接填写数值。")


class XmlProblem(ValueError):
    pass


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _parser() -> Any:
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def no_dtd(*_: Any) -> None:
        raise XmlProblem("DTD")

    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    return parser


def _parse(stream: IO[bytes], parser: Any) -> None:
    try:
        while chunk := stream.read(CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise XmlProblem(str(error)) from None


def _attributes(stream: IO[bytes], element: str) -> list[dict[str, str]]:
    """The attributes of every ``element`` of a small XML part (workbook.xml, its relationships)."""
    found: list[dict[str, str]] = []
    parser = _parser()

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == element:
            found.append({_local(k) if k.endswith(":id") else k: v for k, v in attrs.items()})

    parser.StartElementHandler = start
    _parse(stream, parser)
    return found


def sheet_list(archive: zipfile.ZipFile) -> list[tuple[str, bool, str]]:
    """Every ``<sheet>`` of workbook.xml in order: (name, visible, its XML member or "").

    The reader lists sheets in this same order, so sheets are matched to it by position: a name is no key
    (an XML parser turns a line feed in an attribute into a space, the reader keeps it; two sheets may share
    a name). The member is named as the zip spells it (readers find parts whatever their case).
    """
    with archive.open("xl/workbook.xml") as stream:
        sheets = _attributes(stream, "sheet")
    try:
        with archive.open("xl/_rels/workbook.xml.rels") as stream:
            relations = {r.get("Id"): r.get("Target", "") for r in _attributes(stream, "Relationship")}
    except KeyError:
        relations = {}
    spelled = {name.lower(): name for name in archive.namelist()}
    found = []
    for sheet in sheets:
        target = relations.get(sheet.get("id"), "")
        path = ""
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            path = spelled.get(path.lower(), "")
        found.append((sheet.get("name", ""), sheet.get("state", "visible") == "visible", path))
    return found


class MarkerSearch:
    """Fed a member's bytes chunk by chunk (by the size check, which reads them anyway): any formula in it?"""

    def __init__(self) -> None:
        self.found = False
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        if self.found:
            return
        seam = self.tail + chunk[:SEAM]  # a marker cut in two by the chunking
        # an error cell's type, t="e" spaced or not, holds a quoted e: only where one is are the types looked for
        quoted = [quote for quote in (b'"e"', b"'e'") if quote in chunk or quote in seam]
        self.found = (
            any(marker in chunk or marker in seam for marker in FORMULA_MARKERS)
            or any(b"t=" + quote in chunk or b"t=" + quote in seam for quote in quoted)
            or (bool(quoted) and bool(_SPACED_ERROR.search(seam) or _SPACED_ERROR.search(chunk)))
        )
        self.tail = chunk[-SEAM:]


def _column(ref: str) -> int:
    number = 0
    for char in ref:
        if not char.isalpha():
            break
        number = number * 26 + ord(char.upper()) - 64
    return number - 1


def _scan(stream: IO[bytes]) -> dict[tuple[int, int], Unreadable]:
    """(row, column), both from 0, of every formula without a saved result and every error value.

    The handlers run for every element of the sheet: they do as little as they can (the column is
    worked out only for a cell that is reported).
    """
    found: dict[tuple[int, int], Unreadable] = {}
    cell: dict[str, Any] = {}
    last: dict[str, Any] = {"row": -1, "ref": None, "col": -1}  # where the last row and cell were
    texts: dict[str, list[str]] = {}
    collecting: list[list[str]] = []
    parser = _parser()
    parser.buffer_text = True

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2] if ":" in name else name
        if local == "c":
            cell.clear()
            cell["t"], cell["r"] = attrs.get("t", "n"), attrs.get("r")
            if cell["r"]:
                last["ref"] = cell["r"]
            else:  # a cell without a reference is the one after the last (rare: worked out only then)
                last["col"] = (_column(last["ref"]) if last["ref"] else last["col"]) + 1
                last["ref"] = None
                cell["col"] = last["col"]
            texts.clear()
        elif local == "row":
            number = attrs.get("r", "")
            last.update(row=int(number) - 1 if number.isdigit() else last["row"] + 1, ref=None, col=-1)
        elif local in ("f", "v"):
            texts[local] = []
            collecting.append(texts[local])
        elif local == "is":
            cell["inline"] = True

    def text(data: str) -> None:
        if collecting:
            collecting[-1].append(data)

    def end(name: str) -> None:
        local = name.rpartition(":")[2] if ":" in name else name
        if local in ("f", "v"):
            collecting.pop()
        elif local == "c" and (cell.get("t") == "e" or "f" in texts):
            value = "".join(texts["v"]) if "v" in texts else None
            place = (last["row"], cell["col"] if "col" in cell else _column(cell["r"]))
            if cell["t"] == "e":
                found[place] = error_value((value or "").strip())
            elif not cell.get("inline") and (value is None or (value == "" and cell["t"] != "str")):
                found[place] = no_result("".join(texts["f"]))  # a text result may be ""

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    _parse(stream, parser)
    return found


def unreadable_cells(
    archive: zipfile.ZipFile, member: str | None, with_markers: set[str]
) -> dict[tuple[int, int], Unreadable]:
    """The unreadable cells of one sheet's XML member; empty when it holds no formula or error value.

    ``with_markers``: the members under xl/worksheets/ in which the size check's ``MarkerSearch`` found
    something (the others there are not read again); a sheet kept elsewhere is searched here.
    """
    if member is None or member not in archive.namelist():
        return {}
    if member.startswith(SHEETS) and member not in with_markers:
        return {}
    if not member.startswith(SHEETS):
        search = MarkerSearch()
        with archive.open(member) as stream:
            while (chunk := stream.read(CHUNK)) and not search.found:
                search.feed(chunk)
        if not search.found:
            return {}
    with archive.open(member) as stream:
        return _scan(stream)
