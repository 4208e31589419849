"""What a sheet's XML will cost the spreadsheet reader, measured on the bytes before the reader sees them.

python-calamine builds a whole sheet as one dense grid, from the first to the last cell holding a value
(some 32 bytes a cell), and copies a shared string into every cell that uses it. So a 2 KB file with one
value at XFD1048576 asks for 512 GB, one long shared string used by a thousand cells for gigabytes. Here
the sheet's XML, decompressed in bounded chunks by the size check anyway, is measured for what the
reader will build: the grid's extent from the cells actually present (never ``<dimension>``), the bytes of
text the cells will hold, the merged ranges, and whether two cells claim one place (a row written twice,
of which the reader would keep one silently). The limits are applied by ``files.check_file``.

Two passes of one meaning: a fast one with regular expressions (C speed) for the XML that spreadsheet
programs write, and an exact one with expat, placing cells as the reader does (a row or cell without ``r``
follows the one before), for any sheet the fast one cannot vouch for (prefixed tags, cells without
references, odd attribute quoting, cells out of order, an extent over the limit).
"""

from __future__ import annotations

import contextlib
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any
from xml.parsers import expat

CHUNK = 1 << 20
MAX_COLUMNS = 16_384  # XFD: Excel's last column
MAX_ROW_NUMBER = 1_048_576
_COLUMN_CACHE: dict[bytes, int] = {}


def _no_dtd(*_: Any) -> None:
    raise expat.ExpatError("DTD")


def _parser() -> Any:
    """An expat parser that refuses any DTD or entity declaration (no entity expansion bombs)."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.EntityDeclHandler = _no_dtd
    parser.buffer_text = True
    return parser


def column_number(letters: bytes | str) -> int:
    """A column's letters as its number from 1 (A = 1, XFD = 16384)."""
    number = 0
    for char in letters.upper() if isinstance(letters, str) else letters.decode("ascii", "replace").upper():
        number = number * 26 + ord(char) - 64
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class SheetFacts:
    """What the reader will build for one sheet."""

    first_row: int = 0  # 1-based, of cells holding a value; 0: none
    last_row: int = 0
    first_col: int = 0
    last_col: int = 0
    far_row_cell: str = ""  # a cell of the last row, and one of the last column: named to the user
    far_col_cell: str = ""
    text: int = 0  # bytes of text the cells will hold, a shared string once per cell using it
    merges: int = 0
    duplicate: str = ""  # a place two cells claim ("A2"), or ""
    empty_text: bool = False  # cells holding an empty inline string, to be emptied before reading
    too_many_elements: bool = False  # the exact pass met more cell elements than it may read (empty ones too)

    @property
    def far_cell(self) -> str:
        """The cells that stretch the grid: the last column's, and the last row's when it is another."""
        if self.far_row_cell == self.far_col_cell or not self.far_row_cell:
            return self.far_col_cell
        return f"{self.far_col_cell}、{self.far_row_cell}"

    @property
    def cells(self) -> int:
        """The reader's grid for this sheet: rows x columns from the first to the last cell holding a value."""
        if not self.last_row:
            return 0
        return (self.last_row - self.first_row + 1) * (self.last_col - self.first_col + 1)

    def place(self, row: int, col: int, ref: str) -> None:
        if not self.last_row:
            self.first_row, self.last_row, self.first_col, self.last_col = row, row, col, col
            self.far_row_cell = self.far_col_cell = ref
            return
        if row < self.first_row:
            self.first_row = row
        if row > self.last_row:
            self.last_row, self.far_row_cell = row, ref
        if col < self.first_col:
            self.first_col = col
        if col > self.last_col:
            self.last_col, self.far_col_cell = col, ref


class Unsure(Exception):
    """The fast pass meets XML it cannot vouch for: the exact pass measures the sheet instead."""


