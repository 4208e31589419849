"""The one answer path gives the schemas' answers, and the two caches never serve a stale or a wrong one."""

from __future__ import annotations

import dataclasses
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from calc.quote import SCHEMES, QuoteError, QuoteRequest
from rates.model import Reference
from rates.months import Month
from rates.publish import parse_proposal, publish
from rates.store import Snapshot
from service import create_app
from service.answer import answers
from service.answer.dumping import compile_dump
from service.answer.present import quote_answer
from service.api import schemas
from service.api.contract import CONTENT_CODES
from tests.test_publish import WAGE_2026


@pytest.fixture
def medical_app(tmp_path: Path, rates_with_medical: Path) -> Flask:
    """Every scheme configured somewhere (the medical figures are the tests' own), so every line kind is dumped."""
    return create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}", "RATES_DIR": str(rates_with_medical)}
    )


def _varied(regions: list[str], count: int, seed: int = 14) -> list[QuoteRequest]:
    """Regions x schemes x start months x lengths x tiers or bases, headcounts and factors."""
    rng = random.Random(seed)
    requests = []
    for _ in range(count):
        scheme = rng.choice(list(SCHEMES))
        start = Month(rng.randint(2023, 2027), rng.randint(1, 12))
        figures: dict[str, Any] = {}
        if scheme == "flexible_medical" and rng.random() < 0.15:
            figures["medical_tier"] = rng.choice([1, 2])  # the yearly tiers of 重庆 (refused elsewhere)
        elif scheme in ("flexible_pension", "flexible_medical"):
            if rng.random() < 0.8:
                figures["base_ratio"] = Decimal(rng.randint(5, 31)) / 10  # 50% and 310% are refused
            else:
                figures["base"] = Decimal(rng.randint(3000, 25000))
        elif scheme == "outlet_injury":
            factor = rng.choice([Decimal(1), Decimal("1.2"), Decimal("0.5")])
            figures = {"headcount": rng.randint(1, 40), "factor": factor}
        end = start + rng.randint(0, 35)
        requests.append(QuoteRequest(rng.choice(regions), scheme, start, end, **figures))
    return requests


def test_answers_equal_the_schema_dump(medical_app: Flask) -> None:
    snap = medical_app.extensions["rates"].snapshot()
    regions = [code for code in snap.regions if code != "000000"]
    answered = refused = 0
    with medical_app.app_context():
        cite = answers.Caches(0, 10_000).citer(snap)
    for request in _varied(regions, 900):  # 60 regions since issues 10, 11 and 15: more are refused
        try:
            expected = quote_answer(snap, request)  # the schema's own dump, marshmallow field by field
        except QuoteError as error:
            with pytest.raises(QuoteError) as again:
                answers.quote_json(snap, request)
            assert (again.value.field, again.value.message) == (error.field, error.message)
            refused += 1
            continue
        data = answers.quote_json(snap, request)
        assert json.loads(data) == expected, request
        assert data == (medical_app.json.dumps(expected) + "\n").encode()  # byte for byte what the app wrote
        # the versions it cites joined as kept once per snapshot: the same bytes, the first time and after
        assert answers.quote_json(snap, request, cite) == data == answers.quote_json(snap, request, cite)
        answered += 1
    assert answered > 300 and refused > 30  # both kinds were really exercised


def test_the_api_answers_with_the_schema_dump(medical_app: Flask) -> None:
    client = medical_app.test_client()
    snap = medical_app.extensions["rates"].snapshot()
    for request in _varied(["360100", "530100", "360000"], 60, seed=3):
        body = schemas.CalculateRequestSchema().dump(request)
        response = client.post("/api/v1/calculate", json=body)
        try:
            expected = quote_answer(snap, request)
        except QuoteError as error:
            # the engine's refusals of a request that matches the document answer 422 (service/api/contract.py)
            status = 422 if error.status == 400 and error.code in CONTENT_CODES else error.status
            assert response.status_code == status
            assert response.get_json()["error"]["message"] == error.message
            continue
        assert response.status_code == 200 and response.get_json() == expected


