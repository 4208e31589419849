"""Reading a workbook back: each row a version checked as a publication would be, each problem by its cell."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from rates.families import FAMILIES, TRUST_LABELS
from rates.model import Region, Version
from rates.months import Month
from rates.publish import Problem, PublishError, parse_proposal
from rates.transfer.common import MAX_ROWS, PARAMETER_SHEET, REGION_SHEET
from rates.transfer.sheets import HEADER_KEY, LEADING, REFERENCE_PARTS, columns, field_columns

# ---------------------------------------------------------------- reading a workbook


def _plain(value: Any) -> Any:
    """A cell as the text a person meant: numbers typed into Excel come back as text again."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float: what was typed (0.2, not 0.2000…01)
        return repr(value).removesuffix(".0")
    if isinstance(value, datetime | date):
        return value
    text = str(value).strip()
    return text or None


def _month_text(value: object) -> object:
    if isinstance(value, datetime | date):  # Excel turned "2026-01" into a date
        return f"{value.year:04d}-{value.month:02d}"
    return value


def _date_text(value: object) -> object:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,，、;；]", text) if part.strip()]


def _schemes(text: str) -> dict[str, str]:
    """ "flexible_medical: 2026-09；…" as {scheme: month}."""
    switches: dict[str, str] = {}
    for part in re.split(r"[;；]", text):
        if part.strip():
            scheme, *month = re.split(r"[:：]", part, maxsplit=1)
            switches[scheme.strip()] = month[0].strip() if month else ""
    return switches


def _keys(header: tuple[Any, ...]) -> list[str | None]:
    known = {key for key, _ in columns(20)}
    keys: list[str | None] = []
    for cell in header:
        text = str(cell).strip() if cell is not None else ""
        match = HEADER_KEY.search(text)
        key = match.group(1) if match else text
        keys.append(key if key in known else None)
    return keys


_FAMILY_BY_LABEL: dict[object, str] = {f.label: f.name for f in FAMILIES.values()}
_TRUST_BY_LABEL: dict[object, str] = {label: key for key, label in TRUST_LABELS.items()}


class _Sheet:
    """The 参数 sheet, read row by row into proposals; problems collected with their cell."""

    def __init__(self, keys: list[str | None]):
        self.keys = keys
        self.problems: list[Problem] = []

    def cell(self, row: int, key: str) -> str:
        if key in self.keys:
            from openpyxl.utils import get_column_letter

            return f"{get_column_letter(self.keys.index(key) + 1)}{row}"
        return f"第{row}行"

    def problem(self, row: int, key: str, message: str) -> None:
        self.problems.append(Problem(self.cell(row, key), f"第{row}行（单元格{self.cell(row, key)}）{message}"))

    def column_of(self, field: str) -> str:
        """The column a translated problem's field points to."""
        if field.startswith("reference"):
            index = re.search(r"\[(\d+)\]", field)
            return f"ref{int(index.group(1)) + 1 if index else 1}_title"
        return field

    def proposal(self, row: int, values: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"effective_from": _month_text(values.get("effective_from"))}
        year = values.get("contribution_year")
        if year is not None:
            body["contribution_year"] = int(year) if isinstance(year, str) and year.isdigit() else year
        for name, _ in field_columns():
            if values.get(name) is not None:
                body[name] = values[name]
        trust = values.get("trust")
        body["trust"] = _TRUST_BY_LABEL.get(trust, trust)
        if values.get("note") is not None:
            body["note"] = values["note"]
        if values.get("effective_by_scheme") is not None:
            body["effective_by_scheme"] = _schemes(str(values["effective_by_scheme"]))
        if values.get("effective_to") is not None:
            body["effective_to"] = _month_text(values["effective_to"])
        references = []
        slot = 1
        while f"ref{slot}_title" in self.keys:
            ref = {part: values.get(f"ref{slot}_{part}") for part, _ in REFERENCE_PARTS}
            if any(v is not None for v in ref.values()):
                ref["published"] = _date_text(ref["published"])
                ref["fields"] = _split(ref["fields"]) if ref["fields"] else None
                ref["carries_over"] = _month_text(ref["carries_over"])
                references.append({k: v for k, v in ref.items() if v is not None})
            slot += 1
        if references:
            body["reference"] = references[0] if len(references) == 1 else references
        return body


