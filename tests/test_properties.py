"""Properties of the engine and the API, checked on generated inputs (hypothesis)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from calc.quote import QuoteError, QuoteRequest, price
from rates.loader import BUNDLED, load_tree
from rates.months import Month
from rates.store import ParameterStore, Snapshot
from service import create_app
from tests.conftest import MEDICAL_FIXTURE

REGIONS = ["360000", "360100", "530000", "530100"]
months = st.builds(Month, st.integers(2022, 2027), st.integers(1, 12))
ratios = st.decimals(min_value=Decimal("0.6"), max_value=Decimal("3"), places=4)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    root = tmp_path_factory.mktemp("rates") / "tree"
    shutil.copytree(BUNDLED, root)
    for city in ("360100", "530100"):
        (root / city).mkdir(exist_ok=True)
        (root / city / "flexible_medical.yaml").write_text(MEDICAL_FIXTURE, encoding="utf-8")
    store = ParameterStore(create_engine("sqlite://"))
    store.create_schema()
    store.load(*load_tree(root))
    return store.snapshot()


def priced(snapshot: Snapshot, request: QuoteRequest):  # type: ignore[no-untyped-def]
    try:
        return price(snapshot, request)
    except QuoteError as error:
        assert error.code == "not_configured"  # the only refusal a valid request can get
        return None


@settings(max_examples=150, deadline=None)
@given(
    region=st.sampled_from(REGIONS),
    scheme=st.sampled_from(["flexible_pension", "flexible_medical"]),
    start=months,
    length=st.integers(1, 30),
    ratio=ratios,
)
def test_total_is_the_sum_of_months_and_parts_add_up(
    snapshot: Snapshot, region: str, scheme: str, start: Month, length: int, ratio: Decimal
) -> None:
    quote = priced(snapshot, QuoteRequest(region, scheme, start, start + (length - 1), base_ratio=ratio))
    if quote is None:
        return
    assert quote.total == sum(line.amount for line in quote.lines)
    for line in quote.lines:
        assert (
            line.parts["personal_account"] + line.parts["pooled_fund"] + line.parts.get("fixed_addon", Decimal(0))
            == line.amount
        )
        assert line.amount == line.amount.quantize(Decimal("0.01"))
    for name, total in quote.breakdown.items():
        assert total == sum(line.parts[name] for line in quote.lines)


@settings(max_examples=150, deadline=None)
@given(region=st.sampled_from(REGIONS), month=months, low=ratios, high=ratios)
def test_amount_rises_with_the_ratio_and_base_stays_within_bounds(
    snapshot: Snapshot, region: str, month: Month, low: Decimal, high: Decimal
) -> None:
    low, high = sorted((low, high))
    results = [
        priced(snapshot, QuoteRequest(region, "flexible_pension", month, month, base_ratio=r))
        for r in (Decimal("0.6"), low, high, Decimal("3"))
    ]
    if results[0] is None:
        return
    floor, at_low, at_high, ceiling = (q.lines[0] for q in results)  # type: ignore[union-attr]
    assert floor.base <= at_low.base <= at_high.base <= ceiling.base  # type: ignore[operator]
    assert floor.amount <= at_low.amount <= at_high.amount <= ceiling.amount


@settings(max_examples=100, deadline=None)
@given(
    month=months,
    headcount=st.integers(1, 500),
    factor=st.decimals(min_value=Decimal("0.5"), max_value=Decimal("1.5"), places=2),
)
def test_outlet_premium_is_headcount_times_one_courier(
    snapshot: Snapshot, month: Month, headcount: int, factor: Decimal
) -> None:
    one = priced(snapshot, QuoteRequest("360100", "outlet_injury", month, month, factor=factor))
    if one is None:
        return
    many = price(snapshot, QuoteRequest("360100", "outlet_injury", month, month, headcount=headcount, factor=factor))
    assert many.total == one.total * headcount
    assert many.lines[0].parts["courier"] == 0


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    path = tmp_path_factory.mktemp("db") / "fuzz.sqlite3"
    yield create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
field_values = st.one_of(
    json_values,
    st.sampled_from(
        [
            "360100",
            "530100",
            "999999",
            "flexible_pension",
            "outlet_injury",
            "resident_medical",
            "flexible_medical",
            "2025-01",
            "2026-12",
            "1900-01",
            "9999-12",
            "0.6",
            "3",
            "1e9",
            "-1",
            "NaN",
            "Infinity",
            "1e-7",
            "０.６",
        ]
    ),
)
bodies = st.one_of(
    st.dictionaries(
        st.sampled_from(["region", "scheme", "start", "end", "base_ratio", "base", "headcount", "factor", "x"]),
        field_values,
        max_size=8,
    ),
    json_values,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_random_json_bodies_never_give_a_server_error(api_app: Flask, body: object) -> None:
    response = api_app.test_client().post("/api/v1/calculate", data=json.dumps(body), content_type="application/json")
    assert response.status_code < 500, (body, response.get_data(as_text=True))
    payload = response.get_json()
    if response.status_code >= 400:
        assert set(payload) == {"error"} and payload["error"]["message"]
    else:
        assert Decimal(payload["total"]) == sum(Decimal(m["amount"]) for m in payload["months"])
