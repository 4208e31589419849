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

from calc.quote import SCHEMES, QuoteError, resolution
from rates.families import FAMILIES, TRUST_LABELS, TRUST_LEVELS
from rates.model import NATIONAL
from rates.months import Month
from rates.store import NotConfigured, Resolved, Snapshot
from service.answer.present import XLSX, is_service_rule
from service.core.db import snapshot

bp = Blueprint("coverage", __name__)

FIRST_YEAR = 2024  # the first contribution year the provincial reference covers
MISSING = "未配置"
BY_AREA = "分地区"  # the region holds nothing itself, its areas do (湖北省)
INHERITED = "沿用"  # a city without figures of its own uses its province's


@dataclass(frozen=True)
class Cell:
    state: str  # "own", "inherited", "areas" or "missing"
    trust: str | None = None
    month: str | None = None  # the first month of the year that is priced (for the link)
    months: str | None = None  # the months priced, when not the whole year ("2025-07起")

    @property
    def text(self) -> str:
        if self.state == "missing":
            return MISSING
        if self.state == "areas":
            return BY_AREA
        words = [INHERITED] if self.state == "inherited" else []
        if self.months:
            words.append(self.months)
        return "·".join([*words, TRUST_LABELS[self.trust or "low"]])


def _month_resolution(snap: Snapshot, code: str, family: str, month: Month) -> list[Resolved] | None:
    """What a calculation reads for a scheme in ``month``: every version its calculation resolves
    (``calc.quote.resolution``, the scheme's own first), or None when the calculation would answer 未配置."""
    try:
        got = resolution(snap, code, family, month)
    except QuoteError:
        return None
    return [got[family], *(r for name, r in got.items() if name != family)]


def _figure_resolution(snap: Snapshot, code: str, family: str, year: int, month: Month) -> list[Resolved] | None:
    """A figure of a contribution year (the average wage, the 计发基数): its version in force in ``month``
    when that version is the year's own figure (not last year's used provisionally), else None."""
    try:
        resolved = snap.at(code, family, month)
    except NotConfigured:
        return None
    if FAMILIES[family].yearly and (resolved.provisional or resolved.version.contribution_year != year):
        return None
    return [resolved]


def _span(months: list[Month], year: int) -> str | None:
    """The months priced, said only when they are not the whole year."""
    if len(months) == 12:
        return None
    first, last = months[0], months[-1]
    if len(months) != first.count_until(last):
        return "部分月份"
    if last == Month(year, 12):
        return f"{first}起"
    if first == Month(year, 1):
        return f"至{last}"
    return f"{first}至{last}"


def _resolved_year(snap: Snapshot, code: str, family: str, year: int) -> tuple[list[Month], list[Resolved]]:
    """The months of the year a calculation answers for (a scheme), or in which the year's own figure is in
    force (a yearly figure: its contribution year may start in July and run into the next year), and what
    those months read."""
    priced: list[Month] = []
    used: list[Resolved] = []
    if family in SCHEMES:
        months = list(Month(year, 1).until(Month(year, 12)))
    elif FAMILIES[family].yearly:
        months = list(Month(year, 1).until(Month(year + 1, 12)))
    else:
        months = list(Month(year, 1).until(Month(year, 12)))
    for month in months:
        if family in SCHEMES:
            got = _month_resolution(snap, code, family, month)
        else:
            got = _figure_resolution(snap, code, family, year, month)
        if got is not None:
            priced.append(month)
            used.extend(got)
    return priced, used


def _cell(snap: Snapshot, code: str, family: str, year: int, below: dict[str, list[str]]) -> Cell:
    """A cell from the same resolution a calculation uses, month by month: configured exactly when a
    calculation of those months answers, with the weakest trust of the documents it would price with
    (the service's own rules, such as the base rounding, are no document and do not count)."""
    priced, used = _resolved_year(snap, code, family, year)
    if priced:
        documented = [r.version for r in used if not is_service_rule(r.version)] or [used[0].version]
        worst = max(documented, key=lambda v: TRUST_LEVELS.index(v.trust))
        own = all(r.level == code for r in used if r.version.family == family)
        span = _span(priced, year) if family in SCHEMES else None  # a figure: the year's own, wherever it starts
        return Cell("own" if own else "inherited", worst.trust, str(priced[0]), span)
    if any(_resolved_year(snap, area, family, year)[0] for area in below.get(code, [])):
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
    # an area under its province is indented by the cell's format: the name itself stays the name
    area = book.add_format({"border": 1, "indent": 1})
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
            sheet.write_string(row, 1, line["name"], area if line["area"] else cell)
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