def read_workbook(data: bytes, known_regions: Iterable[str] | None = None) -> tuple[dict[str, Region], list[Version]]:
    """The regions and versions of a workbook in the export layout; PublishError names every bad cell.

    ``known_regions``: the region codes a row may name (default: those of the workbook's 地区 sheet).
    """
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a file that is not a workbook
        raise PublishError([Problem("file", "文件：不是有效的 .xlsx 工作簿，请用本页提供的模板或导出文件。")]) from None
    try:
        if PARAMETER_SHEET not in book.sheetnames:
            raise PublishError([Problem("file", f"文件：找不到工作表“{PARAMETER_SHEET}”，请用本页提供的模板。")])
        regions = _read_regions(book[REGION_SHEET]) if REGION_SHEET in book.sheetnames else {}
        versions = _read_versions(book[PARAMETER_SHEET], set(known_regions if known_regions is not None else regions))
    finally:
        book.close()
    return regions, versions


def _read_regions(sheet: Any) -> dict[str, Region]:
    regions = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        code, name, parent = [*row, None, None, None][:3]
        if code is None:
            continue
        regions[str(code).strip()] = Region(str(code).strip(), str(name or "").strip(), _plain(parent))
    return regions


def _read_versions(sheet: Any, known: set[str]) -> list[Version]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    keys = _keys(header or ())
    missing = [label for key, label in LEADING[:3] if key not in keys]
    if missing:
        raise PublishError([Problem("file", f"文件：第1行缺少列“{'、'.join(missing)}”，请用本页提供的模板。")])
    reader = _Sheet(keys)
    versions: list[Version] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, raw in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            reader.problem(number, "region", f"行数超过上限{MAX_ROWS}行，请拆分后分别上传。")
            break
        values = {key: _plain(value) for key, value in zip(keys, raw, strict=False) if key is not None}
        if all(v is None for v in values.values()):
            continue
        version = _read_row(reader, number, values, known)
        if version is None:
            continue
        identity = (version.region, version.family, str(version.effective_from))
        if identity in seen:
            reader.problem(number, "effective_from", f"生效月份：与第{seen[identity]}行是同一地区、类别和月份。")
            continue
        seen[identity] = number
        versions.append(version)
    if reader.problems:
        raise PublishError(reader.problems)
    if not versions:
        raise PublishError([Problem("file", "文件：工作表“参数”中没有参数行。")])
    return versions


def _read_row(reader: _Sheet, number: int, values: dict[str, Any], known: set[str]) -> Version | None:
    region = values.get("region")
    if region not in known:
        reader.problem(number, "region", f"地区代码：未知地区代码“{region or ''}”。")
        return None
    family = _FAMILY_BY_LABEL.get(values.get("family"), values.get("family"))
    if family not in FAMILIES:
        reader.problem(
            number, "family", f"参数类别：未知的类别“{values.get('family') or ''}”，须为 {'、'.join(FAMILIES)}。"
        )
        return None
    month = _month_text(values.get("effective_from"))
    try:
        Month.parse(str(month))
    except ValueError:
        reader.problem(number, "effective_from", f"生效月份：须写成YYYY-MM（如2026-01），填写的是“{month or ''}”。")
        return None
    try:
        return parse_proposal(str(region), str(family), reader.proposal(number, values), f"workbook row {number}")
    except PublishError as error:
        for problem in error.problems:
            reader.problem(number, reader.column_of(problem.field), problem.message)
        return None
