"""Load benchmark: the answers people ask for, under gunicorn on loopback, next to a trivial endpoint.

    .venv/bin/python bench/load.py [--seconds 20] [--rounds 3] [--levels 1,8,32] [--workers 2] [--check [N]]
        [--write-docs]

Needs wrk (Debian package `wrk`) and gunicorn (`.venv/bin/pip install -e ".[production]"`, Linux).
Starts gunicorn on 127.0.0.1 with a fresh SQLite database (the bundled parameters) and reads from the
running service what to ask: for every region of /api/v1/regions and tiered scheme, and each calendar
year 2024 to 2028, whether /api/v1/tiers answers and which of its tiers it prices (a row with a null
`yearly` is not answerable that year). A percentage tier is asked with `base_ratio`, 一档/二档 with
`medical_tier`, the bounds of a declared base (下限/上限) with `base`, a fixed monthly amount with no
figure. Then for each concurrency level it runs wrk against

  - GET /healthz: the floor, the same app doing no work (middleware, security headers and all);
  - POST /api/v1/calculate, the varied mix (the default question mix): region and scheme x choice x
    first month (2025-01 to 2025-12) x length (1 to 31 months), drawn at random per request. A pair is
    asked only when 2025 has a choice; a span offers only the choices answerable in every year it
    touches, and a span whose last year has none is cut back to December of the last year that has
    (a 2026 notice that published only the 60% and 300% ends leaves the tiers in between unpriced):
    some 380,000 different bodies, every one answered with 200, far more than the answer cache keeps;
  - GET /api/v1/tiers, region and scheme x month (2024-01 to 2026-12), only the years it answers;
  - GET / with a result (the 测算 page most people see: the priced months and the tier table),
    the same mix and rule with questions of up to a year (the form's default question is a calendar
    year), the choice sent as the form's fields;
  - and, on a second server with both caches off (CALC_CACHE_SIZE=0, TIERS_CACHE_SIZE=0), the varied
    calculations again: every one parsed, priced and encoded.

After each server's mix it reads every gunicorn worker's resident memory (VmRSS of /proc/<pid>/status):
what a worker holds once its caches are as full as the mix makes them (issue 20: at most 150 MiB).

The Lua scripts draw with the rule of `draw()`, their Python mirror: `--check` first asks an in-process
app (Flask's test client) N questions of the calculate mix (3000), N/10 pages and N/3 tier tables so
drawn, and stops unless every one is answered with 200.

At each level it runs ``--rounds`` rounds, each the floor and then every endpoint right after it, and prints
requests per second (the mean of the rounds), p50 (their median) and p99 latency (their worst), errors
(non-2xx answers and socket errors, all rounds), and each throughput as a ratio to the floor: the rounds'
throughputs summed over the sums of the floors measured just before them, with each round's own ratio beside it.
On a shared machine whose speed drifts by tens of percent within a minute, one floor measured before three
endpoints (a minute of runs) compared them with a machine that was no longer there. Only loopback addresses
are used; every run is bounded. A benchmark, not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docs import ROOT, measured, write_section

PORT = 18765
HEADING = "## Load: every answer against the framework's floor (issues 6 and 14)"
TIERED = ("flexible_pension", "flexible_medical")
STARTS = [f"2025-{m:02d}" for m in range(1, 13)]
LENGTHS = 31
PAGE_LENGTHS = 12  # the form asks for a calendar year by default: pages of up to a year
FIRST_YEAR = 2025  # every question of the calculate and page mixes starts in it
LAST_YEAR = (FIRST_YEAR * 12 + 11 + LENGTHS - 1) // 12  # the last year a question can reach (2025-12 + 30 months)
TIER_YEARS = (2024, 2025, 2026)
YEARS = sorted({*TIER_YEARS, *range(FIRST_YEAR, LAST_YEAR + 1)})

# A choice of figure, as the tiers endpoint lists it: ("base_ratio", "0.6") for a percentage tier,
# ("medical_tier", 1) for 一档/二档, ("base", "6727.00") for the published bounds of a declared base
# (下限/上限, 深圳 medical 2026), None for a fixed monthly amount (the question carries no figure).
Choice = tuple[str, str | int] | None
Fetch = Callable[[str], tuple[int, Any]]  # path -> (HTTP status, JSON answer)
Draw = tuple["Pair", str, str, Choice]  # pair, first month, last month, choice


@dataclass(frozen=True)
class Pair:
    """A region and tiered scheme, with the choices the service answers in each calendar year.

    ``years[y]`` is None when the tiers endpoint refuses the pair for that year (not configured, no
    tiers to compare), else the choices whose yearly price it gives (a null ``yearly`` is a tier the
    data does not price in that year: a 2026 notice that published only the 60% and 300% ends).
    """

    region: str
    scheme: str
    years: dict[int, list[Choice] | None]

    def through(self, year: int) -> list[Choice]:
        """The choices answerable in every year from FIRST_YEAR to ``year``: those a span ending in ``year`` may ask."""
        kept = self.years[FIRST_YEAR] or []
        for later in range(FIRST_YEAR + 1, year + 1):
            offered = self.years[later] or []
            kept = [c for c in kept if c in offered]
        return kept


def choice_of(row: dict[str, Any]) -> Choice:
    """The figure a question names to ask for one row of the tiers answer."""
    if row["percent"].endswith("%"):
        return ("base_ratio", row["ratio"])
    if row["percent"] in ("一档", "二档"):
        return ("medical_tier", int(row["ratio"]))
    if row["percent"] in ("下限", "上限"):
        return ("base", row["base"])
    if row["percent"] == "固定金额":
        return None
    raise SystemExit(f"unknown tier {row['percent']!r}: teach bench/load.py how to ask for it")


def over_http(path: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def question_pairs(fetch: Fetch = over_http) -> list[Pair]:
    """Every region of the service and tiered scheme, with what /api/v1/tiers says it answers each year."""
    pairs = []
    for region in fetch("/api/v1/regions")[1]:
        for scheme in TIERED:
            years: dict[int, list[Choice] | None] = {}
            for year in YEARS:
                status, answer = fetch(f"/api/v1/tiers?region={region['code']}&scheme={scheme}&month={year}-06")
                years[year] = (
                    [choice_of(row) for row in answer["tiers"] if row["yearly"] is not None] if status == 200 else None
                )
            pairs.append(Pair(region["code"], scheme, years))
    return pairs


def asked(pairs: list[Pair]) -> list[Pair]:
    """The pairs the calculate and page mixes ask about: those with a choice answered in FIRST_YEAR."""
    return [p for p in pairs if p.years[FIRST_YEAR]]


def last_month(pair: Pair, first: str, extra: int) -> tuple[str, int]:
    """The span's last month, cut back to the end of the last year that still has choices (Lua does the same)."""
    index = int(first[:4]) * 12 + int(first[5:]) - 1 + extra
    year, last = index // 12, f"{index // 12:04d}-{index % 12 + 1:02d}"
    while not pair.through(year):
        year -= 1
        last = f"{year:04d}-12"
    return last, year


