"""The append-only parameter store: loading, corrections, inheritance, provisional years."""

from __future__ import annotations

import dataclasses
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from rates.loader import BUNDLED, load_tree
from rates.months import Month
from rates.store import NotConfigured, ParameterStore, VersionRow


@pytest.fixture
def store(tmp_path: Path) -> ParameterStore:
    store = ParameterStore(create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}"))
    store.create_schema()
    store.load(*load_tree())
    return store


def load_outlet_ratio(store: ParameterStore, ratio: str) -> None:
    """The bundled files loaded again with another outlet ratio: a new version, as a publication makes."""
    regions, versions = load_tree()
    changed = [
        dataclasses.replace(v, values={"ratio": Decimal(ratio)}) if v.family == "outlet_injury" else v for v in versions
    ]
    store.load(regions, changed)


def count_rows(store: ParameterStore) -> int:
    with Session(store.engine) as session:
        return session.scalar(select(func.count()).select_from(VersionRow)) or 0


def test_app_loads_bundled_rates_on_first_start(app: Flask) -> None:
    store = app.extensions["rates"]
    assert count_rows(store) == len(load_tree()[1])


def test_cli_load_is_idempotent(runner: FlaskCliRunner, app: Flask) -> None:
    before = count_rows(app.extensions["rates"])
    result = runner.invoke(args=["rates", "load"])
    assert result.exit_code == 0, result.output
    assert "新增 0 个版本" in result.output
    assert count_rows(app.extensions["rates"]) == before


def test_cli_check_reports_broken_files(runner: FlaskCliRunner, tmp_path: Path) -> None:
    root = tmp_path / "broken"
    shutil.copytree(BUNDLED, root)
    (root / "360000" / "outlet_injury.yaml").write_text('values:\n  "2022-05": {ratio: 0.01}\n', encoding="utf-8")
    result = runner.invoke(args=["rates", "check", "--dir", str(root)])
    assert result.exit_code != 0
    assert "outlet_injury.yaml" in result.output and "2022-05.ratio" in result.output


def test_changed_file_value_is_a_new_version_superseding_the_old(store: ParameterStore) -> None:
    regions, versions = load_tree()
    corrected = [
        dataclasses.replace(v, values={**v.values, "avg_wage_monthly": Decimal("6526")}, trust="official")
        if (v.region, v.family, v.effective_from) == ("360000", "avg_wage", Month(2025, 1))
        else v
        for v in versions
    ]
    before = count_rows(store)
    report = store.load(regions, corrected)
    assert (report.inserted, report.superseded) == (0, 1)
    assert count_rows(store) == before + 1
    snapshot = store.snapshot()
    resolved = snapshot.at("360100", "avg_wage", Month(2025, 6))
    assert resolved.version.values["avg_wage_monthly"] == Decimal("6526")
    assert resolved.version.supersedes is not None
    history = [v for v in snapshot.history("360100") if v.family == "avg_wage" and v.effective_from == Month(2025, 1)]
    assert len(history) == 2  # the old record is kept
    assert snapshot.is_superseded(history[0]) != snapshot.is_superseded(history[1])


def test_withdrawal_hides_a_version_but_keeps_it_in_history(store: ParameterStore) -> None:
    snapshot = store.snapshot()
    target = snapshot.at("360100", "outlet_injury", Month(2025, 1)).version
    withdrawal = dataclasses.replace(target, withdrawn=True, id=None)
    from rates.store import version_to_row

    with Session(store.engine) as session, session.begin():
        session.add(version_to_row(withdrawal, "test", supersedes=target.id))
    fresh = store.snapshot()
    with pytest.raises(NotConfigured):
        fresh.at("360100", "outlet_injury", Month(2025, 1))
    assert sum(v.family == "outlet_injury" for v in fresh.history("360100")) == 2


def test_snapshot_sees_rows_written_by_another_process(store: ParameterStore, tmp_path: Path) -> None:
    other = ParameterStore(create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}"))
    first = store.snapshot()
    regions, versions = load_tree()
    changed = [
        dataclasses.replace(v, values={"ratio": Decimal("0.012")}) if v.family == "outlet_injury" else v
        for v in versions
    ]
    other.load(regions, changed, recorded_by="other process")
    second = store.snapshot()
    assert second is not first
    assert second.at("360100", "outlet_injury", Month(2025, 1)).version.values["ratio"] == Decimal("0.012")
    assert store.snapshot() is second  # cached while nothing changes


