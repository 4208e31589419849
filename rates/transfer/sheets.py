"""The workbook's layout (one row per version, a column per field and reference part) and its writing."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rates.families import FAMILIES
from rates.model import Region, Version
from rates.store import Snapshot
from rates.transfer.common import PARAMETER_SHEET, REGION_SHEET, SCOPE_NOTE, reference_body, text

if TYPE_CHECKING:  # openpyxl is imported where a workbook is made or read: every start is spared it
    import openpyxl
    from openpyxl.worksheet.worksheet import Worksheet

# ---------------------------------------------------------------- workbook layout


def field_columns() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for family in FAMILIES.values():
        for spec in family.fields:
            seen.setdefault(spec.name, spec.label)
    return list(seen.items())


REFERENCE_PARTS = (
    ("title", "标题"),
    ("doc_no", "文号"),
    ("url", "链接"),
    ("published", "发布日期"),
    ("source", "来源"),
    ("fields", "适用项目"),
    ("carries_over", "省里明确沿用起始月份"),
    ("excerpt", "原文摘录"),
    ("excerpt_url", "原文摘录所在网页"),
    ("excerpt_note", "摘录说明"),
    ("excerpt_by", "摘录人"),
    ("excerpt_at", "摘录时间"),
)
LEADING = [
    ("region", "地区代码"),
    ("family", "参数类别"),
    ("effective_from", "生效月份"),
    ("contribution_year", "缴费年度"),
]
TRAILING = [
    ("trust", "可信度"),
    ("note", "说明"),
    ("effective_by_scheme", "分险种生效月份"),
    ("effective_to", "截止月份（含，有效期至）"),
]
HEADER_KEY = re.compile(r"（([a-z0-9_]+)）\s*$")


def columns(references: int = 1) -> list[tuple[str, str]]:
    """(key, Chinese heading) of every column; ``references`` slots of reference columns."""
    slots = [(f"ref{i}_{part}", f"依据{i}{label}") for i in range(1, references + 1) for part, label in REFERENCE_PARTS]
    return [*LEADING, *field_columns(), *TRAILING, *slots]


def _heading(key: str, label: str) -> str:
    return f"{label}（{key}）"


def _cell_text(value: Decimal | str | int | None) -> str | int | None:
    return value if value is None or isinstance(value, int) else str(value)


def _row(version: Version, keys: list[str]) -> list[Any]:
    cells: dict[str, Any] = {
        "region": version.region,
        "family": version.family,
        "effective_from": str(version.effective_from),
        "contribution_year": version.contribution_year,
        "trust": version.trust,
        "note": version.note,
        "effective_by_scheme": "；".join(f"{k}: {v}" for k, v in sorted(version.effective_by_scheme.items())) or None,
        "effective_to": str(version.effective_to) if version.effective_to is not None else None,
        **{name: text(value) for name, value in version.values.items()},
    }
    for i, reference in enumerate(version.references, start=1):
        body = reference_body(reference)
        for part, _ in REFERENCE_PARTS:
            value = body.get(part)
            cells[f"ref{i}_{part}"] = ", ".join(value) if isinstance(value, list) else value
    return [_cell_text(cells.get(key)) for key in keys]


def append_text_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append a row in which text stays text: "=…" would otherwise become a formula (and run in Excel)."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"


def _write_sheet(sheet: Worksheet, headings: list[str], rows: Iterable[list[Any]]) -> None:
    from openpyxl.utils import get_column_letter

    append_text_row(sheet, headings)
    for row in rows:
        append_text_row(sheet, row)
    for index, heading in enumerate(headings, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, min(40, len(heading) * 2))
        for cell in sheet[letter]:  # text cells keep figures exact ("0.20", not 0.2) when someone edits the file
            cell.number_format = "@"
    sheet.freeze_panes = "A2"


def _guide(book: openpyxl.Workbook) -> None:
    sheet = book.create_sheet("说明")
    lines = [
        ["每行一个参数版本：地区代码、参数类别、生效月份（YYYY-MM），以及该类别的各项取值（其他类别的列留空）。"],
        ["数字请以文本填写（单元格格式为“文本”），保持精确，例如 0.20、6800。"],
        ["按年度公布的类别（avg_wage、resident_medical）须填缴费年度；每个版本须有依据文件标题，发布时须有文号。"],
        ["可信度填 official（官方原文）、medium（较可靠）或 low（待核实）。一个版本有多份依据时填写依据2、依据3……列。"],
        ["截止月份：依据文件写明有效期时填最后一个月（YYYY-MM，含该月）；之后恢复此前在用的版本，没有则为未配置。"],
        [f"导出文件{SCOPE_NOTE}；历史记录保存在数据库与审计日志中。"],
        [],
        ["参数类别", "名称", "各项（列名）", "按年度"],
    ]
    for family in FAMILIES.values():
        fields = "、".join(f"{f.label}（{f.name}）{'' if f.required else '[可选]'}" for f in family.fields)
        lines.append([family.name, family.label, fields, "是" if family.yearly else "否"])
    for line in lines:
        sheet.append(line)
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 80


def workbook(versions: list[Version], regions: Mapping[str, Region]) -> bytes:
    """The workbook: sheet 参数 (one row per version), sheet 地区, and a guide to the layout."""
    slots = max((len(v.references) for v in versions), default=1)
    layout = columns(slots)
    keys = [key for key, _ in layout]
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = PARAMETER_SHEET
    _write_sheet(sheet, [_heading(k, label) for k, label in layout], (_row(v, keys) for v in versions))
    region_rows = ([r.code, r.name, r.parent] for _, r in sorted(regions.items()))
    _write_sheet(book.create_sheet(REGION_SHEET), ["地区代码（code）", "名称（name）", "上级（parent）"], region_rows)
    _guide(book)
    return saved(book)


def saved(book: openpyxl.Workbook) -> bytes:
    """A workbook as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_workbook(snapshot: Snapshot) -> bytes:
    versions = [v for code in sorted(snapshot.regions) for name in FAMILIES for v in snapshot.active(code, name)]
    return workbook(versions, snapshot.regions)


def template_workbook(snapshot: Snapshot) -> bytes:
    return workbook([], snapshot.regions)