def draw(rng: random.Random, pairs: list[Pair], lengths: int) -> Draw:
    """One question of the calculate (or, with lengths of a year, the page) mix: the Lua scripts' rule in Python."""
    pair, first = rng.choice(pairs), rng.choice(STARTS)
    last, year = last_month(pair, first, rng.randint(0, lengths - 1))
    return pair, first, last, rng.choice(pair.through(year))


def json_member(choice: Choice) -> str:
    return "" if choice is None else f",{json.dumps(choice[0])}:{json.dumps(choice[1])}"


def query_member(choice: Choice) -> str:
    """The form's fields for a choice: a base is typed with 按缴费基数, everything else goes with 按档次."""
    if choice is None:
        return "&basis=ratio"
    return f"&basis={'base' if choice[0] == 'base' else 'ratio'}&{choice[0]}={choice[1]}"


def body(question: Draw) -> str:
    pair, first, last, choice = question
    head = f'{{"region":"{pair.region}","scheme":"{pair.scheme}","start":"{first}","end":"{last}"'
    return head + json_member(choice) + "}"


def page_path(question: Draw) -> str:
    pair, first, last, choice = question
    return f"/?region={pair.region}&scheme={pair.scheme}&start={first}&end={last}" + query_member(choice)


def tier_questions(pairs: list[Pair]) -> list[tuple[str, str, int]]:
    """(region, scheme, year) of the tiers mix: only the years the endpoint answers with 200."""
    return [(p.region, p.scheme, y) for p in pairs for y in TIER_YEARS if p.years[y] is not None]


def distinct_bodies(pairs: list[Pair]) -> int:
    """How many different bodies the calculate mix can send (cut spans make some lengths ask the same)."""
    seen = set()
    for pair in pairs:
        for first in STARTS:
            for extra in range(LENGTHS):
                last, year = last_month(pair, first, extra)
                seen.update((pair.region, pair.scheme, first, last, c) for c in pair.through(year))
    return len(seen)


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
    return "{" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "}"


