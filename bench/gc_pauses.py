"""Garbage-collection pauses of one worker serving the varied calculation mix, in-process.

    .venv/bin/python bench/gc_pauses.py [--requests 8000] [--write-docs]

Runs the app twice in fresh processes, each answering the same varied calculations (region x tier x
first month x length, cache on) through Flask's test client, and times every collection:

- as ``wsgi.py`` starts it: the app built, then ``gc.freeze()``;
- without the freeze (the app's own objects stay in the collector's generations).

A full collection stops the request in progress for as long as it walks every tracked object: that
is what a p99 latency sees. In-process and in CPU time, so the figures hold on a busy machine where
wrk's p99 does not (other processes' pauses land in every row, the floor's too).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docs import ROOT, measured, write_section

HEADING = "## Garbage-collection pauses while serving (issue 14)"
WORKER = r"""
import gc, json, os, random, sys, time
freeze, count = sys.argv[1] == "freeze", int(sys.argv[2])
sys.path.insert(0, "bench")
import load  # the load benchmark's varied mix: only questions the service answers
from service import create_app
app = create_app()
if freeze:
    gc.freeze()
client = app.test_client()
def fetch(path):
    answer = client.get(path)
    return answer.status_code, answer.get_json(silent=True)
asking = load.asked(load.question_pairs(fetch))
rng = random.Random(14)
pauses = {0: [], 1: [], 2: []}
started = [0.0]
def timed(phase, info):
    if phase == "start":
        started[0] = time.thread_time()
    else:
        pauses[info["generation"]].append((time.thread_time() - started[0]) * 1000)
gc.callbacks.append(timed)
for _ in range(count):
    body = load.body(load.draw(rng, asking, load.LENGTHS))
    assert client.post("/api/v1/calculate", data=body, content_type="application/json").status_code == 200, body
gc.callbacks.remove(timed)
print(json.dumps({"pauses": pauses, "tracked": len(gc.get_objects()), "frozen": gc.get_freeze_count()}))
"""


def run(mode: str, count: int, database: Path) -> dict[str, object]:
    env = {"DATABASE_URL": f"sqlite:///{database}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, mode, str(count)], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=8000)
    parser.add_argument("--write-docs", action="store_true", help="write the section into docs/benchmarks.md")
    args = parser.parse_args()
    lines = [
        "| app objects | full collections | longest full (CPU ms) | young collections | longest young (CPU ms) "
        "| tracked at the end | frozen |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for mode, label in (("freeze", "frozen after start (wsgi.py)"), ("plain", "not frozen")):
            result = run(mode, args.requests, Path(tmp) / "gc.sqlite3")
            pauses = {int(k): v for k, v in result["pauses"].items()}  # type: ignore[attr-defined]
            young = pauses[0] + pauses[1]
            lines.append(
                f"| {label} | {len(pauses[2])} | {max(pauses[2], default=0):.1f} | {len(young)} "
                f"| {max(young, default=0):.1f} | {result['tracked']:,} | {result['frozen']:,} |"
            )
    text = "\n".join(lines)
    print(text)
    if args.write_docs:
        command = " ".join([".venv/bin/python bench/gc_pauses.py", *sys.argv[1:]])
        write_section(HEADING, section(command, args.requests, text))


def section(command: str, count: int, text: str) -> str:
    return f"""
{measured(command)}: one process answering {count:,} varied calculations (the load benchmark's mix,
answer cache on) through Flask's test client, every collection timed in CPU time of the thread.

{text}

Reading: a full collection walks every tracked object that is not frozen. Frozen once the app is
built, the collector is left with what serving adds (the parameter snapshot, the caches' keys), and
the answers are kept as bytes, which it does not track at all; unfrozen, every full collection also
walks the app, its schemas, templates and modules (about 80,000 objects) — the long pauses issue 14
saw in the p99 (100-140 ms with the answers kept as object graphs).
"""


if __name__ == "__main__":
    main()
