"""Reading an outlet's courier roster (.xlsx) as people really fill it in.

``files`` checks the bytes before any spreadsheet reader does; ``sheets`` finds each visible sheet's
header and streams its rows; ``cells`` parses each cell. Here every row below a header is classified:
blank (skipped and counted), accepted (to be priced) or an error with a Chinese message telling the
user how to fix it.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import itertools
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from python_calamine import CalamineError, SheetTypeEnum, SheetVisibleEnum

from service.outlets.cells import (
    CONTROL,
    MAX_NAME,
    MAX_OUTLET,
    MONTH_HELP,
    TEMPLATE_EXAMPLE_ID,
    CellError,
    cell_text,
    is_total,
    parse_credit_code,
    parse_factor,
    parse_id,
    parse_month,
    raw_text,
    text_problem,
    without_invisible,
)
from service.outlets.files import (
    CORRUPT,
    OLE2_MAGIC,
    Checked,
    Limits,
    RosterFileError,
    check_file,
    enforce,
    sheet_fits,
    shown,
    too_many,
)
from service.outlets.formulas import Unreadable, unreadable_cells
from service.outlets.sheets import (
    BLANK,
    COLUMNS,
    HEADER_SCAN_ROWS,
    REQUIRED,
    SYNONYMS,
    HeaderProblem,
    MergedColumn,
    distinct_sheet_names,
    find_header,
    has_header,
    open_workbook,
    sheet_body,
    sheet_rows,
    with_merged_header,
    without_empty_text,
)
from service.outlets.sheets import header_key as _header_key

__all__ = [  # what the rest of the app and the tests take from here
    "COLUMNS",
    "MAX_NAME",
    "MONTH_HELP",
    "OLE2_MAGIC",
    "PROGRESS_CHUNK",
    "SYNONYMS",
    "TEMPLATE_EXAMPLE_ID",
    "CellError",
    "Limits",
    "Roster",
    "RosterFileError",
    "RowError",
    "_header_key",
    "parse_month",
    "read_roster",
]

PROGRESS_CHUNK = 5000  # rows between two progress reports: (rows done since last, rows in all)


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
    notes: list[str] = field(default_factory=list)  # what else the user is told about how the file was read
    cleaned: list[tuple[str, int, str]] = field(default_factory=list)  # (sheet, row, column): invisible characters

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
        return raw_text(part.cells[row - 1][column])

    def sort_errors(self, errors: list[RowError]) -> None:
        order = {part.name: i for i, part in enumerate(self.parts)}
        errors.sort(key=lambda e: (order.get(e.sheet, 0), e.row))


@dataclass
class Opened:
    """A workbook whose bytes passed the checks and whose rows were counted, not yet read."""

    data: bytes
    workbook: Any  # CalamineWorkbook
    archive: zipfile.ZipFile
    members: list[str]  # by the sheet's position: its XML member ("" when none)
    checked: Checked
    renamed: list[str]  # sheets renamed because another had their name, said to the user
    filled_rows: int  # rows holding a value on the visible sheets, header and title rows included


def open_roster(data: bytes, limits: Limits) -> Opened:
    """Check the bytes and count the rows of the visible sheets, refusing too many before any is read.

    The spreadsheet reader builds a whole sheet at once (a million rows: some 700 MB), so the rows are
    counted on the XML while the size check decompresses it anyway, and a roster over the limit is refused
    with the same message as when the rows are read (the count includes each sheet's header and title rows,
    hence the allowance of ``HEADER_SCAN_ROWS`` a sheet).
    """
    checked = check_file(data, limits)
    data = without_empty_text(data, [sheet.member for sheet in checked.sheets if sheet.facts.empty_text])
    data, renamed = distinct_sheet_names(data)
    workbook = open_workbook(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise RosterFileError(CORRUPT, "corrupt_file") from None
    # sheets are matched to the reader's by position (a name is no key: see ``formulas.sheet_list``), so
    # both must list the same sheets
    if len(workbook.sheet_names) != len(checked.sheets):
        raise RosterFileError(CORRUPT, "corrupt_file")
    members = [sheet.member for sheet in checked.sheets]
    visible = [
        index
        for index, meta in enumerate(workbook.sheets_metadata)
        if meta.typ == SheetTypeEnum.WorkSheet and meta.visible == SheetVisibleEnum.Visible
    ]
    if any(not checked.sheets[index].visible for index in visible):
        # the checks took a sheet for hidden (and so never to be read) that the reader will read: its limits
        # are applied as the reader sees the workbook
        seen = [dataclasses.replace(sheet, visible=i in visible) for i, sheet in enumerate(checked.sheets)]
        enforce(dataclasses.replace(checked, sheets=seen), limits)
    filled = sum(checked.filled_rows.get(members[index], 0) for index in visible)
    if filled > limits.max_rows + HEADER_SCAN_ROWS * len(visible):
        raise too_many(limits)
    return Opened(data, workbook, archive, members, checked, renamed, filled)


def read_roster(data: bytes | Opened, limits: Limits, progress: Callable[[int, int], None] | None = None) -> Roster:
    """Check the bytes, then read every visible sheet that has a roster header.

    Hidden sheets are never read (what the user does not see is not charged); they, and the visible
    sheets without a roster header (such as the template's 填写说明), are named in the summary. A visible
    sheet that looks like a roster but lacks a required column refuses the file: its rows would be lost.
    """
    opened = data if isinstance(data, Opened) else open_roster(data, limits)
    workbook, archive, members = opened.workbook, opened.archive, opened.members
    with_markers = opened.checked.with_markers
    renamed = opened.renamed
    roster = Roster(notes=renamed)
    problem: str | None = None  # the first visible sheet's reason for having no roster
    hidden: list[int] = []  # looked at only if no visible sheet holds a roster
    data_rows = 0
    outlet_merges: list[list[Any]] = []  # per sheet read: the merged cells of its outlet column
    for index, (raw_name, meta) in enumerate(zip(workbook.sheet_names, workbook.sheets_metadata, strict=False)):
        name = shown(raw_name)  # a line feed in a sheet's name would break the messages and labels
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        if meta.visible != SheetVisibleEnum.Visible:
            hidden.append(index)
            roster.skipped.append(f"隐藏的工作表“{name}”未读取")
            continue
        try:
            sheet = workbook.get_sheet_by_index(index)
            unreadable = unreadable_cells(archive, members[index] or None, with_markers)
            rows = sheet_rows(sheet, unreadable)
            head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
            merged = sheet.merged_cell_ranges or []
            found = find_header(with_merged_header(head, merged))
            if isinstance(found, HeaderProblem):
                if found.partial:  # it looks like a roster: refusing beats losing its rows
                    hint = "（如果这张表不是花名册，请删除或隐藏它）" if len(workbook.sheet_names) > 1 else ""
                    raise RosterFileError(f"工作表“{name}”{found.message}{hint}", "no_header", 422)
                problem = problem or found.message
                roster.skipped.append(f"工作表“{name}”没有花名册表头，未读取")
                continue
            header, columns = found
            wanted = {c for k, c in columns.items() if k != "remark"}
            cells, data_rows = sheet_body(head, rows, header, wanted if unreadable else None, limits, data_rows)
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
    # a hidden sheet is built only to explain a workbook without a roster, and only when it is not too big
    small = [
        i for i in hidden if filled_rows(opened, i) <= limits.max_rows and sheet_fits(opened.checked.sheets[i], limits)
    ]
    hidden_rosters = [shown(workbook.sheet_names[i]) for i in small if has_header(workbook, i)]
    if hidden_rosters:
        names = "、".join(f"“{n}”" for n in hidden_rosters)
        problem = (
            f"花名册所在的工作表{names}是隐藏的，不会读取：请在 Excel 中取消隐藏（右键工作表标签 → 取消隐藏）后再上传。"
        )
    raise RosterFileError(problem or "工作簿中没有工作表。", "no_header", 422)


def filled_rows(opened: Opened, index: int) -> int:
    return opened.checked.filled_rows.get(opened.members[index], 0)


def _step(progress: Callable[[int, int], None], total: int, rows: int) -> None:
    progress(rows, total)  # rows done since the last report, out of the rows of every sheet read


def _classify(
    roster: Roster,
    part_index: int,
    merges: list[Any],
    progress: Callable[[int], None] | None,
) -> None:
    part = roster.parts[part_index]
    rows, header, columns, sheet = part.cells, part.header_row - 1, part.columns, part.name
    c_outlet, c_name, c_id, c_start, c_end = (columns[k] for k in REQUIRED)
    c_credit, c_factor = columns.get("credit_code"), columns.get("factor")
    width = max(columns.values()) + 1
    look = part.unreadable  # without such cells (most sheets) no cell needs the look
    labels = COLUMNS
    merged = MergedColumn(rows, merges, c_outlet) if merges else None
    body = rows[header + 1 :]
    for offset, cells in enumerate(body):
        if progress is not None and offset % PROGRESS_CHUNK == 0 and offset:
            progress(PROGRESS_CHUNK)
        number = header + 2 + offset  # the Excel row number
        if cells is BLANK:
            roster.blank_rows += 1
            continue
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        if "计" in repr(cells) and is_total(cells):  # a cheap look first: the repr is built in C
            roster.total_rows += 1
            roster.errors.append(RowError(number, "", "", "合计行：不是快递员，未计费（无需修改）。", sheet))
            continue
        problems: list[RowError] = []

        def fail(key: str, raw: Any, message: str, number: int = number, problems: list[RowError] = problems) -> None:
            problems.append(RowError(number, labels[key], raw_text(raw), message, sheet))

        def usable(key: str, value: Any) -> bool:
            if isinstance(value, Unreadable):
                fail(key, value, value.message)
                return False
            return True

        outlet_raw = cells[c_outlet]
        if outlet_raw == "" and merged is not None:
            outlet_raw = merged.value(header + 1 + offset)
        outlet = name = id_number = credit = ""
        if not look or usable("outlet", outlet_raw):
            outlet = cell_text(outlet_raw)
            if not outlet.isascii() and (visible := without_invisible(outlet).strip()) != outlet:
                outlet = visible
                roster.cleaned.append((sheet, number, labels["outlet"]))
            if not outlet or len(outlet) > MAX_OUTLET or CONTROL.search(outlet):  # one cheap look first
                fail("outlet", outlet_raw, text_problem(outlet, "网点名称", MAX_OUTLET) or "")
        if not look or usable("name", cells[c_name]):
            name = cell_text(cells[c_name])
            if not name.isascii() and (visible := without_invisible(name).strip()) != name:
                name = visible
                roster.cleaned.append((sheet, number, labels["name"]))
            if not name or len(name) > MAX_NAME or CONTROL.search(name):
                fail("name", cells[c_name], text_problem(name, "姓名", MAX_NAME) or "")
        if not look or usable("id", cells[c_id]):
            try:
                id_number = parse_id(cells[c_id])
            except CellError as error:
                fail("id", cells[c_id], str(error))
            else:
                _note_invisible(roster, cells[c_id], sheet, number, labels["id"])
        if c_credit is not None and cells[c_credit] != "" and (not look or usable("credit_code", cells[c_credit])):
            try:
                credit = parse_credit_code(cells[c_credit])
            except CellError as error:
                fail("credit_code", cells[c_credit], str(error))
            else:
                _note_invisible(roster, cells[c_credit], sheet, number, labels["credit_code"])
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


def _note_invisible(roster: Roster, raw: Any, sheet: str, row: int, column: str) -> None:
    """A code read without the invisible characters in it (``normal``) is said, like a name."""
    if isinstance(raw, str) and not raw.isascii() and without_invisible(raw) != raw:
        roster.cleaned.append((sheet, row, column))
