"""数据时效 (issue 25): per region and family, the newest figure held, when the region usually publishes the
next, and what is overdue or has lapsed on a given month. Pure: it reads versions and a month, nothing else.

When a region publishes is read from what the versions hold: a reference's ``published`` date, and a date
in a note said to be one of publication (``通知于2024年7月30日发布``, ``2024年12月18日公布``; not ``尚未公布``).
The most common month of those is the usual month, and the most common gap between a contribution year
and its publication year says in which year the next one is due. Without any such date it is 未知: the
service does not guess when a province will publish.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rates.families import FAMILIES
from rates.model import Version
from rates.months import Month

UNKNOWN = "未知"

# A date in a note said to be one of publication; "尚未公布" (not yet) and "…后新标准公布" (a future one) are not.
_PUBLISHED = re.compile(r"(?<!尚未)(\d{4})年(\d{1,2})月(?:\d{1,2}日)?[）)]?\s*(?:已)?(?:发布|印发|公布|公示)")


@dataclass(frozen=True)
class Freshness:
    """One region's one family, as 数据时效 shows it."""

    region: str
    family: str
    newest: Version  # the version of its own that starts last
    newest_year: int | None  # the latest contribution year held (a yearly family)
    usual_month: int | None  # the month (1-12) the region usually publishes; None: 未知
    expected: Month | None  # when the next contribution year's figure is due; None: 未知 or not yearly
    overdue: bool  # the expected month has passed and no figure of that year is held
    lapsed: bool  # the newest version ended (effective_to) before the month asked, and nothing follows it

    @property
    def family_label(self) -> str:
        return FAMILIES[self.family].label if self.family in FAMILIES else self.family

    def usual_text(self) -> str:
        return f"通常{self.usual_month}月公布" if self.usual_month else UNKNOWN

    def status_text(self) -> str:
        """What an administrator needs to do about it, in words."""
        said = []
        if self.lapsed and self.newest.effective_to is not None:
            said.append(f"已过有效期（至{self.newest.effective_to}止）且无后续版本")
        if self.overdue and self.expected is not None and self.newest_year is not None:
            said.append(f"{self.newest_year + 1}年度数据逾期未录入（应于{self.expected}前后公布）")
        return "；".join(said) or "正常"


def publication_months(version: Version) -> list[Month]:
    """The months the version's documents were published, as its references and note say."""
    found = [Month(r.published.year, r.published.month) for r in version.references if r.published]
    for year, month in _PUBLISHED.findall(version.note or ""):
        if 1 <= int(month) <= 12:
            found.append(Month(int(year), int(month)))
    return found


def _most_common(values: Iterable[int]) -> int | None:
    counted = Counter(values).most_common()
    if not counted:
        return None
    best = counted[0][1]
    return max(value for value, count in counted if count == best)  # a tie: the later one


def family_freshness(versions: list[Version], today: Month) -> Freshness:
    """One region's active versions of one family (none superseded or withdrawn) on the month ``today``."""
    newest = max(versions, key=lambda v: (v.effective_from, v.id or 0))
    family = FAMILIES.get(newest.family)
    yearly = family is not None and family.yearly
    years = [v.contribution_year for v in versions if v.contribution_year is not None]
    newest_year = max(years) if yearly and years else None
    months: list[int] = []
    gaps: list[int] = []
    for version in versions:
        for published in publication_months(version):
            months.append(published.month)
            if version.contribution_year is not None:
                gaps.append(published.year - version.contribution_year)
    usual = _most_common(months)
    expected = None
    if newest_year is not None and usual is not None:
        gap = _most_common(g for g in gaps if 0 <= g <= 1) or 0
        expected = Month(newest_year + 1 + gap, usual)
    overdue = expected is not None and expected < today
    lapsed = newest.effective_to is not None and newest.effective_to < today
    return Freshness(newest.region, newest.family, newest, newest_year, usual, expected, overdue, lapsed)


def freshness(versions: Iterable[Version], today: Month) -> list[Freshness]:
    """Every region and family that holds versions of its own, by region code and family order."""
    grouped: dict[tuple[str, str], list[Version]] = {}
    for version in versions:
        if not version.withdrawn:
            grouped.setdefault((version.region, version.family), []).append(version)
    order = {name: i for i, name in enumerate(FAMILIES)}
    keys = sorted(grouped, key=lambda key: (key[0], order.get(key[1], len(order)), key[1]))
    return [family_freshness(grouped[key], today) for key in keys]


def report_lines(rows: Iterable[Freshness], names: dict[str, str], only_due: bool = False) -> list[str]:
    """The rows as lines of text, as ``flask rates due`` prints them and the admin page lists them."""
    lines = []
    for row in rows:
        if only_due and not (row.overdue or row.lapsed):
            continue
        held = f"{row.newest_year}年度" if row.newest_year else f"{row.newest.effective_from}起"
        lines.append(
            f"{names.get(row.region, row.region)}（{row.region}） {row.family_label}：最新 {held}"
            f"（{row.newest.doc_numbers()}）；{row.usual_text()}；{row.status_text()}"
        )
    return lines
