"""What is known, and how well: regions x contribution years per family, each cell a trust level or 未配置.

Computed from the store, never from a list: a family appears as soon as any region below the national
level holds a version of it (flexible_medical once its figures are published), a region appears in a
family's table when it is a province or holds a version of that family (an area such as 广州市 or 湖北's
tiers in the wage table, a city with medical figures in the medical table), and a year appears when any
version is for it. Shown on the 参数 page and exported
as a workbook (覆盖情况.xlsx).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, send_file

from rates.families import FAMILIES, TRUST_LABELS, TRUST_LEVELS
from rates.model import NATIONAL, Version
from rates.months import Month
from rates.store import Snapshot
from service.db import snapshot
from service.present import XLSX

bp = Blueprint("coverage", __name__)

FIRST_YEAR = 2024  # the first contribution year the provincial reference covers
MISSING = "未配置"
BY_AREA = "分地区"  # the region holds nothing itself, its areas do (湖北省)
INHERITED = "沿用"  # a city without figures of its own uses its province's


@dataclass(frozen=True)
class Cell:
    state: str  # "own", "inherited", "areas" or "missing"
    trust: str | None = None
    month: str | None = None  # the first month the version shown is in force (for the link)

    @property
    def text(self) -> str:
        if self.state == "missing":
            return MISSING
        if self.state == "areas":
            return BY_AREA
        label = TRUST_LABELS[self.trust or "low"]
        return f"{INHERITED}·{label}" if self.state == "inherited" else label


def _in_year(versions: list[Version], family: str, year: int) -> list[Version]:
    """The versions of a family that count for a contribution year (a yearly family: that year's; any
    other: those in force during some month of it)."""
    if FAMILIES[family].yearly:
        return [v for v in versions if v.contribution_year == year]
    start, end = Month(year, 1), Month(year, 12)
    earlier = [v for v in versions if v.effective_from <= start]
    during = [v for v in versions if start < v.effective_from <= end]
    return ([earlier[-1]] if earlier else []) + during


def _worst(versions: list[Version]) -> Version:
    return max(versions, key=lambda v: TRUST_LEVELS.index(v.trust))


def _cell(snap: Snapshot, code: str, family: str, year: int, below: dict[str, list[str]]) -> Cell:
    own = _in_year(snap.active(code, family), family, year)
    if own:
        worst = _worst(own)
        return Cell("own", worst.trust, str(worst.effective_from))
    for level in snap.chain(code)[1:]:
        if level == NATIONAL:
            break
        inherited = _in_year(snap.active(level, family), family, year)
        if inherited:
            worst = _worst(inherited)
            return Cell("inherited", worst.trust, str(worst.effective_from))
    if any(_in_year(snap.active(area, family), family, year) for area in below.get(code, [])):
        return Cell("areas")
    return Cell("missing")


def _descendants(snap: Snapshot) -> dict[str, list[str]]:
    below: dict[str, list[str]] = {}
    for code in snap.regions:
        for level in snap.chain(code)[1:]:
            below.setdefault(level, []).append(code)
    return below


def table(snap: Snapshot) -> dict[str, Any]:
    """The coverage of every family held below the national level, by region and contribution year."""
    held = {(v.region, v.family) for v in snap.all_versions if v.region != NATIONAL}
    families = [name for name in FAMILIES if any(family == name for _, family in held)]
    years_held = [v.contribution_year for v in snap.all_versions if v.contribution_year]
    years = list(range(FIRST_YEAR, max([FIRST_YEAR + 2, *years_held]) + 1))
    below = _descendants(snap)
    provinces = sorted(code for code, r in snap.regions.items() if r.parent == NATIONAL)

    def rows(family: str) -> list[dict[str, Any]]:
        """Every province, and below it the areas holding figures of this family (a city with medical
        figures only is a row of the medical table, not of the wage table)."""
        listed = []
        for province in provinces:
            areas = sorted(c for c in below.get(province, []) if (c, family) in held)
            for code in [province, *areas]:
                cells = [_cell(snap, code, family, y, below) for y in years]
                listed.append({"code": code, "name": snap.regions[code].name, "area": code != province, "cells": cells})
        return listed

    return {
        "years": years,
        "families": [{"family": name, "label": FAMILIES[name].label, "rows": rows(name)} for name in families],
    }


def workbook(data: dict[str, Any]) -> bytes:
    """The coverage as .xlsx: one sheet (覆盖情况), a block per family, Chinese headers."""
    import xlsxwriter  # here: a start, which never writes this workbook, is spared it

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("覆盖情况")
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "bg_color": "#E7F0FA", "border": 1})
    cell = book.add_format({"border": 1})
    formats = {
        "official": book.add_format({"border": 1, "bg_color": "#E8F5EC"}),
        "medium": book.add_format({"border": 1, "bg_color": "#E7F0FA"}),
        "low": book.add_format({"border": 1, "bg_color": "#FDECEA"}),
    }
    sheet.write_string(0, 0, "参数覆盖情况：各地区、各缴费年度的数据可信度（官方原文／较可靠／待核实），或未配置", bold)
    row = 2
    for family in data["families"]:
        sheet.write_string(row, 0, family["label"], bold)
        row += 1
        headings = ["地区代码", "地区", *(f"{year}年度" for year in data["years"])]
        for column, text in enumerate(headings):
            sheet.write_string(row, column, text, header)
        row += 1
        for line in family["rows"]:
            sheet.write_string(row, 0, line["code"], cell)
            sheet.write_string(row, 1, ("　" if line["area"] else "") + line["name"], cell)
            for column, item in enumerate(line["cells"], start=2):
                sheet.write_string(row, column, item.text, formats.get(item.trust or "", cell))
            row += 1
        row += 1
    sheet.write_string(row, 0, "说明：“沿用”表示该地区无单独参数，使用上级地区的；“分地区”表示请按所辖地区查看。")
    sheet.set_column(0, 0, 10)
    sheet.set_column(1, 1, 36)
    sheet.set_column(2, 1 + len(data["years"]), 12)
    sheet.freeze_panes(0, 2)
    book.close()
    return buffer.getvalue()


@bp.get("/parameters/coverage.xlsx")
def coverage_xlsx() -> Response:
    data = workbook(table(snapshot()))
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name="参数覆盖情况.xlsx")
