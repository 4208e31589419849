"""One batch from bytes to figures: read the roster, price it with the engine, gather the summary.

Shared by the API, the page and the CLI, which only translate the outcome (JSON, a page, a workbook).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from calc.batch import BatchResult, OutletTotal, outlet_totals, price_roster, yuan
from calc.quote import SCHEMES, QuoteError
from rates.store import Snapshot
from service.answer.present import PROVISIONAL_LABEL, used_versions
from service.outlets.roster import COLUMNS, Limits, Roster, RowError, read_roster

DEFAULT_REGION = "360100"  # 南昌市: the outlet scheme's bundled parameters are Jiangxi's
SCHEME = "outlet_injury"
# The engine names fields in English; the error sheet names the roster's columns.
FIELD_COLUMNS = {"start": "start", "end": "end", "scheme": "start", "factor": "factor", "id": "id"}


@dataclass
class Outcome:
    region: str
    region_name: str
    region_source: str  # where the region came from, said to the user
    roster: Roster
    result: BatchResult
    errors: list[RowError]
    outlets: list[OutletTotal]
    total: OutletTotal
    references: list[dict[str, Any]]

    @property
    def accepted(self) -> int:
        return int(self.result.accepted.sum())

    @property
    def rejected(self) -> int:
        return len({(e.sheet, e.row) for e in self.errors})

    @property
    def provisional(self) -> bool:
        return bool((self.result.provisional & self.result.accepted).any())

    def notes(self) -> list[str]:
        notes = []
        if self.provisional:
            notes.append(f"部分月份尚无本年度公布数据，{PROVISIONAL_LABEL}测算，正式标准公布后以实际核定为准。")
        if any(r["trust"] != "official" for r in self.references):
            notes.append("部分参数未取自官方原文（可信度见“参数”表），仅供测算参考，以经办机构核定为准。")
        if self.total_rows:
            notes.append(f"有 {self.total_rows} 个合计行，不是快递员，未计费，已列在“错误”表中。")
        if len(self.roster.parts) > 1:
            notes.append(f"读取了 {len(self.roster.parts)} 个工作表：{self.roster.sheet}；原行号前写有工作表名。")
        notes.extend(f"{skipped}。" for skipped in self.roster.skipped)
        notes.extend(f"{note}。" for note in self.roster.notes)
        if self.roster.cleaned:
            notes.append(self._cleaned_note())
        return notes

    def _cleaned_note(self) -> str:
        cleaned = self.roster.cleaned
        columns = "、".join(dict.fromkeys(column for _, _, column in cleaned))
        places = []
        for sheet, row, column in cleaned[:3]:
            label = self.roster.label(sheet, row)
            places.append(f"{label if isinstance(label, str) else f'第{label}行'}{column}")
        more = "等" if len(cleaned) > 3 else ""
        return (
            f"有 {len(cleaned)} 个单元格（{columns}）含有看不见的字符"
            "（零宽空格、文字方向控制符、字节顺序标记、不换行空格等），"
            f"已删除（不换行空格换成普通空格）后再计算，以免看起来相同的网点或人员被分开统计：{'、'.join(places)}{more}。"
        )

    @property
    def total_rows(self) -> int:
        return self.roster.total_rows

    def summary(self, max_errors: int | None = None) -> dict[str, Any]:
        """Plain data for JSON and pages: counts that add up, totals per outlet, the errors."""
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        return {
            "region": self.region,
            "region_name": self.region_name,
            "region_source": self.region_source,
            "scheme": SCHEME,
            "scheme_label": SCHEMES[SCHEME],
            "sheet": self.roster.sheet,
            "header_row": self.roster.header_row,
            "rows": self.accepted + self.rejected,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "problems": len(self.errors),
            "blank_rows": self.roster.blank_rows,
            "total_rows": self.total_rows,
            "outlets": [_total_data(t) for t in self.outlets],
            "total": _total_data(self.total),
            "provisional": self.provisional,
            "notes": self.notes(),
            "sheets": [{"name": p.name, "header_row": p.header_row} for p in self.roster.parts],
            "errors": [
                {
                    "sheet": e.sheet,
                    "row": e.row,
                    "place": self.roster.label(e.sheet, e.row),
                    "column": e.column,
                    "value": e.raw,
                    "message": e.message,
                }
                for e in errors
            ],
            "errors_shown": len(errors),
            "references": self.references,
        }


def _total_data(total: OutletTotal) -> dict[str, Any]:
    return {
        "outlet": total.outlet,
        "headcount": total.headcount,
        "courier_months": total.courier_months,
        "amount": yuan(total.amount_fen),
    }


def region_from_rows(snapshot: Snapshot, roster: Roster) -> tuple[str, str]:
    """The region most outlets registered in (characters 3-8 of the credit code), or the default.

    A county code is not in the parameter store; its city, then its province, is the nearest known region.
    """
    counts: Counter[str] = Counter()
    for code in roster.credit_codes:
        if not code:
            continue
        division = code[2:8]
        for candidate in (division, division[:4] + "00", division[:2] + "0000"):
            if candidate in snapshot.regions and candidate != "000000":
                counts[candidate] += 1
                break
    if not counts:
        return DEFAULT_REGION, "未指定地区，统一社会信用代码中也读不出地区，按默认地区测算"
    region, _ = counts.most_common(1)[0]
    source = "按网点统一社会信用代码中的登记机关地区确定"
    if len(counts) > 1:
        source += f"（代码涉及{len(counts)}个地区，取网点最多的一个；如不对请指定地区）"
    return region, source


def check_region(snapshot: Snapshot, region: str | None) -> str | None:
    """The region asked for, trimmed, or None for none; ``QuoteError`` for an unknown one."""
    region = (region or "").strip() or None
    if region is not None and (region not in snapshot.regions or region == "000000"):
        raise QuoteError("region", f"未知地区代码“{region[:12]}”，请从地区列表中选择。", "unknown_region", 404)
    return region


def run(
    data: bytes,
    snapshot: Snapshot,
    limits: Limits,
    region: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Read and price a roster. Raises ``RosterFileError`` for an unusable file, ``QuoteError`` for a bad region."""
    region = check_region(snapshot, region)
    roster = read_roster(data, limits, progress)
    source = "按指定地区测算"
    if not region:
        region, source = region_from_rows(snapshot, roster)
    labels = roster.rows if len(roster.parts) < 2 else [roster.row_label(i) for i in range(len(roster.rows))]
    result = price_roster(snapshot, region, roster.ids, roster.starts, roster.ends, roster.factors, labels)
    errors = list(roster.errors)
    for position, (field, message) in result.errors.items():
        key = FIELD_COLUMNS.get(field, "start")
        sheet = roster.parts[roster.row_parts[position]].name
        errors.append(RowError(roster.rows[position], COLUMNS[key], roster.raw_value(position, key), message, sheet))
    roster.sort_errors(errors)
    outlets, total = outlet_totals(roster.outlets, roster.ids, result)
    return Outcome(
        region,
        snapshot.regions[region].name,
        source,
        roster,
        result,
        errors,
        outlets,
        total,
        used_versions(snapshot, result.used),
    )
