"""The vectorised batch agrees with the single-calculation engine, to the fen, on random rosters."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calc.batch import month_at, month_totals, outlet_totals, price_roster, yuan
from calc.quote import QuoteError, QuoteRequest, price
from calc.rounding import fen
from rates.months import Month
from rates.store import Snapshot
from service import create_app
from service.core.db import snapshot as current_snapshot
from tests.outlets_support import make_id

FIRST, LAST = Month(2021, 10).index(), Month(2026, 6).index()  # before the scheme starts to after the known years
FACTORS = [Decimal(1), Decimal("1.2"), Decimal("0.8"), Decimal("1.5"), Decimal("0.95"), Decimal(0), Decimal("3.5")]


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    with app.app_context():
        return current_snapshot()


def _single(snap: Snapshot, start: int, end: int, factor: Decimal, headcount: int = 1) -> Decimal:
    request = QuoteRequest(
        "360100", "outlet_injury", month_at(start), month_at(end), headcount=headcount, factor=factor
    )
    return price(snap, request).total


rows = st.lists(
    st.tuples(
        st.integers(0, 25),  # few distinct IDs, so that some repeat
        st.integers(FIRST, LAST),
        st.integers(-2, 40),  # length - 1; negative: the end before the start
        st.sampled_from(FACTORS),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows)
def test_batch_agrees_with_the_engine_row_by_row(snap: Snapshot, roster: list[tuple[int, int, int, Decimal]]) -> None:
    ids = [make_id(i) for i, _, _, _ in roster]
    starts = [s for _, s, _, _ in roster]
    ends = [s + length for _, s, length, _ in roster]
    factors = [f for _, _, _, f in roster]
    result = price_roster(snap, "360100", ids, starts, ends, factors)
    kept: dict[str, list[tuple[int, int]]] = {}
    for i in range(len(roster)):
        try:
            expected = _single(snap, starts[i], ends[i], factors[i])
        except QuoteError as error:
            # the engine refuses the row: so does the batch, with the engine's own message
            assert not result.accepted[i]
            assert result.errors[i] == (error.field, error.message)
            continue
        overlaps = any(s <= ends[i] and starts[i] <= e for s, e in kept.get(ids[i], []))
        if overlaps:  # a later overlapping registration of the same person: never charged twice
            assert not result.accepted[i]
            assert result.errors[i][0] == "id"
            assert result.amount_fen[i] == 0
            continue
        kept.setdefault(ids[i], []).append((starts[i], ends[i]))
        assert result.accepted[i], result.errors.get(i)
        assert result.amount_fen[i] == fen(expected)
        assert yuan(int(result.amount_fen[i])) == expected
        assert result.months[i] == ends[i] - starts[i] + 1
        segments = result.segments(i, starts[i], ends[i])
        assert sum(amount * (b.index() - a.index() + 1) for a, b, amount in segments) == fen(expected)
        assert result.uniform[i] == (len(segments) == 1)
        assert result.monthly_fen[i] == segments[0][2]
    assert int(result.amount_fen.sum()) == sum(
        fen(_single(snap, starts[i], ends[i], factors[i])) for i in np.flatnonzero(result.accepted)
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.integers(Month(2022, 5).index(), LAST - 24),
    st.integers(0, 24),
    st.sampled_from(FACTORS[:5]),
    st.integers(1, 300),
)
def test_outlet_total_equals_one_call_with_headcount_n(
    snap: Snapshot, start: int, length: int, factor: Decimal, headcount: int
) -> None:
    ids = [make_id(i, birth=f"19{80 + i // 1000:02d}0101") for i in range(headcount)]
    result = price_roster(snap, "360100", ids, [start] * headcount, [start + length] * headcount, [factor] * headcount)
    outlets, total = outlet_totals(["网点甲"] * headcount, ids, result)
    assert total.headcount == headcount == outlets[0].headcount
    assert total.courier_months == headcount * (length + 1)
    assert yuan(total.amount_fen) == _single(snap, start, start + length, factor, headcount)


def test_versions_used_are_those_of_the_engine(snap: Snapshot) -> None:
    start, end = Month(2024, 11).index(), Month(2025, 2).index()
    result = price_roster(snap, "360100", [make_id(1)], [start], [end], [Decimal(1)])
    quote = price(snap, QuoteRequest("360100", "outlet_injury", month_at(start), month_at(end)))
    assert {r.version.id for r in result.used} == {r.version.id for r in quote.used}
    assert not result.uniform[0]  # the 2025 average wage replaces the 2024 one in January
    assert [(str(a), str(b)) for a, b, _ in result.segments(0, start, end)] == [
        ("2024-11", "2024-12"),
        ("2025-01", "2025-02"),
    ]


def test_unknown_region_is_refused_as_a_whole(snap: Snapshot) -> None:
    with pytest.raises(QuoteError) as raised:
        price_roster(snap, "999999", [make_id(1)], [Month(2025, 1).index()], [Month(2025, 1).index()], [Decimal(1)])
    assert raised.value.field == "region"


def test_duplicates_keep_the_first_and_name_its_row(snap: Snapshot) -> None:
    jan, mar, jun, dec = (Month(2025, m).index() for m in (1, 3, 6, 12))
    ids = [make_id(1), make_id(1), make_id(1), make_id(2)]
    result = price_roster(
        snap, "360100", ids, [jan, mar, jun, jan], [mar, jun, dec, dec], [Decimal(1)] * 4, [5, 6, 7, 8]
    )
    assert result.accepted.tolist() == [True, False, True, True]  # row 7 (Jun-Dec) does not overlap row 5 (Jan-Mar)
    assert "第5行" in result.errors[1][1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows, st.lists(st.sampled_from(["甲网点", "乙网点", "丙网点"]), min_size=60, max_size=60))
def test_month_totals_are_the_engines_months_and_add_up_to_the_outlet_totals(
    snap: Snapshot, roster: list[tuple[int, int, int, Decimal]], names: list[str]
) -> None:
    """按月汇总 (issue 23): an outlet's month is its couriers' one-month quotes; its months sum to its total."""
    ids = [make_id(i) for i, _, _, _ in roster]
    starts = [s for _, s, _, _ in roster]
    ends = [s + length for _, s, length, _ in roster]
    factors = [f for _, _, _, f in roster]
    outlets = names[: len(roster)]
    result = price_roster(snap, "360100", ids, starts, ends, factors)
    per_outlet, overall = month_totals(outlets, starts, ends, result)
    expected: dict[tuple[str, int], int] = {}
    for i in np.flatnonzero(result.accepted):
        for index in range(starts[i], ends[i] + 1):
            key = (outlets[i], index)
            expected[key] = expected.get(key, 0) + fen(_single(snap, index, index, factors[i]))
    assert {(t.outlet, t.month.index()): t.amount_fen for t in per_outlet} == expected
    totals, grand = outlet_totals(outlets, ids, result)
    for total in totals:
        assert sum(t.amount_fen for t in per_outlet if t.outlet == total.outlet) == total.amount_fen
        assert sum(t.couriers for t in per_outlet if t.outlet == total.outlet) == total.courier_months
    assert sum(t.amount_fen for t in overall) == grand.amount_fen
    for month in overall:
        assert month.amount_fen == sum(t.amount_fen for t in per_outlet if t.month == month.month)