def test_tier_answers_equal_the_schema_dump(medical_app: Flask) -> None:
    snap = medical_app.extensions["rates"].snapshot()
    compared = 0
    for region in ("360100", "530100", "360000"):
        for scheme in ("flexible_pension", "flexible_medical"):
            for month in (Month(2024, 12), Month(2025, 6), Month(2026, 9)):
                try:
                    asked = answers.TierRequest(region, scheme, month)
                    expected = schemas.TiersSchema().dump(answers.tiers_answer(snap, asked))
                except QuoteError:
                    continue  # not configured there: the endpoint answers the error
                assert json.loads(answers.tiers_json(snap, asked)) == expected
                compared += 1
    assert compared >= 10


def test_compiled_dump_keeps_the_schemas_rules() -> None:
    """data_key, missing keys, None, nested lists and the custom fields, as Schema.dump does them."""
    version = {"id": 3, "region": "360000", "values": {"a": "1"}, "references": [{"title": "T", "fields_": ["a"]}]}
    for data in (version, {**version, "note": None, "withdrawn": True}, {"id": None, "values": None}):
        assert compile_dump(schemas.VersionSchema())(data) == schemas.VersionSchema().dump(data)
    line = {
        "month": "2025-01",
        "base": Decimal("3915.00"),
        "rate": Decimal("0.20"),
        "amount": Decimal("783.00"),
        "breakdown": {"personal_account": Decimal("313.2")},
        "provisional": False,
        "version": {"avg_wage": 2},
    }
    assert compile_dump(schemas.LineSchema(many=True))([line, line]) == schemas.LineSchema(many=True).dump([line, line])
    with pytest.raises(ValueError, match="fen"):
        compile_dump(schemas.LineSchema())({**line, "amount": Decimal("1.234")})  # Money's guard still holds


# ---------------------------------------------------------------- the request, read without the schema

_text = st.one_of(st.text(max_size=14), st.sampled_from(["360100", "530000", "flexible_pension", "x" * 13]))
_month = st.one_of(
    st.sampled_from(["2025-01", "2025-12", "2026-13", "0000-01", " 2025-03", "2025-3", "2025-03\n"]),
    st.text(max_size=8),
    st.integers(),
)
_figure = st.one_of(
    st.none(),
    st.sampled_from(["0.6", "1", "3", "0.65", "0.12345", "10", "10.0001", "5000", "5000.5", "5000.555", "1e3", " 1"]),
    st.sampled_from(["000000000000.1", "1000000000", "1000000000.01", "٣", "-1", "1.", ".5", "NaN", "Infinity"]),
    st.decimals(allow_nan=False, places=3, min_value=-1, max_value=20).map(str),
    st.integers(min_value=-2, max_value=10**10),
    st.booleans(),
)


