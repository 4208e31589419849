"""A platform's orders (.xlsx: one row per month, place and industry) priced as 职业伤害保障费 (issue 24).

The file gets the roster's protections (``roster.open_roster``: the checks on the bytes, every limit, the rows
counted on the XML before a sheet is built; ``sheets``: rows streamed, formulas without a result marked), then
each row is read and priced by ``calc.protection_fee``, the same rule as ``POST /api/v1/injury-protection/fee``.
Every non-blank row below the header is accounted for: priced, or refused with its Chinese reason; blank rows
are skipped and counted. The result workbook is ``orders_report``; this runs in a job's child process.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from python_calamine import CalamineError, SheetTypeEnum, SheetVisibleEnum

from calc.protection_fee import LABEL, FeeAnswer, FeeRequest, terms, with_orders
from calc.quote import QuoteError
from rates import protection
from rates.families import TRUST_LABELS, TRUST_LEVELS
from rates.model import Region
from rates.months import Month
from rates.store import Snapshot
from service.answer.fees import ROUNDING
from service.outlets.cells import CellError, cell_text, is_total, normal, parse_factor, parse_month, raw_text
from service.outlets.files import CORRUPT, HEADER_SCAN_ROWS, Limits, RosterFileError, shown
from service.outlets.formulas import Unreadable, unreadable_cells
from service.outlets.roster import PROGRESS_CHUNK, open_roster
from service.outlets.sheets import (
    BLANK,
    HeaderProblem,
    HeaderSpec,
    find_header,
    sheet_body,
    sheet_rows,
    with_merged_header,
)

COLUMNS = {
    "month": "月份",
    "region": "地区",
    "industry": "行业",
    "orders": "单量",
    "per_order": "缴费基准额",
    "factor": "浮动系数",
    "remark": "备注",
}
REQUIRED = ("month", "region", "industry", "orders")
SYNONYMS = {
    "month": ("月份", "所属月份", "订单月份", "年月", "缴费月份"),
    "region": ("地区", "城市", "地区代码", "城市代码", "行政区划代码", "所在城市", "接单城市", "地区名称"),
    "industry": ("行业", "所属行业", "行业类别"),
    "orders": ("单量", "订单量", "订单数", "订单数量", "月单量"),
    "per_order": ("缴费基准额", "缴费基准额元单", "基准额", "每单缴费", "每单金额", "元单"),
    "factor": ("浮动系数", "浮动费率", "费率浮动系数"),
    "remark": ("备注", "说明", "平台名称", "平台企业"),
}
HEADER_NAMES = {name: key for key, names in SYNONYMS.items() for name in names}
REGION_HELP = "请填写6位行政区划代码（如成都市510100）或本服务地区列表中的名称（如四川省、南昌市）"
ERRORS_SHOWN = 20


def _header_key(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = normal(value)
    for mark in "()（）[]【】*:：/ 　":
        text = text.replace(mark, "")
    return HEADER_NAMES.get(text)


ORDERS_HEADER = HeaderSpec(
    COLUMNS,
    REQUIRED,
    _header_key,
    f"在前{HEADER_SCAN_ROWS}行中找不到订单表头（须有“{'、'.join(COLUMNS[k] for k in REQUIRED)}”等列）：请使用模板。",
)


@dataclass
class OrderRow:
    """One non-blank row below the header: its cells, and its fee or why it has none. What was typed in a
    column (``month``, ``region`` …) is read from the cells when it is shown, not for every row."""

    sheet: str
    row: int
    place: int | str  # how the row is named: its Excel row, with the sheet's name when several were read
    cells: list[Any] = field(repr=False)
    columns: dict[str, int] = field(repr=False)
    answer: FeeAnswer | None = None
    column: str = ""  # where the problem is ("" for the whole row)
    reason: str = ""

    def typed(self, key: str) -> str:
        column = self.columns.get(key)
        return raw_text(self.cells[column]) if column is not None and column < len(self.cells) else ""

    month = property(lambda self: self.typed("month"))
    region = property(lambda self: self.typed("region"))
    industry = property(lambda self: self.typed("industry"))
    orders = property(lambda self: self.typed("orders"))
    per_order = property(lambda self: self.typed("per_order"))
    factor = property(lambda self: self.typed("factor"))


@dataclass
class Orders:
    """Every row of the workbook's order sheets, priced or refused, and what the user is told about the file."""

    rows: list[OrderRow] = field(default_factory=list)
    sheets: list[tuple[str, int]] = field(default_factory=list)  # (name, header row)
    blank_rows: int = 0
    skipped: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.rows if r.answer is not None)

    @property
    def rejected(self) -> int:
        return len(self.rows) - self.accepted

    def groups(self) -> list[dict[str, Any]]:
        """Totals by province and industry, in the order first met."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for row in self.rows:
            answer = row.answer
            if answer is None:
                continue
            group = found.setdefault(
                (answer.province_name, answer.industry),
                {"province_name": answer.province_name, "industry": answer.industry, "rows": 0, "orders": 0},
            )
            group["rows"] += 1
            group["orders"] += answer.orders
            group["fee"] = group.get("fee", Decimal("0.00")) + answer.fee
        return list(found.values())

    def documents(self) -> list[dict[str, Any]]:
        seen: dict[tuple[str | None, str], dict[str, Any]] = {}
        for row in self.rows:
            for document in row.answer.documents if row.answer else ():
                if (document.doc_no, document.title) not in seen:
                    seen[document.doc_no, document.title] = document.data()
        return list(seen.values())

    def notes(self) -> list[str]:
        notes = [f"金额按{ROUNDING}；从业人员个人不缴费。"]
        documents = self.documents()
        if any(d["trust"] != "official" for d in documents):
            weakest = max((d["trust"] for d in documents), key=TRUST_LEVELS.index)
            notes.append(
                f"所依据的文件中有的不是官方原文（最弱可信度：{TRUST_LABELS[weakest]}，见“依据”表），仅供测算参考，以经办机构核定为准。"
            )
        said = {note for row in self.rows if row.answer for note in row.answer.notes}
        notes.extend(sorted(said))
        if len(self.sheets) > 1:
            notes.append(
                f"读取了 {len(self.sheets)} 个工作表：{'、'.join(n for n, _ in self.sheets)}；原行号前写有工作表名。"
            )
        notes.extend(f"{skipped}。" for skipped in self.skipped)
        return notes

    def summary(self, max_errors: int | None = None) -> dict[str, Any]:
        """Plain data for JSON and pages: counts that add up (rows = accepted + rejected), totals, the refusals."""
        refused = [r for r in self.rows if r.answer is None]
        shown_errors = refused if max_errors is None else refused[:max_errors]
        priced = [r.answer for r in self.rows if r.answer is not None]
        return {
            "kind": "orders",
            "scheme_label": LABEL,
            "sheets": [{"name": n, "header_row": h} for n, h in self.sheets],
            "rows": len(self.rows),
            "accepted": self.accepted,
            "rejected": self.rejected,
            "problems": len(refused),
            "blank_rows": self.blank_rows,
            "total": {"orders": sum(a.orders for a in priced), "fee": sum((a.fee for a in priced), Decimal("0.00"))},
            "groups": self.groups(),
            "notes": self.notes(),
            "errors": [
                {"place": r.place, "column": r.column, "value": _typed(r), "message": r.reason} for r in shown_errors
            ],
            "errors_shown": len(shown_errors),
            "documents": self.documents(),
        }


def _typed(row: OrderRow) -> str:
    """What the user typed in the column a refusal names ("" for the whole row)."""
    key = next((k for k, label in COLUMNS.items() if label == row.column), None)
    return row.typed(key) if key is not None else ""


def region_of(regions: dict[str, Region], raw: Any, by_name: dict[str, str] | None = None) -> str:
    """A region the service knows, from a code (a city or county under a known province counts as its province)
    or a region's name; ``CellError`` saying what to write otherwise."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = normal(cell_text(raw)).strip()
    if not text:
        raise CellError(f"地区为空，{REGION_HELP}。")
    if text.isdigit() and len(text) == 6 and text != "000000":
        for candidate in (text, text[:4] + "00", text[:2] + "0000"):
            if candidate in regions:
                return candidate
    by_name = by_name if by_name is not None else names(regions)
    for name in (text, text + "市", text + "省"):
        if name in by_name:
            return by_name[name]
    raise CellError(f"无法识别地区“{text[:20]}”：{REGION_HELP}。")


