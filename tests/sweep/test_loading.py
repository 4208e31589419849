"""The calculation request's compiled load (``service.api.loading``) gives what marshmallow's own ``Schema.load``
gives: the same ``QuoteRequest`` for every question of the sweep, and the same refusal, message for message, for
each of them spoiled one field at a time (a wrong value, a missing field, an unknown one, two bases, a body that
is not an object)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError

from rates.store import Snapshot
from service.api.loading import compile_load
from service.api.schemas import CalculateRequestSchema
from tests.sweep import space
from tests.sweep.probe import TALLY

SPOILED: tuple[object, ...] = (
    None,
    "",
    " ",
    "abc",
    -1,
    0,
    True,
    Decimal("1.5"),
    Decimal("0.60001"),
    "2025-13",
    "1899-12",
    "0.6",
    " 0.6 ",
    "1e3",
    "NaN",
    "99999999999",
    "000000000000000",
    3,
    100001,
    {"a": 1},
    [1],
)


def _loaded(load: Any, body: object) -> object:
    try:
        return ("loaded", load(body))
    except ValidationError as refused:
        return ("refused", refused.messages, refused.valid_data)


def _bodies(snap: Snapshot) -> list[object]:
    asked = [p.ask().body() for p in space.sample(space.groups(list(space.calc_points(snap))), 400, salt="load")]
    bodies: list[object] = list(asked)
    first = asked[0]
    for name in CalculateRequestSchema().load_fields:
        bodies += [{**first, name: value} for value in SPOILED]
        bodies.append({k: v for k, v in first.items() if k != name})
    bodies += [{**first, "unknown": 1}, {**first, "base": "5000", "base_ratio": "0.6"}, [], "x", None, 1, {}]
    return bodies


def test_the_compiled_load_gives_what_marshmallow_gives(snap: Snapshot) -> None:
    schema = CalculateRequestSchema()
    fell_back: list[object] = []

    def plain(data: object) -> object:
        fell_back.append(data)
        return Schema.load(schema, data)

    compiled = compile_load(schema, plain)
    assert compiled is not plain  # the schema is one the loader compiles
    bodies = _bodies(snap)
    differing = []
    for body in bodies:
        fell_back.clear()
        fast, slow = _loaded(compiled, body), _loaded(lambda data: Schema.load(schema, data), body)
        if fast != slow:
            differing.append(f"{body!r}: {fast!r} != {slow!r}")
        if fast[0] == "loaded":
            assert not fell_back, f"{body!r} loaded through marshmallow's load, not the compiled one"
    assert not differing, "\n".join(differing[:20])
    assert sum(_loaded(compiled, body)[0] == "refused" for body in bodies) > 150  # the refusals are compared too
    TALLY.add("compiled loads", len(bodies))


def test_the_schema_loads_through_the_compiled_load_only_when_called_plainly() -> None:
    schema = CalculateRequestSchema()
    body = {"region": "110000", "scheme": "flexible_pension", "start": "2025-01", "end": "2025-03"}
    assert schema.load(body) == Schema.load(schema, body)
    assert "_compiled_load" in schema.__dict__
    # an option of the call's own is marshmallow's: the compiled load refuses an unknown field
    extra = {**body, "note": "x"}
    assert schema.load(extra, unknown=EXCLUDE) == Schema.load(schema, extra, unknown=EXCLUDE)
    assert _loaded(schema.load, extra) == _loaded(lambda data: Schema.load(schema, data), extra)
    assert _loaded(schema.load, extra)[0] == "refused"
