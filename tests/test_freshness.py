"""数据时效 (issue 25): the newest figure per region and family, when the region usually publishes the next,
what is overdue and what has lapsed with no successor; ``flask rates due`` and /admin/due say the same."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from rates.freshness import freshness, publication_months, report_lines
from rates.model import Reference, Version
from rates.months import Month
from tests.admin_support import add_user, login


def version(
    year: int | None,
    start: str,
    published: str | None = None,
    note: str | None = None,
    family: str = "avg_wage",
    end: str | None = None,
    region: str = "360000",
) -> Version:
    reference = Reference("测试通知", "测试〔2025〕1号", published=date.fromisoformat(published) if published else None)
    return Version(
        region,
        family,
        Month.parse(start),
        {"avg_monthly": Decimal("7000")},
        (reference,),
        "medium",
        note=note,
        contribution_year=year,
        effective_to=Month.parse(end) if end else None,
        id=1,
    )


@pytest.mark.parametrize(
    ("versions", "today", "usual", "expected", "overdue", "lapsed"),
    [
        # published each July of its own year: 2026's is due 2026-07, overdue from 2026-08
        (
            [version(2024, "2024-01", "2024-07-30"), version(2025, "2025-01", "2025-07-10")],
            "2026-07",
            7,
            "2026-07",
            False,
            False,
        ),
        (
            [version(2024, "2024-01", "2024-07-30"), version(2025, "2025-01", "2025-07-10")],
            "2026-08",
            7,
            "2026-07",
            True,
            False,
        ),
        # the date read from the note (通知于2024年7月发布); 尚未公布 is no publication
        (
            [version(2024, "2024-01", note="通知于2024年7月发布，生效月份未见说明。")],
            "2025-09",
            7,
            "2025-07",
            True,
            False,
        ),
        ([version(2024, "2024-01", note="2025年5月上海尚未公布上年数据。")], "2030-01", None, None, False, False),
        # a 计发基数 published the year after its own (吉林 2024-12-18 for 2024; 陕西 2026-06 for 2025)
        ([version(2025, "2025-01", "2026-06-23")], "2027-06", 6, "2027-06", False, False),
        ([version(2025, "2025-01", "2026-06-23")], "2027-07", 6, "2027-06", True, False),
        # nothing says when: 未知, never overdue
        ([version(2025, "2025-01")], "2030-01", None, None, False, False),
        # a version past its effective_to with no successor
        ([version(None, "2024-03", family="flexible_medical", end="2025-12")], "2026-01", None, None, False, True),
        ([version(None, "2024-03", family="flexible_medical", end="2025-12")], "2025-12", None, None, False, False),
    ],
)
def test_freshness_as_data(
    versions: list[Version], today: str, usual: int | None, expected: str | None, overdue: bool, lapsed: bool
) -> None:
    (row,) = freshness(versions, Month.parse(today))
    assert row.usual_month == usual
    assert (str(row.expected) if row.expected else None) == expected
    assert (row.overdue, row.lapsed) == (overdue, lapsed)
    assert row.usual_text() == (f"通常{usual}月公布" if usual else "未知")


def test_publication_months_of_a_note_and_a_reference() -> None:
    note = "其中一份注明江苏税务2024年10月8日公布；一篇文章称2025年5月上海尚未公布；2026年7月1日后新标准公布。"
    months = publication_months(version(2024, "2024-01", "2024-09-13", note=note))
    assert [str(m) for m in months] == ["2024-09", "2024-10"]


def test_report_lines_name_the_region_the_document_and_what_to_do() -> None:
    rows = freshness([version(2025, "2025-01", "2025-07-10")], Month(2026, 9))
    assert report_lines(rows, {"360000": "江西省"}, only_due=True) == [
        "江西省（360000） 上年度全省全口径城镇单位就业人员月平均工资：最新 2025年度（测试〔2025〕1号）；"
        "通常7月公布；2026年度数据逾期未录入（应于2026-07前后公布）"
    ]
    assert report_lines(freshness([version(2025, "2025-01")], Month(2026, 9)), {}, only_due=True) == []


# What the bundled data says on 2026-12 (tests as data: these change only with the provinces' data).
BUNDLED_DUE = [
    "江苏省（320000） 上年度全省全口径城镇单位就业人员月平均工资",
    "武汉市（420100） 上年度全省全口径城镇单位就业人员月平均工资",
    "广州市（440100） 灵活就业人员职工基本医疗保险",
    "重庆市（500000） 灵活就业人员职工基本医疗保险",
]


def test_flask_rates_due_lists_what_is_overdue(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["rates", "due", "--month", "2026-12"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split("：")[0] for line in lines[:-1]] == BUNDLED_DUE
    assert "已过有效期（至2025-12止）且无后续版本" in lines[2]
    assert "2026年度数据逾期未录入" in lines[0]
    assert lines[-1].startswith("截至 2026-12：") and lines[-1].endswith("需要处理 4 项。")
    everything = runner.invoke(args=["rates", "due", "--month", "2026-12", "--all"]).output
    assert "云南省（530000） 上年度全省全口径城镇单位就业人员月平均工资：最新 2026年度" in everything
    assert runner.invoke(args=["rates", "due", "--month", "2026-13"]).exit_code != 0


def test_the_admin_page_shows_the_same_lines(app: Flask, runner: FlaskCliRunner) -> None:
    add_user(app, "clerk1", "clerk")
    client = app.test_client()
    assert client.get("/admin/due").status_code in (302, 401, 403)
    login(client, "clerk1")
    html = client.get("/admin/due?month=2026-12").get_data(as_text=True)
    printed = runner.invoke(args=["rates", "due", "--month", "2026-12"]).output.strip().splitlines()[:-1]
    assert html.count('data-testid="due"') == len(printed)
    for line in printed:
        assert line in html.replace("&amp;", "&")
    assert "需要处理（4 项）" in html and "数据时效" in html