def names(regions: dict[str, Region]) -> dict[str, str]:
    return {r.name: code for code, r in regions.items() if code != "000000"}


def parse_orders(raw: Any) -> int:
    if isinstance(raw, bool):
        raise CellError("单量须为不小于0的整数（订单数）。")
    if isinstance(raw, float):
        if not raw.is_integer():
            raise CellError(f"单量“{raw!r}”不是整数：请填写该月的订单数。")
        raw = int(raw)
    text = raw if isinstance(raw, int) else normal(cell_text(raw)).replace(",", "").replace("，", "").strip()
    if text == "":
        raise CellError("单量为空：请填写该月的订单数（没有订单填0）。")
    try:
        number = int(text)
    except ValueError:
        raise CellError(f"单量“{str(text)[:20]}”不是整数：请填写该月的订单数。") from None
    if number < 0:
        raise CellError("单量不能是负数。")
    return number


def _decimal(raw: Any, label: str) -> Decimal:
    try:
        return parse_factor(raw)
    except CellError as error:
        raise CellError(str(error).replace("浮动费率", label)) from None


class _Pricer:
    """Prices rows, asking the engine once per distinct (place, month, industry, amount, float) and reading each
    place once: a month of orders repeats a few places and industries over many rows."""

    def __init__(self, snapshot: Snapshot, data: protection.Protection):
        self.snapshot, self.data = snapshot, data
        self.names = names(snapshot.regions)
        self.places: dict[Any, str | CellError] = {}
        self.terms: dict[tuple[Any, ...], FeeAnswer | QuoteError] = {}

    def region(self, raw: Any) -> str:
        key = (type(raw), raw)
        if key not in self.places:
            try:
                self.places[key] = region_of(self.snapshot.regions, raw, self.names)
            except CellError as error:
                self.places[key] = error
        found = self.places[key]
        if isinstance(found, CellError):
            raise CellError(str(found))  # a new one each time: raising one instance again would grow its traceback
        return found

    def price(self, values: dict[str, Any]) -> FeeAnswer:
        orders = values.pop("orders")
        key = tuple(values.values())
        if key not in self.terms:
            try:
                self.terms[key] = terms(self.data, self.snapshot.regions, FeeRequest(orders=0, **values))
            except QuoteError as error:
                self.terms[key] = error
        found = self.terms[key]
        if isinstance(found, QuoteError):
            raise QuoteError(found.field, found.message, found.code, found.status)  # a new one, as above
        return with_orders(found, orders)


