"""Hostile rosters (issue 21), made here by code: small files that claim huge sheets, or hide rows.

Each ``HOSTILE`` entry is one class of attack with what the service must do with it: refuse it with a
Chinese message (``code``) or read it correctly (``accepted``/``rejected``), within bounded memory and
time. Used by tests/test_hostile_rosters.py (in a child process under an address-space limit, and against a
running server) and by bench/hostile.py (peak memory and time against a normal 100-row roster).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from xlsxwriter.utility import xl_col_to_name

from tests.outlets_support import HEADERS, MAIN, make_id, row_xml, sheet_xml, xml_workbook

FACTOR = 6  # the 浮动费率 column (G) of HEADERS, from 0


def courier(serial: int, name: str = "张三", factor: object = None) -> list[object]:
    return ["网点甲", "", name, make_id(serial), "2025-01", "2025-03", factor, ""]


def normal_roster(rows: int = 100) -> bytes:
    """A normal roster of ``rows`` couriers: the yardstick of memory and time."""
    return xml_workbook({"花名册": sheet_xml([HEADERS, *(courier(n, f"快递员{n}") for n in range(1, rows + 1))])})


def _roster_with(more_rows: bytes, merged: list[str] | None = None, name: str = "花名册") -> bytes:
    return xml_workbook([(name, sheet_xml([HEADERS, courier(1), courier(2, "李四")], more_rows, merged or []))])


def far_cell_corner() -> bytes:
    """Item 1: one value at XFD1048576, the last cell of a sheet (the reader would build 16384 x 1048576)."""
    return _roster_with(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


def far_cell_2000() -> bytes:
    """Item 2: one value at XFD2000 (the reader would build 16384 x 2000 cells, some 1 GB)."""
    return _roster_with(b'<row r="2000"><c r="XFD2000"><v>1</v></c></row>')


def lying_dimension() -> bytes:
    """``<dimension>`` claims the whole sheet; the cells are three rows: read correctly, never sized by it."""
    rows = [HEADERS, courier(1), courier(2, "李四")]
    xml = sheet_xml(rows).replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>')
    return xml_workbook({"花名册": xml})


def with_shared_strings(data: bytes, strings: list[str]) -> bytes:
    """The workbook with a shared-string table (xl/sharedStrings.xml, its relationship and content type)."""
    table = (
        f'<sst xmlns="{MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
        + "</sst>"
    ).encode()
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            if item.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                    b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            archive.writestr(item, content)
        archive.writestr("xl/sharedStrings.xml", table)
    return buffer.getvalue()


def long_shared_string() -> bytes:
    """Item 2: one 300,000-character shared string used by 1,000 cells (the reader copies it into each)."""
    more = b"".join(b'<row r="%d"><c r="H%d" t="s"><v>0</v></c></row>' % (n, n) for n in range(4, 1004))
    return with_shared_strings(_roster_with(more), ["备" * 300_000])


def many_shared_strings() -> bytes:
    """1,500,000 short shared strings that no cell uses: the reader keeps a string object for each."""
    return with_shared_strings(_roster_with(b""), [str(n) for n in range(1_500_000)])


def many_merges(count: int = 200_000) -> bytes:
    """Item 3: ``count`` merged ranges on a wide sheet, each a row from B to XFD (397 KB at 200,000)."""
    merged = [f"B{n}:XFD{n}" for n in range(4, 4 + count)]
    return _roster_with(b"", merged)


def overlapping_merges() -> bytes:
    """100,000 merged ranges all over the header rows of a wide sheet (Excel never writes overlapping ones)."""
    # the ranges differ (as a generator's would), so that the file is not refused as a zip bomb first
    merged = [f"A{1 + n % 3}:{xl_col_to_name(8 + n % 16_000)}{1 + n % 3}" for n in range(100_000)]
    return _roster_with(b'<row r="4"><c r="XFD4"><v>1</v></c></row>', merged)


def factor_errors() -> bytes:
    """Item 4: 浮动费率 cells holding error values and a formula without a saved value: row errors, never 1."""
    cells = [
        '<c r="G2" t="e"><v>#N/A</v></c>',
        '<c r="G3" t="e"><f>#REF!*2</f><v>#REF!</v></c>',
        '<c r="G4"><f>1.2*A1</f></c>',
        '<c r="G5" t = "e"><v>#DIV/0!</v></c>',  # attributes may be spaced: still an error value
    ]
    rows = [HEADERS] + [[*courier(n)[:FACTOR], cell, ""] for n, cell in enumerate(cells, start=1)]
    return xml_workbook({"花名册": sheet_xml([*rows, courier(9, "王五")])})


def factor_errors_linefeed_name() -> bytes:
    """Item 4 with item 6: the same cells on a sheet whose name holds a line feed (matched by position)."""
    rows = [HEADERS, [*courier(1)[:FACTOR], '<c r="G2" t="e"><v>#N/A</v></c>', ""], courier(2, "李四")]
    return xml_workbook([("花名\n册", sheet_xml(rows))])


def duplicate_rows() -> bytes:
    """Item 5: two rows written with the same row number: the reader would keep one courier silently."""
    rows = sheet_xml([HEADERS, courier(1)])
    second = row_xml(2, courier(2, "李四")).encode()
    return xml_workbook({"花名册": rows.replace(b"</sheetData>", second + b"</sheetData>")})


def linefeed_sheet_name() -> bytes:
    """Item 6: a sheet name with a line feed hid its 1,048,575 rows from the upload's row count."""
    row = '<row r="%d"><c r="A%d" t="inlineStr"><is><t>网点甲</t></is></c><c r="C%d"><v>1</v></c></row>'
    more = "".join(row % (n, n, n) for n in range(2, 1_048_577)).encode()
    return xml_workbook([("花名\n册", sheet_xml([HEADERS], more))])