def lua_pairs(pairs: list[Pair], member: Callable[[Choice], str]) -> str:
    """Per pair: region, scheme, then the choices of a span ending in each year from FIRST_YEAR, as text to append."""
    rows = []
    for p in pairs:
        through = ", ".join(lua_list([member(c) for c in p.through(y)]) for y in range(FIRST_YEAR, LAST_YEAR + 1))
        rows.append(f"{{{json.dumps(p.region)}, {json.dumps(p.scheme)}, {through}}}")
    return "{\n" + ",\n".join(rows) + "\n}"


# Lua: the span's last month, cut back to December of the last year that still has choices; then a
# choice answered in every year the span touches (Pair.through, precomputed). last_month() in Python.
LUA_SPAN = f"""
local function question(pairs_, lengths)
  local pair = pick(pairs_)
  local first = pick(starts)
  local last = month_after(first, math.random(0, lengths - 1))
  local year = tonumber(string.sub(last, 1, 4))
  while #pair[year - {FIRST_YEAR} + 3] == 0 do
    year = year - 1
    last = string.format("%04d-12", year)
  end
  return pair, first, last, pick(pair[year - {FIRST_YEAR} + 3])
end
"""


def scripts(pairs: list[Pair]) -> dict[str, str]:
    common = LUA_COMMON + f"local starts = {lua_list(STARTS)}\n" + LUA_SPAN
    asking = asked(pairs)
    calculate = (
        common
        + f"""
local pairs_ = {lua_pairs(asking, json_member)}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local pair, first, last, choice = question(pairs_, {LENGTHS})
  local body = string.format('{{"region":"%s","scheme":"%s","start":"%s","end":"%s"%s}}',
    pair[1], pair[2], first, last, choice)
  return wrk.format(nil, "/api/v1/calculate", nil, body)
end
"""
    )
    tiers = (
        LUA_COMMON
        + f"""
local asks = {{{", ".join(f'{{"{r}", "{s}", {y}}}' for r, s, y in tier_questions(pairs))}}}
request = function()
  local ask = pick(asks)
  return wrk.format("GET", string.format("/api/v1/tiers?region=%s&scheme=%s&month=%04d-%02d",
    ask[1], ask[2], ask[3], math.random(1, 12)))
end
"""
    )
    page = (
        common
        + f"""
local pairs_ = {lua_pairs(asking, query_member)}
request = function()
  local pair, first, last, choice = question(pairs_, {PAGE_LENGTHS})
  return wrk.format("GET", string.format("/?region=%s&scheme=%s&start=%s&end=%s%s",
    pair[1], pair[2], first, last, choice))
end
"""
    )
    return {"calculate": calculate, "tiers": tiers, "page": page}


