"""Export and import of the parameter store (rates.transfer): what an export carries, round trips, bad files.

The claim tested: an export carries the regions and the versions in force (values, references, trust,
note, scheme switches), not the history; importing it into an empty database gives a store whose
versions in force, and so every answer, are the same.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from rates import audit, transfer
from rates.families import FAMILIES
from rates.loader import load_tree
from rates.model import Reference
from rates.months import Month
from rates.publish import PublishError, parse_proposal, parse_reference, publish, withdraw
from rates.store import ParameterStore, Snapshot
from service import create_app
from service.core.db import make_engine
from tests.databases import postgres_schema

WAGE_2026: dict[str, Any] = {  # test data, as in tests/test_publish.py
    "effective_from": "2026-01",
    "contribution_year": 2026,
    "avg_wage_monthly": "6800",
    "reference": {"title": "2025年度全省全口径城镇单位就业人员平均工资", "doc_no": "赣人社字〔2026〕1号"},
    "trust": "medium",  # issue 25: 官方原文 needs held text
}


def in_force(snapshot: Snapshot) -> list[tuple[Any, ...]]:
    """Every version in force, by what it says (ids and who recorded it are not part of an export)."""
    return sorted(
        (v.region, v.family, str(v.effective_from), v.trust, repr(v.payload()))
        for code in snapshot.regions
        for family in FAMILIES
        for v in snapshot.active(code, family)
    )


def with_history(db_url: str) -> ParameterStore:
    """The bundled files, then a publication, a correction and a withdrawal: a store with history."""
    store = ParameterStore(make_engine(db_url))
    store.create_schema()
    store.load(*load_tree())
    publish(store, [parse_proposal("360000", "avg_wage", WAGE_2026)], "alice")
    corrected = parse_proposal("360000", "avg_wage", {**WAGE_2026, "avg_wage_monthly": "6810"})
    publish(store, [corrected], "alice")
    outlet = store.snapshot().at("360000", "outlet_injury", Month(2025, 1)).version
    reference = parse_reference("outlet_injury", {"title": "测试撤回", "doc_no": "测试〔2026〕1号"}, True)
    withdraw(store, outlet.id or 0, reference, "test only", "alice")
    return store


def empty_store(tmp_path: Path, name: str) -> ParameterStore:
    store = ParameterStore(make_engine(f"sqlite:///{tmp_path / name}"))
    store.create_schema()
    return store


@contextmanager
def empty_like(db_url: str, tmp_path: Path) -> Iterator[ParameterStore]:
    """An empty store on the same backend as ``db_url`` (a schema of its own on PostgreSQL)."""
    if db_url.startswith("sqlite"):
        yield empty_store(tmp_path, "copy.sqlite3")
        return
    with postgres_schema() as url:
        store = ParameterStore(make_engine(url))
        store.create_schema()
        try:
            yield store
        finally:
            store.engine.dispose()


def test_yaml_export_round_trips_the_versions_in_force(db_url: str, tmp_path: Path) -> None:
    snapshot = with_history(db_url).snapshot()
    assert len(snapshot.all_versions) > len(in_force(snapshot))  # there is history to leave out
    folder = tmp_path / "export"
    zipfile.ZipFile(io.BytesIO(transfer.yaml_zip(snapshot))).extractall(folder)
    assert (folder / "regions.yaml").is_file() and (folder / "360000" / "avg_wage.yaml").is_file()
    assert not (folder / "360000" / "outlet_injury.yaml").exists()  # withdrawn: nothing in force
    with empty_like(db_url, tmp_path) as target:
        target.load(*load_tree(folder))
        copy = target.snapshot()
    assert copy.regions == snapshot.regions
    assert in_force(copy) == in_force(snapshot)
    assert len(copy.all_versions) == len(in_force(snapshot))  # the history is not carried, as documented
    assert str(copy.at("360100", "avg_wage", Month(2026, 5)).version.values["avg_wage_monthly"]) == "6810"


def test_workbook_export_round_trips_into_an_empty_database(db_url: str, tmp_path: Path) -> None:
    snapshot = with_history(db_url).snapshot()
    data = transfer.export_workbook(snapshot)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["参数", "地区", "说明"]
    assert book["参数"].max_row == len(in_force(snapshot)) + 1
    with empty_like(db_url, tmp_path) as target:
        target.load(*transfer.read_workbook(data))
        copy = target.snapshot()
    assert copy.regions == snapshot.regions
    assert in_force(copy) == in_force(snapshot)
    assert len(copy.all_versions) == len(in_force(snapshot))


def test_cli_export_seeds_an_empty_database_with_the_same_store(tmp_path: Path) -> None:
    source = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}"})
    with_history(source.config["DATABASE_URL"])  # the bundled files are there already: adds history
    runner: FlaskCliRunner = source.test_cli_runner()
    folder, workbook = tmp_path / "tree", tmp_path / "store.xlsx"
    result = runner.invoke(args=["rates", "export", str(folder), "--xlsx", str(workbook)])
    assert result.exit_code == 0, result.output
    assert "不含已更正、已撤回的历史记录" in result.output
    assert runner.invoke(args=["rates", "export", str(folder)]).exit_code != 0  # never into a used folder
    expected = in_force(source.extensions["rates"].snapshot())
    copy = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'b.sqlite3'}", "RATES_DIR": folder})
    assert in_force(copy.extensions["rates"].snapshot()) == expected
    loaded = copy.test_cli_runner().invoke(args=["rates", "load", "--xlsx", str(workbook)])
    assert loaded.exit_code == 0, loaded.output
    assert "新增 0 个版本，更正 0 个" in loaded.output  # the workbook holds the same store
    assert in_force(copy.extensions["rates"].snapshot()) == expected


def test_cli_load_is_audited(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "tree"
    assert runner.invoke(args=["rates", "export", str(folder)]).exit_code == 0
    wage = folder / "360000" / "avg_wage.yaml"
    wage.write_text(wage.read_text(encoding="utf-8").replace("'6525'", "'6526'"), encoding="utf-8")
    result = runner.invoke(args=["rates", "load", "--dir", str(folder)])
    assert result.exit_code == 0 and "更正 1 个" in result.output, result.output
    with Session(app.extensions["rates"].engine) as session:
        (entry,) = audit.entries(session)
    assert (entry.action, entry.target, entry.actor) == ("import", "360000/avg_wage/2025-01", "命令行 rates load tree")
    assert entry.before["values"]["avg_wage_monthly"] == "6525" and entry.after["values"]["avg_wage_monthly"] == "6526"


def bad_workbook(snapshot: Snapshot) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(transfer.export_workbook(snapshot)))
    sheet = book["参数"]
    headings = [c.value for c in sheet[1]]
    column = headings.index("月平均工资（avg_wage_monthly）") + 1
    rows = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 2).value == "avg_wage"]
    jiangxi_2025 = next(r for r in rows if (sheet.cell(r, 1).value, sheet.cell(r, 3).value) == ("360000", "2025-01"))
    sheet.cell(jiangxi_2025, column).value = "6525"  # fine
    sheet.cell(rows[-1], column).value = "六千"  # one bad cell
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_bad_cell_is_named_in_chinese(tmp_path: Path) -> None:
    store = empty_store(tmp_path, "x.sqlite3")
    store.load(*load_tree())
    with pytest.raises(PublishError) as raised:
        transfer.read_workbook(bad_workbook(store.snapshot()))
    (problem,) = raised.value.problems
    assert problem.message.startswith("第")
    assert "月平均工资" in problem.message and "不是有效的数字" in problem.message and "六千" in problem.message
    assert problem.field[0] == "E"  # the cell, e.g. E8


def test_bad_yaml_names_the_key() -> None:
    text = 'values:\n  "2026-01":\n    contribution_year: 2026\n    avg_wage_monthly: 6800\n    trust: official\n'
    with pytest.raises(PublishError) as raised:
        transfer.read_family_yaml("360000", "avg_wage", text.encode(), "test")
    assert raised.value.problems[0].message.startswith("“2026-01.avg_wage_monthly” 月平均工资：数字须写成带引号的文本")
    with pytest.raises(PublishError, match="不是有效的 YAML"):
        transfer.read_family_yaml("360000", "avg_wage", b"values: [", "test")
    with pytest.raises(PublishError, match="月份须按先后顺序排列"):
        body = '    contribution_year: {y}\n    avg_wage_monthly: "1"\n    reference: {{title: t}}\n    trust: low\n'
        text = f'values:\n  "2026-01":\n{body.format(y=2026)}  "2025-01":\n{body.format(y=2025)}'
        transfer.read_family_yaml("360000", "avg_wage", text.encode(), "t")


def test_a_version_with_several_references_keeps_them_all() -> None:
    regions, versions = load_tree()
    pension = next(v for v in versions if v.family == "flexible_pension")
    assert len(pension.references) == 2
    (back,) = transfer.read_workbook(transfer.workbook([pension], regions))[1]
    assert back.references == pension.references
    assert all(isinstance(r, Reference) and r.fields for r in back.references)


def test_text_starting_with_an_equals_sign_stays_text_in_the_workbook() -> None:
    """A note or title like "=HYPERLINK(…)" must not become a formula (it would run when opened in Excel)."""
    regions, versions = load_tree()
    outlet = next(v for v in versions if v.family == "outlet_injury")
    tricky = dataclasses.replace(
        outlet, note="=1+1", references=(Reference(title='=HYPERLINK("http://example.invalid","x")'),)
    )
    data = transfer.workbook([tricky], regions)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["参数"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    (back,) = transfer.read_workbook(data)[1]
    assert back.note == "=1+1" and back.references == tricky.references


def test_cli_load_of_a_workbook_keeps_contribution_years_in_order(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    """A workbook whose 2026 average wage says contribution year 2024 is refused whole, as publishing refuses it."""
    workbook = tmp_path / "store.xlsx"
    assert runner.invoke(args=["rates", "export", str(tmp_path / "tree"), "--xlsx", str(workbook)]).exit_code == 0
    book = openpyxl.load_workbook(workbook)
    sheet = book["参数"]
    header = [str(c.value) for c in sheet[1]]
    column = {
        key: next(i for i, h in enumerate(header) if f"（{key}）" in h)
        for key in ("region", "family", "effective_from", "contribution_year")
    }
    wage = next(
        [c.value for c in row]
        for row in sheet.iter_rows(min_row=2)
        if (row[column["region"]].value, row[column["family"]].value) == ("360000", "avg_wage")
    )
    wage[column["effective_from"]], wage[column["contribution_year"]] = "2026-01", 2024
    sheet.append(wage)
    book.save(workbook)
    before = len(app.extensions["rates"].snapshot().all_versions)
    refused = runner.invoke(args=["rates", "load", "--xlsx", str(workbook)])
    assert refused.exit_code != 0 and "缴费年度" in refused.output and "须晚于" in refused.output, refused.output
    assert len(app.extensions["rates"].snapshot().all_versions) == before