def test_snapshot_asks_the_revision_only_after_a_commit(
    store: ParameterStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On an SQLite file, PRAGMA data_version tells whether anything was committed: no query otherwise."""
    asked = []
    revision = store.revision
    monkeypatch.setattr(store, "revision", lambda: asked.append(1) or revision())
    first = store.snapshot()
    before = len(asked)
    assert all(store.snapshot() is first for _ in range(50))
    assert len(asked) == before  # nothing committed: the revision was not asked again
    other = ParameterStore(create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}"))
    load_outlet_ratio(other, "0.013")
    second = store.snapshot()
    assert len(asked) == before + 1 and second is not first
    assert second.at("360100", "outlet_injury", Month(2025, 1)).version.values["ratio"] == Decimal("0.013")
    # a commit that adds no parameter (an audit row, a quote) is asked about once, and changes nothing
    with other.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE scratch (x INTEGER)")
    assert store.snapshot() is second and len(asked) == before + 2
    assert store.snapshot() is second and len(asked) == before + 2


def test_each_thread_checks_for_itself(store: ParameterStore, tmp_path: Path) -> None:
    """A thread that confirmed an older snapshot does not keep it once another thread found a newer one."""
    import threading

    first = store.snapshot()
    other = ParameterStore(create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}"))
    load_outlet_ratio(other, "0.014")
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(store.snapshot()))
    thread.start()
    thread.join()
    assert seen[0] is not first
    assert store.snapshot() is seen[0]


def test_an_in_memory_database_is_asked_every_time() -> None:
    from sqlalchemy.pool import StaticPool

    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    memory = ParameterStore(engine)
    memory.create_schema()
    memory.load(*load_tree())
    first = memory.snapshot()
    load_outlet_ratio(memory, "0.015")
    assert memory.snapshot() is not first


def test_city_inherits_province_and_national_levels(store: ParameterStore) -> None:
    snapshot = store.snapshot()
    assert snapshot.chain("360100") == ["360100", "360000", "000000"]
    assert snapshot.at("360100", "avg_wage", Month(2025, 1)).level == "360000"
    assert snapshot.at("530100", "flexible_pension", Month(2025, 1)).level == "000000"


def test_city_override_wins_from_its_month_on(store: ParameterStore) -> None:
    regions, versions = load_tree()
    outlet = next(v for v in versions if v.family == "outlet_injury")
    override = dataclasses.replace(outlet, region="360100", effective_from=Month(2025, 7), values={"ratio": "0.02"})
    override = dataclasses.replace(override, values={"ratio": Decimal("0.02")})
    store.load(regions, [override])
    snapshot = store.snapshot()
    assert snapshot.at("360100", "outlet_injury", Month(2025, 6)).version.values["ratio"] == Decimal("0.01")
    assert snapshot.at("360100", "outlet_injury", Month(2025, 7)).version.values["ratio"] == Decimal("0.02")
    assert snapshot.at("360000", "outlet_injury", Month(2025, 7)).version.values["ratio"] == Decimal("0.01")


def test_provisional_only_when_the_year_has_no_version(store: ParameterStore) -> None:
    snapshot = store.snapshot()
    assert not snapshot.at("360100", "avg_wage", Month(2025, 12)).provisional
    late = snapshot.at("360100", "avg_wage", Month(2026, 1))
    assert late.provisional and late.version.contribution_year == 2025
    # Yunnan's medical base keeps 2025 until 2026-09 by notice: not provisional
    medical = snapshot.at("530100", "avg_wage", Month(2026, 8), scheme="flexible_medical")
    assert medical.version.contribution_year == 2025 and not medical.provisional
    assert (
        snapshot.at("530100", "avg_wage", Month(2026, 9), scheme="flexible_medical").version.contribution_year == 2026
    )
    # non-yearly families are never provisional
    assert not snapshot.at("360100", "outlet_injury", Month(2030, 1)).provisional


def test_month_before_every_version_is_not_configured(store: ParameterStore) -> None:
    with pytest.raises(NotConfigured):
        store.snapshot().at("360100", "avg_wage", Month(2021, 12))


def test_decimals_stay_exact_through_the_database(store: ParameterStore) -> None:
    version = store.snapshot().at("000000", "flexible_pension", Month(2025, 1)).version
    assert version.values["rate"] == Decimal("0.20")
    assert str(version.values["personal_account_rate"]) == "0.08"