def check(count: int) -> None:
    """Ask an in-process app (Flask's test client) ``count`` questions of each mix, drawn by the Python mirror
    of the Lua rule, and stop if any is not answered with 200: the mix must ask only what the service answers."""
    sys.path.insert(0, str(ROOT))
    from service import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'check.sqlite3'}"})
        try:
            client = app.test_client()

            def fetch(path: str) -> tuple[int, Any]:
                answer = client.get(path)
                return answer.status_code, answer.get_json(silent=True)

            pairs = question_pairs(fetch)
            rng = random.Random(14)
            asking, tiers = asked(pairs), tier_questions(pairs)
            wrong: list[str] = []
            for _ in range(count):
                question = body(draw(rng, asking, LENGTHS))
                answer = client.post("/api/v1/calculate", data=question, content_type="application/json")
                if answer.status_code != 200:
                    wrong.append(f"POST /api/v1/calculate {question}: {answer.status_code}")
            for _ in range(count // 10):  # pages cost ten times a calculation
                path = page_path(draw(rng, asking, PAGE_LENGTHS))
                if (status := client.get(path).status_code) != 200:
                    wrong.append(f"GET {path}: {status}")
            for _ in range(count // 3):
                region, scheme, year = rng.choice(tiers)
                path = f"/api/v1/tiers?region={region}&scheme={scheme}&month={year:04d}-{rng.randint(1, 12):02d}"
                if (status := client.get(path).status_code) != 200:
                    wrong.append(f"GET {path}: {status}")
        finally:
            app.extensions["outlet_jobs"].stop(graceful=False)
    asked_count = f"{count} calculations, {count // 10} pages, {count // 3} tier tables"
    print(f"checked in-process: {asked_count}; {len(wrong)} not 200")
    if wrong:
        raise SystemExit("\n".join(wrong[:20]))


# The tiers mix asks some 1,800 tables, a space a server that has run for minutes holds whole in its tier cache
# (TIERS_CACHE_SIZE, 40 MiB); 5 s of warm-up left a tenth of them to be priced in the measured rows, and their
# p99 measured that (issue 20: 4.4 x p50 at one connection, 2.1 x once warm). The answers mix (some 400,000
# bodies) is not warmed: no cache can hold it, and the rows measure it so.
WARM_TIERS = 20


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


Result = dict[str, float]  # one wrk run: rps, p50, p99 (ms), errors
# caches, connections, endpoint, and each round's (endpoint's run, the floor run measured just before it)
Rows = list[tuple[str, int, str, list[tuple[Result, Result]]]]


def combined(rounds: list[tuple[Result, Result]]) -> tuple[Result, float, list[float]]:
    """A row over its rounds: the mean throughput, the median p50 and the worst p99, every error; its ratio to the
    floor as the sum of its rounds' throughputs over the sum of their floors' (each round paired with the floor
    measured just before it, so that the machine's speed drifting between rounds moves both alike); and each
    round's own ratio, to show the spread."""
    runs = [run for run, _ in rounds]
    p50s = sorted(run["p50"] for run in runs)
    result = {
        "rps": sum(run["rps"] for run in runs) / len(runs),
        "p50": p50s[len(p50s) // 2],
        "p99": max(run["p99"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
    }
    ratio = sum(run["rps"] for run in runs) / sum(floor["rps"] for _, floor in rounds)
    return result, ratio, [run["rps"] / floor["rps"] for run, floor in rounds]


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


def worker_memory(server: subprocess.Popen[bytes]) -> list[float]:
    """The resident memory (MiB) of each gunicorn worker of ``server`` (its child processes), from /proc."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue  # a process that ended meanwhile
        if fields.get("PPid", "").strip() == str(server.pid) and "VmRSS" in fields:
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024)  # kB
    return sorted(sizes)


Memory = dict[str, list[float]]


def run(args: argparse.Namespace) -> tuple[Rows, int, dict[str, dict[str, float]], Memory]:
    levels = [int(x) for x in args.levels.split(",")]
    rows: Rows = []
    distinct = 0
    collected = {}
    memory: Memory = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, env_extra in (("on", {}), ("off", {"CALC_CACHE_SIZE": "0", "TIERS_CACHE_SIZE": "0"})):
            probe = Path(tmp) / f"gc-{label}"
            probe.mkdir()
            server = start_server(args.workers, env_extra, Path(tmp) / f"{label}.sqlite3", probe)
            try:
                pairs = question_pairs()
                distinct = distinct_bodies(asked(pairs))
                lua = scripts(pairs)
                cases = [("POST /api/v1/calculate, varied mix", "/api/v1/calculate", lua["calculate"])]
                if label == "on":
                    cases += [
                        ("GET /api/v1/tiers, varied", "/api/v1/tiers", lua["tiers"]),
                        ("GET / (测算 page with a result), varied", "/", lua["page"]),
                    ]
                for _, path, script in cases:  # warm up: templates compiled, snapshot read, tiers priced once
                    wrk(WARM_TIERS if path == "/api/v1/tiers" else min(5, args.seconds), 8, path, script)
                for level in levels:
                    measured: dict[str, list[tuple[Result, Result]]] = {}
                    for _ in range(args.rounds):  # each round: the floor, then every endpoint right after it
                        floor = wrk(args.seconds, level, "/healthz", None)
                        measured.setdefault("GET /healthz (floor)", []).append((floor, floor))
                        for name, path, script in cases:
                            measured.setdefault(name, []).append((wrk(args.seconds, level, path, script), floor))
                    rows += [(label, level, name, rounds) for name, rounds in measured.items()]
                memory[label] = worker_memory(server)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
            collected[label] = collections(probe)
    return rows, distinct, collected, memory


def memory_table(memory: Memory) -> str:
    lines = ["| caches | each worker's resident memory after the mix (MiB) |", "|---|---|"]
    for label, sizes in memory.items():
        lines.append(f"| {label} | {', '.join(f'{size:.0f}' for size in sizes) or '(not read: no /proc)'} |")
    return "\n".join(lines)


def gc_table(collected: dict[str, dict[str, float]]) -> str:
    lines = [
        "| caches | full collections | longest full (CPU ms) | young collections | longest young (CPU ms) "
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
        "| caches | connections | endpoint | req/s | ratio to floor | each round | p50 ms | p99 ms | p99 / p50 "
        "| errors |",
        "|---|---:|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for label, level, name, rounds in rows:
        result, ratio, each = combined(rounds)
        lines.append(
            f"| {label} | {level} | {name} | {result['rps']:.0f} | {ratio:.2f} | {' '.join(f'{r:.2f}' for r in each)} "
            f"| {result['p50']:.2f} | {result['p99']:.2f} | {result['p99'] / result['p50']:.1f} | "
            f"{result['errors']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="wrk run per row and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the floor and every row at each level")
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write-docs", action="store_true", help="write the section into docs/benchmarks.md")
    parser.add_argument(
        "--check",
        type=int,
        nargs="?",
        const=3000,
        default=0,
        metavar="N",
        help="first ask an in-process app N questions of each mix (3000) and stop unless all answer 200",
    )
    args = parser.parse_args()
    if args.check:
        check(args.check)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    rows, distinct, collected, memory = run(args)
    text, pauses, held = table(rows), gc_table(collected), memory_table(memory)
    print(f"varied mix: {distinct:,} different bodies", text, pauses, held, sep="\n\n")
    if args.write_docs:
        command = " ".join([".venv/bin/python bench/load.py", *sys.argv[1:]])
        write_section(HEADING, section(command, args, distinct, text, pauses, held))


def section(command: str, args: argparse.Namespace, distinct: int, text: str, pauses: str, held: str) -> str:
    return f"""
{measured(command)}: gunicorn with {args.workers} sync workers and wrk (Debian's package) share the
machine's cores, all on 127.0.0.1, with a fresh SQLite database; wrk runs {args.seconds} s per row in each of
{args.rounds} rounds (the floor, then every row) after a warm-up of each endpoint at 8 connections: 5 s, and
{WARM_TIERS} s for the tiers mix, whose 1,800 or so tables a server that has run for minutes holds whole in
its tier cache (with 5 s, a tenth of them were still priced in the measured rows: their p99 measured the
warm-up). The floor is `GET /healthz` of the same app (a constant JSON answer through the same middleware and
security headers), measured at the start of each round. A row's ratio is its rounds' throughputs summed over
the sums of their rounds' floors; "each round" shows every round's own ratio. The machine is shared with other
work and its speed drifts, by tens of percent within a minute at times: compare ratios within one run, and read
the spread of the rounds.

- **varied mix** (the default): region and tiered scheme, as the running service lists them
  (`/api/v1/regions`, and each scheme whose `/api/v1/tiers` answers there in 2025) x choice x first
  month (2025-01 to 2025-12) x length (1 to 31 months), drawn per request. The choices are what
  `/api/v1/tiers` prices in each calendar year (`base_ratio` for a percentage tier, `medical_tier` for
  一档/二档, no figure for a fixed monthly amount); a span offers only those priced in every year it
  touches, and one whose last year has none ends in December of the last year that has some (2026
  notices in several provinces published only the 60% and 300% ends). So every request is a question
  the service answers with 200: {distinct:,} different bodies, and the per-process answer cache
  (`CALC_CACHE_SIZE`, 256) rarely holds the question asked;
- **tiers**: region and scheme x month (2024-01 to 2026-12), only the years the endpoint answers;
- **测算 page**: `GET /?region=...&start=...&end=...&basis=ratio&base_ratio=...` (or `medical_tier=`),
  the same mix and rule with lengths of 1 to 12 months (the form's default question is a calendar
  year): the priced months, the tier table with its chart, the sources;
- **caches off**: a second server with `CALC_CACHE_SIZE=0` and `TIERS_CACHE_SIZE=0`, every calculation
  priced afresh.

{text}

Garbage collections in the workers over the whole run (all levels; `bench/gc_probe.py` times each
collection from gunicorn's `post_worker_init`, in CPU time of the worker, so that other processes on the
machine do not count): the full ones stop a request for as long as they walk every object alive,
which is what a p99 sees.

{pauses}

Each gunicorn worker's resident memory once its server's mix is over (VmRSS):

{held}

Targets (issue 20): calculate ≥ 0.5 of the floor, tiers ≥ 0.6, the 测算 page ≥ 0.25, p99 within 3 x p50
at 1, 8 and 32 connections, zero errors, each worker at most 150 MiB after the mix.
"""


if __name__ == "__main__":
    main()
