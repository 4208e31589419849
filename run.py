#!/usr/bin/env python3
"""Set up and run the service with nothing but Python 3.11+ installed.

    python3 run.py serve                # http://127.0.0.1:8000 on the embedded SQLite database
    python3 run.py serve --port 8001    # another port
    python3 run.py test                 # ruff and the whole test suite (extra arguments go to pytest)
    python3 run.py sweep                # the full sweep of the answer space (tests/sweep, SWEEP=full)

The first run creates .venv and installs what the command needs: `serve` the service alone, `test`
the service and its test tools. Later runs reinstall only when pyproject.toml or constraints.txt
changed, or when `test` needs the tools a `serve`-only install lacks.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"
AXE_DIR = ROOT / "tests" / "browser" / "axe"
HOST = "127.0.0.1"
DEFAULT_PORT = 8000
EXTRAS = {"serve": (), "test": ("test",), "sweep": ("test",)}  # what each command installs besides the service


def wanted_digest() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        path = ROOT / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def installed() -> tuple[str, set[str]]:
    """The digest and extras of the last install ("" if none; a stamp of old, without extras, had the tests)."""
    if not STAMP.exists():
        return "", set()
    lines = STAMP.read_text().splitlines() or [""]
    extras = next((line.removeprefix("extras:").split() for line in lines[1:] if line.startswith("extras:")), None)
    return lines[0].strip(), (set(extras) if extras is not None else {"test"})


def install_command(extras: tuple[str, ...]) -> list[str]:
    target = f".[{','.join(extras)}]" if extras else "."
    command = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target]
    if (ROOT / "constraints.txt").exists():
        command += ["-c", "constraints.txt"]
    return command


def ensure_environment(extras: tuple[str, ...]) -> None:
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = wanted_digest()
    digest, have = installed()
    if digest == wanted and set(extras) <= have:
        return
    print("Installing dependencies into .venv ...", flush=True)
    subprocess.run(install_command(extras), cwd=ROOT, check=True)
    STAMP.write_text(f"{wanted}\nextras: {' '.join(extras)}\n")


def ensure_axe() -> None:
    """axe-core for the accessibility tests, from npm at the version locked in tests/browser/axe (issue 23).

    Without npm the tests say what is missing (skipped on a developer's machine, failed in CI)."""
    if (AXE_DIR / "node_modules" / "axe-core" / "axe.min.js").exists() or not shutil.which("npm"):
        return
    print("Installing axe-core (npm) into tests/browser/axe ...", flush=True)
    command = ["npm", "ci", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(command, cwd=ROOT, check=False)


def parse_port(args: list[str]) -> tuple[int, str | None]:
    """The port `serve` was asked for, or a message (Chinese and English) saying what is wrong."""
    port_text = None
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--port" and rest:
            port_text = rest.pop(0)
        elif arg.startswith("--port="):
            port_text = arg.split("=", 1)[1]
        else:
            return 0, (
                f"不认识的参数“{arg}”。用法：python3 run.py serve [--port 端口]\n"
                f"Unknown argument {arg!r}. Usage: python3 run.py serve [--port PORT]"
            )
    if port_text is None:
        return DEFAULT_PORT, None
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        return 0, (
            f"端口须为1至65535之间的整数，收到“{port_text}”。\n"
            f"The port must be a whole number from 1 to 65535, got {port_text!r}."
        )
    return int(port_text), None


def port_problem(host: str, port: int) -> str | None:
    """Why the service cannot listen on the port (in Chinese and English), or None when it can."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if os.name != "nt":  # as the server will: a port left in TIME_WAIT by a stopped server is free
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            other = f"python3 run.py serve --port {port + 1 if port < 65535 else 8001}"
            if error.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)):
                return (
                    f"端口 {port} 已被占用（可能服务已在运行），本次未启动。"
                    f"请关闭占用它的程序，或换一个端口：{other}\n"
                    f"Port {port} on {host} is already in use (is the service running already?); nothing was "
                    f"started. Stop the program using it, or choose another port: {other}"
                )
            return (
                f"无法使用端口 {port}（{error.strerror or error}），本次未启动。请换一个端口：{other}\n"
                f"Cannot listen on port {port} on {host} ({error.strerror or error}); nothing was started. "
                f"Choose another port: {other}"
            )
    return None


def serve(args: list[str]) -> int:
    port, problem = parse_port(args)
    problem = problem or port_problem(HOST, port)  # before a long first install, and again just before
    if problem is None:
        ensure_environment(EXTRAS["serve"])
        problem = port_problem(HOST, port)
    if problem is not None:
        print(problem, file=sys.stderr, flush=True)
        return 1 if port else 2
    url = f"http://{HOST}:{port}"
    print(f"服务地址 {url}（按 Ctrl+C 停止） / Serving on {url} (Ctrl+C to stop)", flush=True)
    command = [str(PYTHON), "-m", "waitress", f"--host={HOST}", f"--port={port}", "--threads=8", "wsgi:app"]
    try:
        return subprocess.call(command, cwd=ROOT)
    except KeyboardInterrupt:
        return 130  # stopped by the user: no traceback


def sweep(args: list[str]) -> int:
    """The whole answer space (issue 19): its own CI step, which prints its size (points checked) and time."""
    ensure_environment(EXTRAS["sweep"])
    environment = dict(os.environ, SWEEP="full")
    command = [str(PYTHON), "-m", "pytest", "tests/sweep", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.call(command, cwd=ROOT, env=environment)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("serve", "test", "sweep"):
        print(__doc__)
        return 2
    if argv[0] == "serve":
        return serve(argv[1:])
    if argv[0] == "sweep":
        return sweep(argv[1:])
    ensure_environment(EXTRAS["test"])
    ensure_axe()
    lint = subprocess.call([str(PYTHON), "-m", "ruff", "check", "."], cwd=ROOT)
    tests = subprocess.call([str(PYTHON), "-m", "pytest", *argv[1:]], cwd=ROOT)
    return tests or lint


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
