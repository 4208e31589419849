"""The answer's dump and the request's load, in-process: marshmallow's own ``Schema.dump`` and ``Schema.load``
against the compiled ones (``service.answer.dumping``, ``service.api.loading``).

    .venv/bin/python bench/dump.py [--count 3000] [--write-docs]

Issue 20 keeps the compiled dump and load only if a measurement shows they are needed. The questions are the
load benchmark's varied calculation mix (``bench/load.py``), asked of an in-process app on a fresh SQLite
database; each row is CPU time per answer of one step: the request's load from its JSON body (both ways:
``tests/sweep/test_loading.py`` holds them equal), then those of ``service.answer.answers.quote_json``: pricing,
the answer's data, its dump (both ways: ``tests/test_answers.py`` holds them equal) and its encoding.
A benchmark, not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load

from docs import ROOT, measured, write_section

HEADING = "## The answer's dump and the request's load: marshmallow against the compiled ones (issue 20)"


def per_call(function: Callable[[Any], Any], items: list[Any]) -> float:
    """µs of CPU per call, the best of three passes."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for item in items:
            function(item)
        best = min(best, (time.process_time() - start) / len(items) * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from marshmallow import Schema

    from calc.quote import price
    from service import create_app
    from service.answer import answers
    from service.answer.present import quote_data
    from service.api import schemas
    from service.api.base import load_json

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'dump.sqlite3'}"})
        try:
            client = app.test_client()

            def fetch(path: str) -> tuple[int, Any]:
                answer = client.get(path)
                return answer.status_code, answer.get_json(silent=True)

            asking, rng = load.asked(load.question_pairs(fetch)), random.Random(20)
            schema = schemas.CalculateRequestSchema()
            bodies = [load.body(load.draw(rng, asking, load.LENGTHS)).encode() for _ in range(args.count)]
            requests = [schema.load(json.loads(body)) for body in bodies]
            snap = app.extensions["rates"].snapshot()
            quotes = [price(snap, r) for r in requests]
            data = [quote_data(snap, q) for q in quotes]
            compiled = answers._DUMP_QUOTE
            rows = [
                ("the request's JSON body decoded (base.load_json)", per_call(load_json, bodies)),
                (
                    "marshmallow: CalculateRequestSchema's load",
                    per_call(lambda b: Schema.load(schema, load_json(b)), bodies),
                ),
                ("compiled: the same schema's load", per_call(lambda b: schema.load(load_json(b)), bodies)),
                ("price (the engine)", per_call(lambda r: price(snap, r), requests)),
                ("the answer's data (present.quote_data)", per_call(lambda q: quote_data(snap, q), quotes)),
                ("marshmallow: QuoteSchema().dump", per_call(schemas.QuoteSchema().dump, data)),
                (
                    "compiled: head dump + months once per set of values",
                    per_call(
                        lambda q: {
                            **compiled(quote_data(snap, q, months=False)),
                            "months": answers.dumped_months(q.lines),
                        },
                        quotes,
                    ),
                ),
                (
                    "encoding the answer (json.dumps, keys sorted)",
                    per_call(answers.encode, [schemas.QuoteSchema().dump(d) for d in data]),
                ),
                ("the whole of quote_json", per_call(lambda r: answers.quote_json(snap, r), requests)),
            ]
        finally:
            app.extensions["outlet_jobs"].stop(graceful=False)
    months = sum(len(q.lines) for q in quotes) / len(quotes)
    lines = ["| step | µs per answer |", "|---|---:|", *(f"| {name} | {value:.0f} |" for name, value in rows)]
    text = "\n".join(lines)
    print(f"{args.count} varied answers, {months:.1f} months each on average", text, sep="\n\n")
    if args.write_docs:
        command = " ".join([".venv/bin/python bench/dump.py", *sys.argv[1:]])
        write_section(
            HEADING,
            f"""
{measured(command)}: {args.count} answers of the load benchmark's varied mix ({months:.1f} months each on
average), CPU time per answer, the best of three passes. Both load rows include decoding the body (the
first row); the "compiled" dump row includes building the answer's data without its months, which the
marshmallow row is given ready.

{text}

Reading: marshmallow's dump is the largest step of an answer no cache holds; the compiled one gives the
same dict (`tests/test_answers.py` compares them on 900 varied answers) in a fraction of the time, so it
stays, in `service/answer/dumping.py`, used only by `service/answer/answers.py`. The request's load is the
largest step a calculation adds to the framework's own work besides its answer: compiled
(`service/api/loading.py`: each field's own `deserialize` and the schema's own hooks, every refusal loaded
again by marshmallow), it gives the same request (`tests/sweep/test_loading.py`, on the sweep's questions
and on each spoiled one field at a time) in about three fifths of the time.
""",
        )


if __name__ == "__main__":
    main()
