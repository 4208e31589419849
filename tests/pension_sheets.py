"""Replaying the published approval sheets of tests/cases/pension_sheets.yaml (issue 22).

Shared by tests/test_pension_sheets.py and the sweep: each sheet goes through calc.record.benefit, the
function POST /api/v1/pension/benefit runs, with the sheet's own figures; the outcome says, per part
(基础养老金 "basic", 个人账户养老金 "account"), whether the printed figure came out to the fen, or why the
part could not be replayed at all (a figure the sheet does not give).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from calc.lines import QuoteError
from calc.record import BenefitRequest, benefit
from rates.interface import Parameters
from rates.loader import load_tree
from rates.months import Month
from rates.store import Snapshot

ROOT = Path(__file__).resolve().parents[1]
SHEETS_FILE = ROOT / "tests" / "cases" / "pension_sheets.yaml"
DOCS_FILE = ROOT / "docs" / "pension-sheets.md"
PARTS = ("basic", "account")
PRINTED = {"basic": "basic_pension", "account": "account_pension", "transitional": "transitional_pension"}


def bundled_snapshot() -> Snapshot:
    """The bundled files as a snapshot (numbered as a database would), without a database.

    As ParameterStore.load records them: a file's superseded record comes just before its correction,
    which supersedes it (吉林2025 7322 -> 7322.08)."""
    regions, versions = load_tree()
    numbered, last = [], {}
    for i, v in enumerate(versions, 1):
        key = (v.region, v.family, v.effective_from)
        numbered.append(dataclasses.replace(v, id=i, supersedes=last.get(key)))
        last[key] = i
    return Snapshot(regions, numbered, len(versions))


def load_sheets() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SHEETS_FILE.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Outcome:
    sheet: str
    part: str  # basic or account
    printed: Decimal | None
    computed: Decimal | None
    missing: str | None = None  # why the part was not replayed: the figure the sheet lacks
    final_basic: Decimal | None = None  # basic: on the year's final 计发基数, where the sheet's is another (预发)

    @property
    def reproduced(self) -> bool:
        return self.missing is None and self.printed == self.computed


def _dec(sheet: dict[str, Any], name: str) -> Decimal | None:
    raw = sheet.get(name)
    return None if raw is None else Decimal(str(raw))


def replay(params: Parameters, sheet: dict[str, Any]) -> list[Outcome]:
    """Both parts of one sheet, through the engine's record mode."""
    name = sheet["id"]
    parts = PARTS + (("transitional",) if "transitional_pension" in sheet else ())
    printed = {part: _dec(sheet, PRINTED[part]) for part in parts}
    if "month" not in sheet:
        return [Outcome(name, part, printed[part], None, "退休月份") for part in parts]
    month = Month.parse(str(sheet["month"]))
    age = month.index() - Month.parse(str(sheet["birth_month"])).index() if "birth_month" in sheet else None
    request = BenefitRequest(
        calc_base=Decimal(str(sheet["calc_base"])),
        average_index=Decimal(str(sheet["average_index"])),
        contribution_months=sheet.get("contribution_months"),
        contribution_years=_dec(sheet, "contribution_years"),
        account_balance=_dec(sheet, "account_balance") or Decimal(0),
        retirement_age_months=age if age is not None else 720,  # the basic part does not depend on the age
        month=month,
        region=str(sheet["region"]),
        indexed_wage=_dec(sheet, "indexed_wage"),
        index_base=_dec(sheet, "index_base"),
        sheet_payout_months=_dec(sheet, "payout_months"),
        transitional_years=_dec(sheet, "transitional_years"),
        transitional_months=sheet.get("transitional_months"),
        transitional_index=_dec(sheet, "transitional_index"),
    )
    try:
        result = benefit(params, request)
    except QuoteError as error:  # an age outside the table, a second 计发基数 the file lacks: nothing replayed
        return [Outcome(name, part, printed[part], None, error.message) for part in parts]
    final = result.final.basic if result.final else None
    out = [Outcome(name, "basic", printed["basic"], result.basic, final_basic=final)]
    if printed["account"] is None:
        out.append(Outcome(name, "account", None, None, "所印个人账户养老金"))
    elif age is None:
        out.append(Outcome(name, "account", printed["account"], None, "出生年月（退休年龄）"))
    elif "account_balance" not in sheet:
        out.append(Outcome(name, "account", printed["account"], None, "个人账户储存额"))
    else:
        out.append(Outcome(name, "account", printed["account"], result.account))
    if "transitional" in parts:
        computed = result.transitional.amount if result.transitional else None
        why = None if result.transitional else "本地区退休当月的过渡性养老金计发办法（未覆盖）"
        out.append(Outcome(name, "transitional", printed["transitional"], computed, why))
    return out


def replay_all(params: Parameters) -> list[Outcome]:
    return [outcome for sheet in load_sheets()["sheets"] for outcome in replay(params, sheet)]


_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*(基础养老金|个人账户养老金|过渡性养老金)\s*\|")
PART_WORDS = {"基础养老金": "basic", "个人账户养老金": "account", "过渡性养老金": "transitional"}


def documented() -> set[tuple[str, str]]:
    """The (sheet, part) pairs docs/pension-sheets.md lists as not reproduced or not replayed."""
    found = set()
    for line in DOCS_FILE.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            found.add((match.group(1), PART_WORDS[match.group(2)]))
    return found
