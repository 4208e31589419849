"""Publishing, correcting and withdrawing through rates.publish, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rates import audit
from rates.loader import load_tree
from rates.model import Reference
from rates.months import Month
from rates.publish import (
    STALE_MESSAGE,
    PublishError,
    StaleError,
    family_revision,
    parse_proposal,
    parse_reference,
    plan,
    preview_snapshot,
    publish,
    withdraw,
)
from rates.store import NotConfigured, ParameterStore, VersionRow
from service.core.db import make_engine

WAGE_2026: dict[str, Any] = {
    "effective_from": "2026-01",
    "contribution_year": 2026,
    "avg_wage_monthly": "6800",
    "reference": {"title": "2025年度全省全口径城镇单位就业人员平均工资", "doc_no": "赣人社字〔2026〕1号"},
    "trust": "medium",  # issue 25: 官方原文 needs held text (the correction below holds it)
}


@pytest.fixture
def store(db_url: str) -> ParameterStore:
    store = ParameterStore(make_engine(db_url))
    store.create_schema()
    store.load(*load_tree())
    return store


def count(store: ParameterStore, model: type = VersionRow) -> int:
    with Session(store.engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def audit_entries(store: ParameterStore) -> list[audit.AuditEntry]:
    with Session(store.engine) as session:
        return audit.entries(session)


def test_publish_new_year_is_in_force_at_next_snapshot_and_audited(store: ParameterStore) -> None:
    before = store.snapshot()
    version = parse_proposal("360000", "avg_wage", WAGE_2026)
    seen = {("360000", "avg_wage"): family_revision(before, "360000", "avg_wage")}
    report = publish(store, [version], "alice", "10.0.0.1", based_on=seen)
    assert len(report.inserted) == 1 and report.superseded == 0
    after = store.snapshot()
    assert after.revision > before.revision
    resolved = after.at("360100", "avg_wage", Month(2026, 3))
    assert resolved.version.values["avg_wage_monthly"] == Decimal("6800")
    assert resolved.version.recorded_by == "alice"
    assert not resolved.provisional
    (entry,) = audit_entries(store)
    assert (entry.actor, entry.action, entry.address) == ("alice", "publish", "10.0.0.1")
    assert entry.target == "360000/avg_wage/2026-01"
    assert entry.before is None and entry.after["values"]["avg_wage_monthly"] == "6800"


def test_correction_supersedes_and_history_keeps_both(store: ParameterStore) -> None:
    old = store.snapshot().at("360000", "avg_wage", Month(2025, 1)).version
    corrected = parse_proposal(
        "360000",
        "avg_wage",
        {
            "effective_from": "2025-01",
            "contribution_year": 2025,
            "avg_wage_monthly": "6525",
            "base_floor_monthly": "3915",
            "base_ceiling_monthly": "19575",
            "reference": {
                "title": "2024年度全省平均工资及2025年度缴费基数上下限",
                "doc_no": "赣人社字〔2025〕150号",
                # issue 25: 官方原文 holds the notice's sentence (every figure in it) and the page it was read on
                "excerpt": "全省月平均工资为6525元，缴费基数下限为3915元，上限为19575元。",
                "excerpt_url": "https://rst.jiangxi.gov.cn/example.html",
            },
            "trust": "official",
        },
    )
    report = publish(store, [corrected], "bob")
    assert report.superseded == 1
    snapshot = store.snapshot()
    now = snapshot.at("360000", "avg_wage", Month(2025, 6)).version
    assert now.trust == "official" and now.supersedes == old.id
    history = snapshot.history("360000")
    same_month = [v for v in history if v.family == "avg_wage" and v.effective_from == Month(2025, 1)]
    assert len(same_month) == 2
    (entry,) = audit_entries(store)
    assert entry.action == "correct"
    assert entry.before["trust"] == "medium" and entry.after["trust"] == "official"


def test_stale_form_is_refused_and_nothing_is_written(store: ParameterStore) -> None:
    seen = family_revision(store.snapshot(), "360000", "avg_wage")
    publish(store, [parse_proposal("360000", "avg_wage", WAGE_2026)], "alice", based_on={("360000", "avg_wage"): seen})
    rows = count(store)
    other = parse_proposal("360000", "avg_wage", {**WAGE_2026, "avg_wage_monthly": "6900"})
    with pytest.raises(StaleError) as raised:
        publish(store, [other], "bob", based_on={("360000", "avg_wage"): seen})
    assert STALE_MESSAGE in str(raised.value)
    assert count(store) == rows
    assert len(audit_entries(store)) == 1


def _race(store: ParameterStore, db_url: str, make_call: Any) -> list[BaseException | None]:
    """Two publishers, each with an engine of its own (as two processes), released together."""
    barrier = threading.Barrier(2)
    outcomes: list[BaseException | None] = [None, None]

    def run(i: int) -> None:
        other = ParameterStore(make_engine(db_url))
        barrier.wait()
        try:
            make_call(other, i)
        except BaseException as error:  # the outcome is what the test checks
            outcomes[i] = error
        finally:
            other.engine.dispose()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_admins_publishing_a_new_month_at_once_one_is_refused(store: ParameterStore, db_url: str) -> None:
    seen = family_revision(store.snapshot(), "360000", "avg_wage")
    rows = count(store)

    def call(other: ParameterStore, i: int) -> None:
        version = parse_proposal("360000", "avg_wage", {**WAGE_2026, "avg_wage_monthly": f"68{i}0"})
        publish(other, [version], f"admin{i}", based_on={("360000", "avg_wage"): seen})

    outcomes = _race(store, db_url, call)
    assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "StaleError"], outcomes
    assert count(store) == rows + 1
    assert len(audit_entries(store)) == 1


def test_two_concurrent_corrections_of_one_version_one_is_refused(store: ParameterStore, db_url: str) -> None:
    seen = family_revision(store.snapshot(), "360000", "outlet_injury")
    rows = count(store)

    def call(other: ParameterStore, i: int) -> None:
        body = {
            "effective_from": "2022-05",
            "ratio": f"0.00{i + 5}",
            "reference": {"title": "更正", "doc_no": f"测试〔2026〕{i}号"},
            "trust": "medium",
        }
        version = parse_proposal("360000", "outlet_injury", body)
        publish(other, [version], f"admin{i}", based_on={("360000", "outlet_injury"): seen})

    outcomes = _race(store, db_url, call)
    assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "StaleError"], outcomes
    assert count(store) == rows + 1


def test_two_concurrent_withdrawals_of_one_version_one_is_refused(store: ParameterStore, db_url: str) -> None:
    target = store.snapshot().at("360100", "outlet_injury", Month(2025, 1)).version
    assert target.id is not None
    rows = count(store)

    def call(other: ParameterStore, i: int) -> None:
        withdraw(other, target.id, Reference("撤回通知", f"测试〔2026〕{i}号"), None, f"admin{i}")  # type: ignore[arg-type]

    outcomes = _race(store, db_url, call)
    assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "StaleError"], outcomes
    assert count(store) == rows + 1


def test_a_set_is_all_or_nothing(store: ParameterStore) -> None:
    rows = count(store)
    good = parse_proposal("360000", "avg_wage", WAGE_2026)
    # contribution years must ascend with the months, as in the bundled files
    bad = parse_proposal("360000", "avg_wage", {**WAGE_2026, "effective_from": "2026-07", "contribution_year": 2024})
    with pytest.raises(PublishError) as raised:
        publish(store, [good, bad], "alice")
    assert "缴费年度" in str(raised.value)
    assert count(store) == rows
    assert audit_entries(store) == []


def test_publishing_the_same_content_again_is_refused(store: ParameterStore) -> None:
    version = parse_proposal("360000", "avg_wage", WAGE_2026)
    publish(store, [version], "alice")
    with pytest.raises(PublishError, match="完全相同"):
        publish(store, [version], "alice")


def test_withdrawal_is_a_new_record_and_cannot_happen_twice(store: ParameterStore) -> None:
    target = store.snapshot().at("360100", "outlet_injury", Month(2025, 1)).version
    assert target.id is not None
    basis = Reference("关于撤回试行比例的通知", "测试〔2026〕9号")
    new_id = withdraw(store, target.id, basis, "试行期结束", "alice", "127.0.0.1")
    snapshot = store.snapshot()
    with pytest.raises(NotConfigured):
        snapshot.at("360100", "outlet_injury", Month(2025, 1))
    record = next(v for v in snapshot.all_versions if v.id == new_id)
    assert record.withdrawn and record.supersedes == target.id and record.references == (basis,)
    (entry,) = audit_entries(store)
    assert entry.action == "withdraw" and entry.before["id"] == target.id
    with pytest.raises(StaleError):
        withdraw(store, target.id, basis, None, "bob")


def test_preview_shows_the_change_without_writing(store: ParameterStore) -> None:
    snapshot = store.snapshot()
    rows = count(store)
    planned = plan(snapshot, [parse_proposal("360000", "avg_wage", WAGE_2026)])
    (item,) = planned
    assert item.in_force is not None and item.in_force.effective_from == Month(2025, 1)
    changes = {c.field: (c.old, c.new) for c in item.changes}
    assert changes["avg_wage_monthly"] == ("6525", "6800")
    assert changes["base_floor_monthly"] == ("3915", None)
    preview = preview_snapshot(snapshot, planned)
    assert preview.at("360100", "avg_wage", Month(2026, 1)).version.values["avg_wage_monthly"] == Decimal("6800")
    assert snapshot.at("360100", "avg_wage", Month(2026, 1)).version.values["avg_wage_monthly"] == Decimal("6525")
    assert count(store) == rows


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"avg_wage_monthly": "abc"}, "月平均工资：不是有效的数字"),
        ({"avg_wage_monthly": "6800.123"}, "月平均工资：金额须不小于0且最多两位小数"),
        ({"avg_wage_monthly": None}, "月平均工资：未填写月平均工资时，须同时填写公布的缴费基数下限和上限"),
        ({"trust": "maybe"}, "可信度：须为以下之一"),
        ({"reference": None}, "依据文件：必须填写依据文件"),
        ({"effective_from": "2026-1"}, "月份须写成YYYY-MM"),
        ({"contribution_year": None}, "缴费年度：须填写缴费年度"),
    ],
)
def test_invalid_proposals_are_explained_in_chinese(change: dict[str, Any], expected: str) -> None:
    with pytest.raises(PublishError) as raised:
        parse_proposal("360000", "avg_wage", {**WAGE_2026, **change})
    assert expected in str(raised.value)


def test_publication_reference_needs_a_doc_number() -> None:
    with pytest.raises(PublishError, match="文号"):
        parse_reference("avg_wage", {"title": "某通知"}, need_doc_no=True)
    assert parse_reference("avg_wage", {"title": "某通知", "doc_no": "X〔2026〕1号"}, need_doc_no=True).doc_no
