"""Load benchmark: the answers people ask for, under gunicorn on loopback, next to a trivial endpoint.

    .venv/bin/python bench/load.py [--seconds 20] [--levels 1,8,32] [--workers 2] [--write-docs]

Needs wrk (Debian package `wrk`) and gunicorn (`.venv/bin/pip install -e ".[production]"`, Linux).
Starts gunicorn on 127.0.0.1 with a fresh SQLite database (the bundled parameters), reads from the
running service what to ask (the regions of /api/v1/regions, and for each the tiered schemes whose
/api/v1/tiers answers, with their tiers), then for each concurrency level runs wrk against

  - GET /healthz: the floor, the same app doing no work (middleware, security headers and all);
  - POST /api/v1/calculate, the varied mix (the default question mix): region and scheme x tier x
    first month (2025-01 to 2025-12) x length (1 to 31 months), drawn at random per request: about
    37,000 different bodies with today's four regions, far more than the answer cache keeps;
  - GET /api/v1/tiers, region and scheme x month (2024-01 to 2026-12);
  - GET / with a result (the 测算 page most people see: the priced months and the tier table),
    the same mix with questions of up to a year (the form's default question is a calendar year);
  - and, on a second server with the answer cache off (CALC_CACHE_SIZE=0), the varied calculations
    again: every one parsed, priced and encoded.

It prints requests per second, p50 and p99 latency, errors (non-2xx answers and socket errors), and
each throughput as a ratio to the floor measured just before it at the same level. Only loopback
addresses are used; every run is bounded. A benchmark, not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docs import ROOT, measured, write_section

PORT = 18765
HEADING = "## Load: every answer against the framework's floor (issues 6 and 14)"
TIERED = ("flexible_pension", "flexible_medical")
STARTS = [f"2025-{m:02d}" for m in range(1, 13)]
LENGTHS = 31
PAGE_LENGTHS = 12  # the form asks for a calendar year by default: pages of up to a year
TIER_MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)]

# Lua: every wrk thread seeds its own generator (otherwise both threads draw the same sequence).
LUA_COMMON = r"""
local counter = 1
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  math.randomseed(os.time() * 100 + (id or 0))
end
local function pick(list) return list[math.random(#list)] end
local function month_after(first, extra)
  local year, month = string.match(first, "(%d+)-(%d+)")
  local index = tonumber(year) * 12 + tonumber(month) - 1 + extra
  return string.format("%04d-%02d", math.floor(index / 12), index % 12 + 1)
end
"""


def lua_list(values: list[str]) -> str:
    return "{" + ", ".join(json.dumps(v) for v in values) + "}"


def lua_pairs(pairs: list[tuple[str, str, list[str]]]) -> str:
    return "{" + ", ".join(f"{{{json.dumps(r)}, {json.dumps(s)}, {lua_list(t)}}}" for r, s, t in pairs) + "}"


def scripts(pairs: list[tuple[str, str, list[str]]]) -> dict[str, str]:
    common = LUA_COMMON + f"local pairs_ = {lua_pairs(pairs)}\nlocal starts = {lua_list(STARTS)}\n"
    calculate = common + f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local pair = pick(pairs_)
  local first = pick(starts)
  local body = string.format(
    '{{"region":"%s","scheme":"%s","start":"%s","end":"%s","base_ratio":"%s"}}',
    pair[1], pair[2], first, month_after(first, math.random(0, {LENGTHS - 1})), pick(pair[3]))
  return wrk.format(nil, "/api/v1/calculate", nil, body)
end
"""
    tiers = common + f"""
local months = {lua_list(TIER_MONTHS)}
request = function()
  local pair = pick(pairs_)
  return wrk.format("GET", string.format("/api/v1/tiers?region=%s&scheme=%s&month=%s", pair[1], pair[2], pick(months)))
end
"""
    page = common + f"""
request = function()
  local pair = pick(pairs_)
  local first = pick(starts)
  return wrk.format("GET", string.format("/?region=%s&scheme=%s&start=%s&end=%s&basis=ratio&base_ratio=%s",
    pair[1], pair[2], first, month_after(first, math.random(0, {PAGE_LENGTHS - 1})), pick(pair[3])))
end
"""
    return {"calculate": calculate, "tiers": tiers, "page": page}


def get_json(path: str) -> object:
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=10) as answer:
        return json.loads(answer.read())


def question_pairs() -> list[tuple[str, str, list[str]]]:
    """(region, scheme, tiers) for every region of the running service and every tiered scheme it prices there."""
    pairs = []
    for region in get_json("/api/v1/regions"):  # type: ignore[union-attr]
        for scheme in TIERED:
            try:
                answer = get_json(f"/api/v1/tiers?region={region['code']}&scheme={scheme}&month=2025-06")
            except urllib.error.HTTPError:
                continue  # not configured there: not asked
            pairs.append((region["code"], scheme, [t["ratio"] for t in answer["tiers"]]))  # type: ignore[index]
    return pairs


def start_server(workers: int, env_extra: dict[str, str], db: Path, probe: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "GC_PROBE_DIR": str(probe), **env_extra}
    env.pop("SHEBAO_ENV", None)
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    config = ["-c", str(ROOT / "bench" / "gc_probe.py")]  # each worker times its garbage collections
    server = subprocess.Popen(
        [gunicorn, *config, "-w", str(workers), "-b", f"127.0.0.1:{PORT}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def wrk(seconds: int, connections: int, path: str, script: str | None) -> dict[str, float]:
    command = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        if script:
            lua.write(script)
    if script:
        command += ["-s", lua.name]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True, timeout=seconds + 60
    ).stdout
    os.unlink(lua.name)

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            return float("nan")
        return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    return {"rps": rps, "p50": latency("50"), "p99": latency("99"), "errors": errors}


Rows = list[tuple[str, int, str, dict[str, float], dict[str, float]]]


def collections(probe: Path) -> dict[str, float]:
    """The workers' garbage collections over the whole run (see bench/gc_probe.py)."""
    reports = [json.loads(path.read_text()) for path in probe.glob("*.json")]
    return {
        "full": sum(r["count"][2] for r in reports),
        "full_longest": max((r["longest_ms"][2] for r in reports), default=0.0),
        "young": sum(r["count"][0] + r["count"][1] for r in reports),
        "young_longest": max((max(r["longest_ms"][:2]) for r in reports), default=0.0),
        "tracked": max((r["tracked_objects"] for r in reports), default=0),
        "frozen": max((r["frozen_objects"] for r in reports), default=0),
    }


def run(args: argparse.Namespace) -> tuple[Rows, int, dict[str, dict[str, float]]]:
    levels = [int(x) for x in args.levels.split(",")]
    rows: Rows = []
    distinct = 0
    collected = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, env_extra in (("on", {}), ("off", {"CALC_CACHE_SIZE": "0"})):
            probe = Path(tmp) / f"gc-{label}"
            probe.mkdir()
            server = start_server(args.workers, env_extra, Path(tmp) / f"{label}.sqlite3", probe)
            try:
                pairs = question_pairs()
                distinct = sum(len(t) for _, _, t in pairs) * len(STARTS) * LENGTHS
                lua = scripts(pairs)
                cases = [("POST /api/v1/calculate, varied mix", "/api/v1/calculate", lua["calculate"])]
                if label == "on":
                    cases += [
                        ("GET /api/v1/tiers, varied", "/api/v1/tiers", lua["tiers"]),
                        ("GET / (测算 page with a result), varied", "/", lua["page"]),
                    ]
                for _, path, script in cases:  # warm up: templates compiled, snapshot read, tiers priced once
                    wrk(min(5, args.seconds), 8, path, script)
                for level in levels:
                    floor = wrk(args.seconds, level, "/healthz", None)
                    rows.append((label, level, "GET /healthz (floor)", floor, floor))
                    for name, path, script in cases:
                        rows.append((label, level, name, wrk(args.seconds, level, path, script), floor))
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
            collected[label] = collections(probe)
    return rows, distinct, collected


def gc_table(collected: dict[str, dict[str, float]]) -> str:
    lines = [
        "| answer cache | full collections | longest full (CPU ms) | young collections | longest young (CPU ms) "
        "| objects tracked at exit | frozen at start |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, c in collected.items():
        lines.append(
            f"| {label} | {c['full']:.0f} | {c['full_longest']:.1f} | {c['young']:.0f} | {c['young_longest']:.1f} "
            f"| {c['tracked']:,.0f} | {c['frozen']:,.0f} |"
        )
    return "\n".join(lines)


def table(rows: Rows) -> str:
    lines = [
        "| answer cache | connections | endpoint | req/s | ratio to floor | p50 ms | p99 ms | p99 / p50 | errors |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, level, name, result, floor in rows:
        lines.append(
            f"| {label} | {level} | {name} | {result['rps']:.0f} | {result['rps'] / floor['rps']:.2f} | "
            f"{result['p50']:.2f} | {result['p99']:.2f} | {result['p99'] / result['p50']:.1f} | "
            f"{result['errors']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="wrk run per row")
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write-docs", action="store_true", help="write the section into docs/benchmarks.md")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    rows, distinct, collected = run(args)
    text, pauses = table(rows), gc_table(collected)
    print(text, pauses, sep="\n\n")
    if args.write_docs:
        command = " ".join([".venv/bin/python bench/load.py", *sys.argv[1:]])
        write_section(HEADING, section(command, args, distinct, text, pauses))


def section(command: str, args: argparse.Namespace, distinct: int, text: str, pauses: str) -> str:
    return f"""
{measured(command)}: gunicorn with {args.workers} sync workers and wrk (Debian's package) share the
machine's cores, all on 127.0.0.1, with a fresh SQLite database; wrk runs {args.seconds} s per row
after a short warm-up of each endpoint. The floor is `GET /healthz` of the same app (a constant JSON
answer through the same middleware and security headers), measured just before the rows it is
compared with. The machine is shared with other work, so rows vary by some percent between runs:
compare ratios within one run.

- **varied mix** (the default): region and tiered scheme, as the running service lists them
  (`/api/v1/regions`, and each scheme whose `/api/v1/tiers` answers there) x tier x first month
  (2025-01 to 2025-12) x length (1 to 31 months), drawn per request: {distinct:,} different bodies,
  so the per-process answer cache (4,096) rarely holds the question asked;
- **tiers**: region and scheme x month (2024-01 to 2026-12);
- **测算 page**: `GET /?region=...&start=...&end=...&base_ratio=...`, the same mix with lengths of 1
  to 12 months (the form's default question is a calendar year): the priced months, the tier table
  with its chart, the sources;
- **answer cache off**: a second server with `CALC_CACHE_SIZE=0`, every calculation priced afresh.

{text}

Garbage collections in the workers over the whole run (all levels; `bench/gc_probe.py` times each
collection from gunicorn's `post_worker_init`, in CPU time of the worker, so that other processes on the
machine do not count): the full ones stop a request for as long as they walk every object alive,
which is what a p99 sees.

{pauses}

Targets (issue 14): tiers ≥ 0.6 of the floor, the 测算 page ≥ 0.25, uncached calculations (cache off)
≥ 0.6, p99 within 3 x p50 at every level with the cache on, zero errors.
"""


if __name__ == "__main__":
    main()