def _mostly(valid: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(valid, valid, valid, other)


_body = st.fixed_dictionaries(
    {
        "region": _mostly(st.just("360100"), _text),
        "scheme": _mostly(st.sampled_from(list(SCHEMES)), _text),
        "start": _mostly(st.just("2025-01"), _month),
        "end": _mostly(st.just("2025-06"), _month),
    },
    optional={
        "base_ratio": _mostly(st.sampled_from(["0.6", "1.5", "3"]), _figure),
        "base": _figure,
        "headcount": st.one_of(
            st.integers(min_value=-1, max_value=3), st.sampled_from([100_000, 100_001]), st.booleans(), st.text()
        ),
        "factor": _mostly(st.sampled_from(["1", "1.2"]), _figure),
        "medical_tier": _mostly(st.sampled_from([1, 2, None]), st.one_of(st.integers(-1, 3), st.booleans(), _figure)),
    },
)
# now and then a field missing, or one too many
_body = _body.flatmap(
    lambda body: st.sampled_from([None, None, None, "extra", *body]).map(
        lambda change: {**{k: v for k, v in body.items() if k != change}, **({"extra": 1} if change == "extra" else {})}
    )
)


@settings(max_examples=600, deadline=None)
@given(_body)
def test_the_schema_reads_a_body_into_the_frozen_request_or_refuses_it(body: dict[str, Any]) -> None:
    """The one parser: whatever it takes becomes the frozen request, whose dump reads back as the same key."""
    raw = json.dumps(body).encode()
    schema = schemas.CalculateRequestSchema()
    try:
        loaded = schema.load(json.loads(raw, parse_float=Decimal))
    except ValidationError:
        return
    assert isinstance(loaded, QuoteRequest)
    again = schema.load(json.loads(json.dumps(schema.dump(loaded))))
    assert again == loaded and hash(again) == hash(loaded)


def test_plain_questions_are_read_into_the_frozen_request() -> None:
    schema = schemas.CalculateRequestSchema()
    body = {"region": "360100", "scheme": "flexible_pension", "start": "2025-01", "end": "2025-12", "base_ratio": "0.7"}
    assert schema.load(body) == QuoteRequest(
        "360100", "flexible_pension", Month(2025, 1), Month(2025, 12), base_ratio=Decimal("0.7")
    )
    outlet = {"region": "360100", "scheme": "outlet_injury", "start": "2025-01", "end": "2025-03", "headcount": 12}
    assert schema.load({**outlet, "factor": "1.2"}).factor == Decimal("1.2")
    medical = {
        "region": "500000",
        "scheme": "flexible_medical",
        "start": "2025-01",
        "end": "2025-12",
        "medical_tier": 2,
    }
    assert schema.load(medical) == QuoteRequest(
        "500000", "flexible_medical", Month(2025, 1), Month(2025, 12), medical_tier=2
    )


# ---------------------------------------------------------------- kept answers are never stale


def test_tiers_are_kept_per_snapshot_and_never_stale(app: Flask, client: FlaskClient) -> None:
    url = "/api/v1/tiers?region=360100&month=2026-03"
    first = client.get(url)
    assert first.status_code == 200
    assert first.get_json()["tiers"][0]["base"] == "3915.00" and first.get_json()["tiers"][0]["provisional"] is True
    assert client.get(url).data == first.data
    with app.app_context():
        kept = app.extensions["caches"].kept(app.extensions["rates"].snapshot()).tiers
        assert sorted(type(key).__name__ for key in kept._kept) == ["TierRequest", "TierYear"]  # priced once
    assert client.get(url.replace("2026-03", "2026-04")).status_code == 200
    with app.app_context():  # another month of the year: its own table, cut from the same year's prices
        assert sorted(type(key).__name__ for key in kept._kept) == ["TierRequest", "TierRequest", "TierYear"]
    page = client.get("/?region=360100&scheme=flexible_pension&start=2026-03&end=2026-03&basis=ratio&base_ratio=0.6")
    assert page.status_code == 200 and "3915.00" in page.get_data(as_text=True)

    publish(app.extensions["rates"], [parse_proposal("360000", "avg_wage", WAGE_2026)], "alice")

    after = client.get(url).get_json()
    assert after["tiers"][0]["base"] == "4080.00" and after["tiers"][0]["provisional"] is False  # 60% of 6800
    assert "赣人社字〔2026〕1号" in json.dumps(after["references"], ensure_ascii=False)
    page = client.get("/?region=360100&scheme=flexible_pension&start=2026-03&end=2026-03&basis=ratio&base_ratio=0.6")
    text = page.get_data(as_text=True)
    assert "4080.00" in text and "3915.00" not in text


def test_the_page_shows_the_tiers_the_api_answers(client: FlaskClient) -> None:
    api = client.get("/api/v1/tiers?region=530100&month=2025-06").get_json()
    page = client.get("/?region=530100&scheme=flexible_pension&start=2025-06&end=2025-12&basis=ratio&base_ratio=1")
    text = page.get_data(as_text=True)
    for tier in api["tiers"]:
        assert f'<td class="num">{tier["base"]}</td>' in text and tier["yearly"] in text


def test_a_page_may_change_its_copy_of_a_kept_answer(app: Flask) -> None:
    with app.app_context():
        snap = app.extensions["rates"].snapshot()
        request = QuoteRequest("360100", "flexible_pension", Month(2025, 1), Month(2025, 2), base_ratio=Decimal(1))
        first = answers.caches().answer(snap, request)
        first["months"].clear()
        assert len(answers.caches().answer(snap, request)["months"]) == 2


def test_each_snapshot_object_has_its_own_maps(app: Flask) -> None:
    """Kept answers belong to one snapshot object: a preview (the same revision number) or a publication never
    shares them, and a request still priced on an older snapshot does not take the newer one's place."""
    store = app.extensions["rates"]
    caches = answers.Caches(8, 8)
    snap = store.snapshot()
    held = caches.kept(snap)
    assert caches.kept(store.snapshot()) is held
    preview = snap.with_versions([])
    assert caches.kept(preview) is not held
    newer = caches.kept(preview)
    assert caches.kept(preview) is newer
    publish(store, [parse_proposal("360000", "avg_wage", WAGE_2026)], "alice")
    published = store.snapshot()
    assert published.revision > snap.revision
    fresh = caches.kept(published)
    assert caches.kept(snap) is not fresh and caches.kept(published) is fresh
    request = QuoteRequest("360100", "flexible_pension", Month(2025, 1), Month(2025, 2), base_ratio=Decimal("0.70"))
    same = QuoteRequest("360100", "flexible_pension", Month(2025, 1), Month(2025, 2), base_ratio=Decimal("0.7"))
    assert request == same and hash(request) == hash(same)  # the same question, the same key


def _changed(value: object) -> object:
    """Another value of the same kind (a field of a request changed by one step)."""
    if isinstance(value, bool):
        return not value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # a nested value: its first field changed
        first = dataclasses.fields(value)[0].name
        return dataclasses.replace(value, **{first: _changed(getattr(value, first))})
    if isinstance(value, Month):
        return value + 1
    if isinstance(value, (Decimal, int)):
        return value + 1
    assert isinstance(value, str), f"a field of a new kind: say here how to change it ({value!r})"
    return value + "0"


@pytest.mark.parametrize(
    "request_value",
    [
        QuoteRequest(
            "500000",
            "flexible_medical",
            Month(2025, 1),
            Month(2025, 2),
            base_ratio=Decimal("0.6"),
            base=Decimal("5000"),
            headcount=2,
            factor=Decimal("1.2"),
            medical_tier=1,
        ),
        answers.TierRequest("360100", "flexible_pension", Month(2025, 3)),
        answers.Cited(7, "360000", True, Reference("赣人社字〔2025〕1号")),
    ],
    ids=["QuoteRequest", "TierRequest", "Cited"],
)
def test_changing_any_field_of_a_request_changes_its_key(request_value: Any) -> None:
    """Issue 19, defect 1: a key listed fields by hand and forgot medical_tier. The key is the frozen request
    itself; every field, a new one too (the fields are read from the dataclass), must change it."""
    kept = answers.Caches(8, 8).kept(Snapshot({}, [], 0)).answers
    assert kept.get(request_value, lambda: b"first") == b"first"
    for field in dataclasses.fields(request_value):
        assert getattr(request_value, field.name) is not None, f"give {field.name} a value in this test"
        other = dataclasses.replace(request_value, **{field.name: _changed(getattr(request_value, field.name))})
        assert other != request_value and hash(other) != hash(request_value), field.name
        assert kept.get(other, lambda: b"other") == b"other", field.name  # not the first request's answer
        assert kept.get(request_value, lambda: b"again") == b"first"


def test_one_tier_after_the_other_gets_its_own_amount(client: FlaskClient) -> None:
    """Issue 19, defect 1: 重庆's 一档 asked after 二档 answered 6765.00 (the kept 二档) on the API and the page."""
    ask = {"region": "500000", "scheme": "flexible_medical", "start": "2025-01", "end": "2025-12"}
    for tier, total in ((2, "6765.00"), (1, "3075.00"), (2, "6765.00")):
        answer = client.post("/api/v1/calculate", json={**ask, "medical_tier": tier}).get_json()
        assert (answer["total"], answer["medical_tier"]) == (total, tier)
    query = "/?region=500000&scheme=flexible_medical&start=2025-01&end=2025-12&basis=ratio&medical_tier={}"
    for tier, total in ((2, "6765.00"), (1, "3075.00")):
        page = client.get(query.format(tier)).get_data(as_text=True)
        assert f'data-testid="total"><a href="#sources">{total}</a>' in page


def test_caches_on_and_off_give_the_same_bytes(tmp_path: Path) -> None:
    """Both caches off (CALC_CACHE_SIZE=0, TIERS_CACHE_SIZE=0) on the same database: every answer and page the same."""
    url = f"sqlite:///{tmp_path / 'both.sqlite3'}"
    warm = create_app({"TESTING": True, "DATABASE_URL": url})
    cold = create_app({"TESTING": True, "DATABASE_URL": url, "CALC_CACHE_SIZE": 0, "TIERS_CACHE_SIZE": 0})
    try:
        assert len(cold.extensions["caches"].kept(cold.extensions["rates"].snapshot()).answers) == 0
        body = {"region": "500000", "scheme": "flexible_medical", "start": "2025-01", "end": "2025-12"}
        asked = [
            ("post", "/api/v1/calculate", {**body, "medical_tier": 1}),
            ("post", "/api/v1/calculate", {**body, "medical_tier": 2}),
            ("post", "/api/v1/calculate", {**body, "medical_tier": 1}),
            ("get", "/api/v1/tiers?region=360100&month=2026-03", None),
            (
                "get",
                "/?region=360100&scheme=flexible_pension&start=2026-01&end=2026-12&basis=ratio&base_ratio=0.7",
                None,
            ),
            ("get", "/?region=360100&scheme=flexible_pension&start=2026-01&end=2026-12&basis=ratio&base_ratio=1", None),
            ("get", "/?region=500000&scheme=flexible_medical&start=2025-01&end=2025-12&medical_tier=2", None),
        ]
        for _ in range(2):  # the second round from the warm caches
            for method, address, json_body in asked:
                on = getattr(warm.test_client(), method)(address, json=json_body)
                off = getattr(cold.test_client(), method)(address, json=json_body)
                assert on.status_code == off.status_code == 200 and on.data == off.data, address
    finally:
        for app in (warm, cold):
            app.extensions["outlet_jobs"].stop(graceful=False)


def test_the_tier_map_is_bounded_by_what_its_values_weigh(app: Flask) -> None:
    """Bounded by number, the pages' small parts pushed the tier tables out (issue 20): by weight, they cannot
    push out more than they weigh, and a value heavier than the whole bound is answered but not kept."""
    bounded = answers._Bounded(64 * 1024, answers.weight)
    for i in range(100):
        assert bounded.get(("table", i), lambda: b"x" * 2000) == b"x" * 2000
    assert bounded._kept.currsize <= 64 * 1024 and 20 < len(bounded) < 100  # the oldest went
    for i in range(50):
        bounded.get(("key", i), lambda: b"k" * 32)
    assert sum(1 for key in bounded._kept if key[0] == "table") > 20  # small values push out little
    assert bounded.get("heavy", lambda: b"y" * 100_000) == b"y" * 100_000 and "heavy" not in bounded._kept
    with app.app_context():  # a year's tier prices weigh their parts once, not the snapshot's versions
        snap = app.extensions["rates"].snapshot()
        kept: dict[Any, Any] = {}
        asked = answers.TierRequest("360100", "flexible_pension", Month(2025, 6))
        answers.tiers_json(snap, asked, lambda key, make: kept.setdefault(key, make()))
        (year,) = kept.values()
        assert 2_000 < answers.weight(year) < 60_000