def _read_row(pricer: _Pricer, cells: list[Any], columns: dict[str, int], row: OrderRow) -> None:
    """Price one row, or say why not (the first problem found, naming its column)."""
    values: dict[str, Any] = {}
    for key in ("month", "region", "industry", "orders", "per_order", "factor"):
        column = columns.get(key)
        raw = cells[column] if column is not None and column < len(cells) else ""
        if isinstance(raw, Unreadable):
            row.column, row.reason = COLUMNS[key], raw.message
            return
        try:
            if key == "month":
                if raw == "":
                    raise CellError("月份为空：请填写订单所属的年月，例如 2025-07。")
                values[key] = Month.parse(_month_text(parse_month(raw)))
            elif key == "region":
                values[key] = pricer.region(raw)
            elif key == "industry":
                values[key] = cell_text(raw)
            elif key == "orders":
                values[key] = parse_orders(raw)
            elif key == "per_order":
                values[key] = None if raw in ("", None) else _decimal(raw, "缴费基准额")
            else:
                values[key] = _decimal(raw, "浮动系数")
        except CellError as error:
            row.column, row.reason = COLUMNS[key], str(error)
            return
    try:
        row.answer = pricer.price(values)
    except QuoteError as error:
        row.column = COLUMNS.get(error.field, "")
        row.reason = error.message