def duplicated_member() -> bytes:
    """A zip holding the sheet twice: a small copy for the checks, a far cell for the reader (or the reverse)."""
    small = sheet_xml([HEADERS, courier(1)])
    big = sheet_xml([HEADERS, courier(1)], b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    data = xml_workbook({"花名册": small})
    buffer = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            archive.writestr(item, source.read(item))
        archive.writestr("xl/worksheets/sheet1.xml", big)  # the same name again (zipfile warns, writes it)
    return buffer.getvalue()


def cells_without_references() -> bytes:
    """A row of 16,384 cells without ``r`` (each placed after the one before) and rows down to 2,000."""
    wide = b"<row>" + b"<c><v>1</v></c>" * 16_384 + b"</row>"
    return _roster_with(wide + b'<row r="2000"><c r="A2000"><v>1</v></c></row>')


def empty_text_far_down() -> bytes:
    """Empty inline strings down to row 1,048,576 (what some exports write): not rows, read correctly."""
    return _roster_with(b'<row r="1048576"><c r="H1048576" t="inlineStr"><is><t></t></is></c></row>')


@dataclass(frozen=True)
class Hostile:
    name: str
    make: Callable[[], bytes]
    code: str | None = None  # the refusal's code, or None: read
    accepted: int = 0  # when read: couriers priced
    rejected: int = 0  # when read: rows with an error
    words: str = ""  # in the refusal's message, or in every row error's


HOSTILE = [
    Hostile("far-cell-xfd1048576", far_cell_corner, "too_many_cells", words="XFD1048576"),
    Hostile("far-cell-xfd2000", far_cell_2000, "too_many_cells", words="XFD2000"),
    Hostile("lying-dimension", lying_dimension, accepted=2),
    Hostile("long-shared-string", long_shared_string, "too_much_text", words="文字"),
    Hostile("many-shared-strings", many_shared_strings, "too_much_text", words="文字"),
    Hostile("200000-merges", many_merges, "too_many_merges", words="合并单元格"),
    Hostile("factor-errors", factor_errors, accepted=1, rejected=4, words="浮动费率"),
    Hostile("factor-error-linefeed-name", factor_errors_linefeed_name, accepted=1, rejected=1, words="浮动费率"),
    Hostile("duplicate-row-number", duplicate_rows, "duplicate_cells", words="出现了两次"),
    Hostile("linefeed-sheet-name-1048575-rows", linefeed_sheet_name, "too_many_rows", words="200000 行"),
    Hostile("duplicated-zip-member", duplicated_member, "corrupt_file", words="出现了两次"),
    Hostile("cells-without-references", cells_without_references, "too_many_cells", words="XFD4"),
    Hostile("overlapping-merges-wide-sheet", overlapping_merges, "corrupt_file", words="重叠"),
    Hostile("empty-text-far-down", empty_text_far_down, accepted=2),
]
HOSTILE.append(Hostile("100000-merges", lambda: many_merges(100_000), accepted=2))
BY_NAME = {hostile.name: hostile for hostile in HOSTILE}


def read_one(path: str, address_space: int = 0) -> dict[str, object]:
    """Price one roster file as the service's job does (in this process), under an address-space limit.

    Run as ``python -m tests.hostile_rosters FILE [BYTES]`` in a child process: a file that made the reader
    allocate without bound ends the child (MemoryError or abort), not the test run. The child is what a
    worker is: the app (on its own SQLite database), the checks, the reader, the engine; the file is made by
    the parent, so the child's peak memory is the service's.
    """
    import resource
    import tempfile
    import time
    from pathlib import Path

    if address_space:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    from service import create_app
    from service.core.db import snapshot
    from service.outlets.job import run
    from service.outlets.roster import Limits, RosterFileError

    data = Path(path).read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE_URL": f"sqlite:///{folder}/hostile.sqlite3", "TESTING": True})
        with app.app_context():
            store = snapshot()
            began = time.perf_counter()
            try:
                done = run(data, store, Limits.from_config(app.config), "360100")
            except RosterFileError as error:
                outcome: dict[str, object] = {"code": error.code, "status": error.status, "message": error.message}
            else:
                outcome = {
                    "code": None,
                    "accepted": done.accepted,
                    "rejected": done.rejected,
                    "errors": [[e.column, e.message] for e in done.errors],
                    "factors": [str(f) for f in done.roster.factors],
                }
            outcome["seconds"] = time.perf_counter() - began
    outcome["bytes"] = len(data)
    outcome["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return outcome


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(read_one(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0), ensure_ascii=False))


def many_empty_cells_without_references() -> bytes:
    """Three million styled empty cells without ``r`` (each after the one before), styles varied so that the
    zip does not look like a bomb: the exact pass must read them, so it stops at the cell limit."""
    import random

    rng = random.Random(21)
    styles = [b'<c s="%d"/>' % rng.randrange(1000) for _ in range(4096)]
    row = b"<row>" + b"".join(styles[rng.randrange(4096)] for _ in range(16_000)) + b"</row>"
    return _roster_with(row * 200)


HOSTILE.append(
    Hostile("3200000-empty-cells-no-references", many_empty_cells_without_references, "too_many_cells", words="格式")
)
BY_NAME = {hostile.name: hostile for hostile in HOSTILE}


def far_cell_under_the_limit() -> bytes:
    """A value at H370000: a grid of 2,960,000 cells, just under the limit, read (the reader's worst case)."""
    return _roster_with('<row r="370000"><c r="H370000" t="inlineStr"><is><t>备注</t></is></c></row>'.encode())


def wide_under_the_limit() -> bytes:
    """A value at XFD180: a grid of 180 rows x 16,384 columns (2,949,120 cells), just under the limit, read."""
    return _roster_with(b'<row r="180"><c r="XFD180"><v>1</v></c></row>')


# the far row is a row: not a courier, so a row error (nothing is dropped silently)
HOSTILE.append(Hostile("far-cell-h370000-under-the-limit", far_cell_under_the_limit, accepted=2, rejected=1))
HOSTILE.append(Hostile("wide-xfd180-under-the-limit", wide_under_the_limit, accepted=2, rejected=1))
BY_NAME = {hostile.name: hostile for hostile in HOSTILE}