# A cell's start tag with its reference first, as spreadsheet programs write it (any other cell makes the
# counts differ and the exact pass decides); the rest of its attributes tell a self-closed, empty cell.
# Only cells that may hold a value are returned: a self-closed one (a styled empty cell) or one closed at
# once is nothing to the reader, and a sheet formatted down to row 1,048,576 has two million of them.
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*(?<!/)>(?!\s*</c>)')
# a cell holding an empty inline string (some exports write one into every cell of a range): the reader
# would stretch its grid to it, so its empty string is taken out (``sheets.without_empty_text``), leaving
# ``<c r="H9" t="inlineStr"></c>``, which the reader skips, and the cell is not counted here either. The
# expression starts with a literal and is replaced by nothing: it runs at C speed.
EMPTY_TEXT_CELL = re.compile(rb"<is>\s*<t(?:\s[^>]*)?(?:/>|>\s*</t>)\s*</is>(?=\s*</c>)")
_EMPTY_T = re.compile(rb"<t(?:\s[^>]*)?(?:/>|>\s*</t>)")
_SHARED = re.compile(rb'<c\s[^>]*?\bt="s"[^>]*>\s*<v>\s*([0-9]{1,9})\s*</v>')
_INLINE_TEXT = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)")
# anything the fast pass does not read the way the reader does hands the sheet to the exact pass: tags with
# a namespace prefix, cells without a reference, attributes spaced or quoted oddly, CDATA, formula text
_ODD_TEXT = (b"<![CDATA[", b't="str"', b't="e"')
# a cell's start tag that is not ``<c r="`` and an upper-case reference of at most 3 letters and 7 digits: no
# attributes (``<c>``, ``<c/>``), another attribute first, a tab or line feed after ``c`` (a cell the reader
# places after the one before, which ``_CELL_REF`` would not see), a lower-case reference (the reader reads
# ``xfd400`` as XFD400), or a row number of more digits (``A00000001``). One search instead of four scans.
_ODD_CELL = re.compile(rb'<c(?:[\t\n\r>/]| (?!r="[A-Z]{1,3}[0-9]{1,7}"[\t\n\r />]))')
_PREFIXED = re.compile(rb":(?:c|v|t|is|mergeCell)[\s>/]")
_SPACED = re.compile(rb"[rt](?:\s+=|=\s|=')")  # looked for only when some "=" is not followed by a quote
# a block ends after a cell or a row: never inside a cell (``<`` cannot stand in text, so neither can these)
_SPLIT = (b"</c>", b"</row>")
KEEP = 1 << 20


def _split(data: bytes) -> int:
    """Where the last complete cell or row ends in ``data``, or -1: blocks never cut a cell in two.

    After the cells come the merged ranges, which may run to megabytes: a block may end before any of them.
    """
    ends = max((at + len(mark) if (at := data.rfind(mark)) != -1 else -1) for mark in _SPLIT)
    merge = data.rfind(b"<mergeCell ", max(ends, 1))  # only one after the last cell or row counts
    return max(ends, merge)


class FastScan:
    """The fast pass, fed a sheet's decompressed chunks in order. Raises ``Unsure`` when it cannot vouch."""

    def __init__(self, shared: list[int], text_limit: int):
        self.facts = SheetFacts()
        self.shared = shared  # the byte length of every shared string, by index
        self.text_limit = text_limit
        self.tail = b""
        self.last_key = -1
        self.uncounted = 0  # bytes of XML whose inline text was not counted (it is at most that)

    def feed(self, chunk: bytes) -> None:
        data = self.tail + chunk
        end = _split(data)
        if end == -1:
            if len(data) > max(KEEP, self.text_limit):  # one cell bigger than all the text allowed
                raise Unsure
            self.tail = data
            return
        self.tail = data[end:]
        self._block(data[:end])

    def _block(self, block: bytes) -> None:
        if any(odd in block for odd in _ODD_TEXT) or _PREFIXED.search(block):
            raise Unsure
        if block.count(b"=") != block.count(b'="') and _SPACED.search(block):
            raise Unsure
        if _ODD_CELL.search(block):  # a cell without a reference (after the one before), or one written oddly
            raise Unsure
        facts = self.facts
        facts.merges += block.count(b"<mergeCell ")
        cells = block
        if _EMPTY_T.search(block):  # cells of an empty inline string: emptied before reading, as here
            cells = EMPTY_TEXT_CELL.sub(b"", block)
            facts.empty_text = facts.empty_text or len(cells) != len(block)
        refs = _CELL_REF.findall(cells)
        if refs:
            cols = _COLUMN_CACHE
            keys = [int(row) * 32768 + (cols.get(letters) or _cache(letters)) for letters, row in refs]
            if keys[0] <= self.last_key or any(map(operator.ge, keys, keys[1:])):
                raise Unsure  # out of order, or one place twice: the exact pass says which
            self.last_key = keys[-1]
            # an upper bound of the grid: a cell with a start and an end tag counts even if it holds nothing
            columns = {cols[letters] for letters in {letters for letters, _ in refs}}
            left, right = min(columns), max(columns)
            top, bottom = keys[0] >> 15, keys[-1] >> 15
            right_key = next(key for key in keys if key & 32767 == right)
            facts.place(top, left, f"{column_letters(left)}{top}")
            facts.place(right_key >> 15, right, f"{column_letters(right)}{right_key >> 15}")
            facts.place(bottom, keys[-1] & 32767, f"{column_letters(keys[-1] & 32767)}{bottom}")
        if b't="s"' in block:
            indexes = _SHARED.findall(block)
            if len(indexes) != block.count(b't="s"'):
                raise Unsure
            shared = self.shared
            try:
                facts.text += sum(shared[int(i)] for i in indexes)
            except IndexError:
                raise Unsure from None
        # inline text is never more than the XML holding it: counted only once the XML could exceed the limit
        if self.uncounted + len(block) + facts.text <= self.text_limit:
            self.uncounted += len(block)
        elif b"<t" in block:
            facts.text += sum(map(len, _INLINE_TEXT.findall(block)))

    def close(self) -> SheetFacts:
        if self.tail:
            self._block(self.tail)
            self.tail = b""
        self.facts.text += self.uncounted if self.facts.text + self.uncounted > self.text_limit else 0
        return self.facts


