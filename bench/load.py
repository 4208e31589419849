"""Load benchmark: the calculate endpoint under gunicorn on loopback, next to a trivial endpoint.

    .venv/bin/python bench/load.py [--seconds 60] [--levels 1,8,32] [--workers 2]

Needs wrk (Debian package `wrk`) and gunicorn (`.venv/bin/pip install -e ".[production]"`, Linux).
Starts gunicorn on 127.0.0.1 with a fresh SQLite database, then for each concurrency level runs wrk against
  - GET /healthz (the floor: the same app, no work),
  - POST /api/v1/calculate, one 12-month body (answered from the result cache after the first),
  - POST /api/v1/calculate, bodies varied per request by a Lua script (region, tier, months),
  - the same varied bodies with the result cache off (CALC_CACHE_SIZE=0),
and prints requests per second, p50/p99 latency, errors, and each throughput as a ratio to the
floor measured in the same run. Only loopback addresses are ever used; every run is bounded.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = 18765
FIXED = '{"region":"360100","scheme":"flexible_pension","start":"2025-01","end":"2025-12","base_ratio":"0.7"}'
VARIED_LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local regions = {"360100", "530100", "360000", "530000"}
request = function()
  local region = regions[math.random(#regions)]
  local ratio = string.format("%.1f", 0.6 + 0.1 * math.random(0, 24))
  local first = math.random(1, 12)
  local body = string.format(
    '{"region":"%s","scheme":"flexible_pension","start":"2025-%02d","end":"2025-12","base_ratio":"%s"}',
    region, first, ratio)
  return wrk.format(nil, "/api/v1/calculate", nil, body)
end
"""
FIXED_LUA = f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{FIXED}'
"""


def start_server(workers: int, env_extra: dict[str, str], db: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", **env_extra}
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    server = subprocess.Popen(
        [gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{PORT}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
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
        [*command, f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True, timeout=seconds + 30
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    levels = [int(x) for x in args.levels.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, env_extra in (("cache on", {}), ("cache off", {"CALC_CACHE_SIZE": "0"})):
            server = start_server(args.workers, env_extra, Path(tmp) / f"{label}.sqlite3")
            try:
                for level in levels:
                    floor = wrk(args.seconds, level, "/healthz", None)
                    cases = [("varied bodies", VARIED_LUA)]
                    if label == "cache on":
                        cases.insert(0, ("one body", FIXED_LUA))
                    rows.append((label, level, "GET /healthz (floor)", floor, floor))
                    for name, script in cases:
                        result = wrk(args.seconds, level, "/api/v1/calculate", script)
                        rows.append((label, level, f"POST /api/v1/calculate, {name}", result, floor))
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
    cores, memory = os.cpu_count(), os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(
        f"Date {date.today()}, {platform.machine()}, {cores} cores, {memory:.0f} GiB, Python "
        f"{platform.python_version()}, gunicorn -w {args.workers} (sync), wrk {args.seconds}s per row"
    )
    print()
    print("| result cache | connections | endpoint | req/s | ratio to floor | p50 ms | p99 ms | errors |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for label, level, name, result, floor in rows:
        print(
            f"| {label} | {level} | {name} | {result['rps']:.0f} | {result['rps'] / floor['rps']:.2f} | "
            f"{result['p50']:.2f} | {result['p99']:.2f} | {result['errors']} |"
        )


if __name__ == "__main__":
    main()