def _month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def read_and_price(
    data: bytes, snapshot: Snapshot, limits: Limits, progress: Callable[[int, int], None] | None = None
) -> Orders:
    """Check the bytes, read every visible sheet with an orders header, and price each row.
    ``RosterFileError`` for an unusable file (the roster's checks and messages)."""
    opened = open_roster(data, limits)
    workbook, archive, members = opened.workbook, opened.archive, opened.members
    pricer = _Pricer(snapshot, protection.bundled())
    orders = Orders(skipped=list(opened.renamed))
    bodies: list[tuple[str, int, dict[str, int], list[list[Any]]]] = []
    problem: str | None = None
    counted = 0
    for index, (raw_name, meta) in enumerate(zip(workbook.sheet_names, workbook.sheets_metadata, strict=False)):
        name = shown(raw_name)
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        if meta.visible != SheetVisibleEnum.Visible:
            orders.skipped.append(f"隐藏的工作表“{name}”未读取")
            continue
        try:
            sheet = workbook.get_sheet_by_index(index)
            unreadable = unreadable_cells(archive, members[index] or None, opened.checked.with_markers)
            rows = sheet_rows(sheet, unreadable)
            head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
            found = find_header(with_merged_header(head, sheet.merged_cell_ranges or []), ORDERS_HEADER)
            if isinstance(found, HeaderProblem):
                if found.partial:
                    raise RosterFileError(f"工作表“{name}”{found.message}", "no_header", 422)
                problem = problem or found.message
                orders.skipped.append(f"工作表“{name}”没有订单表头，未读取")
                continue
            header, columns = found
            wanted = {c for k, c in columns.items() if k != "remark"}
            cells, counted = sheet_body(head, rows, header, wanted if unreadable else None, limits, counted)
        except (CalamineError, ValueError, OSError, UnicodeDecodeError) as error:
            if isinstance(error, RosterFileError):
                raise
            raise RosterFileError(CORRUPT, "corrupt_file") from None
        bodies.append((name, header, columns, cells))
        orders.sheets.append((name, header + 1))
    if not bodies:
        hidden = [s for s in orders.skipped if s.startswith("隐藏的工作表")]
        if hidden:  # hidden sheets are never read (what the user does not see is not charged)
            problem = (
                f"{problem or '没有可读取的订单表'}；{'、'.join(hidden)}：如果订单在隐藏的工作表中，"
                "请在 Excel 中取消隐藏（右键工作表标签 → 取消隐藏）后再上传。"
            )
        raise RosterFileError(problem or "工作簿中没有可读取的工作表。", "no_header", 422)
    total = sum(len(cells) - header - 1 for _, header, _, cells in bodies)
    done = 0
    for name, header, columns, cells in bodies:
        for offset, raw_cells in enumerate(cells[header + 1 :]):
            done += 1
            if progress is not None and done % PROGRESS_CHUNK == 0:
                progress(PROGRESS_CHUNK, total)  # rows done since the last report, out of all below the headers
            if raw_cells is BLANK:
                orders.blank_rows += 1
                continue
            number = header + 2 + offset
            row = OrderRow(name, number, number if len(bodies) < 2 else f"{name} 第{number}行", raw_cells, columns)
            orders.rows.append(row)
            if "计" in repr(raw_cells) and is_total(raw_cells):
                row.reason = "合计行：不是订单行，未计费（无需修改）。"
                continue
            _read_row(pricer, raw_cells, columns, row)
    if progress is not None and done % PROGRESS_CHUNK:
        progress(done % PROGRESS_CHUNK, total)  # the rest: the reports add up to the rows there are
    return orders
