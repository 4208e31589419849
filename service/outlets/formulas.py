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
import zipfile
from dataclasses import dataclass
from typing import IO, Any
from xml.parsers import expat

CHUNK = 1 << 20
# <f>, <f t="shared" .../>, <x:f>, and error cells t="e": any of these makes the sheet worth reading
MARKERS = (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/", b't="e"', b"t='e'")
OVERLAP = 8


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


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member holding its XML."""
    with archive.open("xl/workbook.xml") as stream:
        sheets = _attributes(stream, "sheet")
    try:
        with archive.open("xl/_rels/workbook.xml.rels") as stream:
            relations = {r.get("Id"): r.get("Target", "") for r in _attributes(stream, "Relationship")}
    except KeyError:
        return {}
    parts = {}
    for sheet in sheets:
        target = relations.get(sheet.get("id"), "")
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            parts[sheet.get("name", "")] = path
    return parts


def _may_hold_formulas(archive: zipfile.ZipFile, member: str) -> bool:
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(CHUNK):
            window = tail + chunk
            if any(marker in window for marker in MARKERS):
                return True
            tail = window[-OVERLAP:]
    return False


def _column(ref: str) -> int:
    number = 0
    for char in ref:
        if not char.isalpha():
            break
        number = number * 26 + ord(char.upper()) - 64
    return number - 1


def _scan(stream: IO[bytes]) -> dict[tuple[int, int], Unreadable]:
    """(row, column), both from 0, of every formula without a saved result and every error value."""
    found: dict[tuple[int, int], Unreadable] = {}
    state: dict[str, Any] = {"row": -1, "col": -1, "in": None}
    parser = _parser()
    parser.buffer_text = True

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "row":
            state["row"] = int(attrs["r"]) - 1 if attrs.get("r", "").isdigit() else state["row"] + 1
            state["col"] = -1
        elif local == "c":
            ref = attrs.get("r")
            state["col"] = _column(ref) if ref else state["col"] + 1
            state.update(type=attrs.get("t", "n"), f=None, v=None, inline=False)
        elif local in ("f", "v"):
            state[local] = ""
            state["in"] = local
        elif local == "is":
            state["inline"] = True

    def text(data: str) -> None:
        if state["in"]:
            state[state["in"]] += data

    def end(name: str) -> None:
        local = _local(name)
        if local in ("f", "v"):
            state["in"] = None
        elif local == "c":
            place = (state["row"], state["col"])
            if state["type"] == "e":
                found[place] = error_value((state["v"] or "").strip())
            elif state["f"] is not None and not state["inline"]:
                value = state["v"]
                if value is None or (value == "" and state["type"] != "str"):  # a text result may be ""
                    found[place] = no_result(state["f"])

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    _parse(stream, parser)
    return found


def unreadable_cells(archive: zipfile.ZipFile, member: str | None) -> dict[tuple[int, int], Unreadable]:
    """The unreadable cells of one sheet's XML member; empty when it holds no formula or error value."""
    if member is None or member not in archive.namelist() or not _may_hold_formulas(archive, member):
        return {}
    with archive.open(member) as stream:
        return _scan(stream)