def _cache(letters: bytes) -> int:
    number = _COLUMN_CACHE[letters] = column_number(letters)
    return number


class ExactProblem(Exception):
    """The exact pass stops early: the sheet is already over a limit (``facts`` as far as it got)."""


def exact_scan(
    stream: IO[bytes], shared: list[int], over: Callable[[SheetFacts], bool], max_elements: int = 1 << 62
) -> SheetFacts:
    """The sheet measured element by element with expat, cells placed as the reader places them.

    ``over`` is asked as the grid grows: the pass stops as soon as the sheet is over a limit, so even a
    sheet of 300 MB of XML costs no more than reading it up to there. Cells holding nothing do not grow
    the grid, so they are counted apart: past ``max_elements`` of them the pass stops too (tens of millions
    of empty cells, written so that this pass must read them, would otherwise take minutes).
    """
    facts = SheetFacts()
    state: dict[str, Any] = {"row": 0, "col": 0, "cell": None, "key": -1}
    texts: list[int] = [0]
    parser = _parser()
    collecting: list[bool] = [False]
    elements = [0]

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "c":
            elements[0] += 1
            if elements[0] > max_elements:
                facts.too_many_elements = True
                raise ExactProblem
            ref = attrs.get("r")
            match = re.fullmatch(r"([A-Za-z]{1,3})([0-9]{1,7})", ref) if ref else None
            if match:
                row, col = int(match.group(2)), column_number(match.group(1))
            else:
                row, col = state["row"], state["col"] + 1
            state["col"] = col
            state["cell"] = {"row": row, "col": col, "t": attrs.get("t", "n"), "value": False, "v": []}
        elif local == "row":
            number = attrs.get("r", "")
            state["row"] = int(number) if number.isdigit() else state["row"] + 1
            state["col"] = 0
        elif local == "v" and state["cell"] is not None:
            collecting[0] = True
        elif local == "is" and state["cell"] is not None:
            state["cell"]["value"] = True  # an inline string, even an empty one, is a value to the reader
            state["cell"]["inline"] = True
        elif local == "t" and state["cell"] is not None:
            collecting[0] = True
        elif local == "mergeCell":
            facts.merges += 1
            if over(facts):
                raise ExactProblem

    def text(data: str) -> None:
        if collecting[0] and state["cell"] is not None:
            state["cell"]["v"].append(data)

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local in ("v", "t"):
            collecting[0] = False
        elif local == "c" and state["cell"] is not None:
            cell, state["cell"] = state["cell"], None
            value = "".join(cell["v"])
            kind = cell["t"]
            if cell.get("inline"):
                texts[0] += len(value.encode())
            elif kind == "s" and value.strip():
                with contextlib.suppress(ValueError, IndexError):  # the reader refuses a missing one: corrupt
                    texts[0] += shared[int(value)]
                cell["value"] = True
            elif value or kind == "e":
                if kind in ("str", "inlineStr"):
                    texts[0] += len(value.encode())
                cell["value"] = True
            if not cell["value"]:
                return
            row, col = cell["row"], cell["col"]
            key = row * 32768 + col
            ref = f"{column_letters(col)}{row}"
            if key <= state["key"]:
                # a place taken twice (a row written twice), or cells out of order: the reader would keep one
                # of two values silently, so the sheet is refused, naming the place
                facts.duplicate = ref
                raise ExactProblem
            state["key"] = key
            facts.place(row, col, ref)
            facts.text = texts[0]
            if over(facts):
                raise ExactProblem

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        while chunk := stream.read(CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except ExactProblem:
        return facts
    facts.text = texts[0]
    return facts


def shared_string_lengths(stream: IO[bytes], count_limit: int, on_too_many: Callable[[], Exception]) -> list[int]:
    """The byte length (UTF-8) of the text of every shared string, in order: what each cell using it costs."""
    lengths: list[int] = []
    parser = _parser()
    depth = {"t": 0, "si": False}

    def start(name: str, _attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "si":
            lengths.append(0)
            depth["si"] = True
            if len(lengths) > count_limit:
                raise on_too_many()
        elif local == "t" and depth["si"]:
            depth["t"] += 1

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "si":
            depth["si"] = False
        elif local == "t" and depth["t"]:
            depth["t"] -= 1

    def text(data: str) -> None:
        if depth["t"] and lengths:
            lengths[-1] += len(data.encode())

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    while chunk := stream.read(CHUNK):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return lengths
