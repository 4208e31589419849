"""run.py: the port option, a busy port said in words (no traceback), and what each command installs."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_port_option(run: ModuleType) -> None:
    assert run.parse_port([]) == (8000, None)
    assert run.parse_port(["--port", "8123"]) == (8123, None)
    assert run.parse_port(["--port=9000"]) == (9000, None)
    for bad in (["--port", "80x"], ["--port=0"], ["--port", "70000"]):
        port, message = run.parse_port(bad)
        assert port == 0 and "端口须为1至65535之间的整数" in message and "The port must be" in message
    port, message = run.parse_port(["--host", "0.0.0.0"])
    assert port == 0 and "不认识的参数" in message and "Usage: python3 run.py serve [--port PORT]" in message


def test_a_busy_port_is_said_in_chinese_and_english(run: ModuleType, busy_port: int) -> None:
    message = run.port_problem("127.0.0.1", busy_port)
    assert message is not None
    assert f"端口 {busy_port} 已被占用" in message and f"Port {busy_port} on 127.0.0.1 is already in use" in message
    assert f"--port {busy_port + 1}" in message


def test_a_free_port_has_no_problem(run: ModuleType) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert run.port_problem("127.0.0.1", free) is None


def test_serve_on_a_busy_port_stops_before_installing_or_starting(
    run: ModuleType, busy_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("nothing may be installed or started on a busy port")

    monkeypatch.setattr(run, "ensure_environment", refuse)
    monkeypatch.setattr(subprocess, "call", refuse)
    assert run.main(["serve", "--port", str(busy_port)]) == 1
    err = capsys.readouterr().err
    assert "已被占用" in err and "already in use" in err and "Traceback" not in err
    assert run.main(["serve", "--port", "eighty"]) == 2


def test_serve_installs_the_service_and_test_its_tools(
    run: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = tmp_path / "python"
    python.write_text("")
    monkeypatch.setattr(run, "PYTHON", python)
    monkeypatch.setattr(run, "STAMP", tmp_path / ".installed")
    installs: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: installs.append(command))

    run.ensure_environment(run.EXTRAS["serve"])
    assert installs[-1][installs[-1].index("-e") + 1] == "."  # the service alone
    run.ensure_environment(run.EXTRAS["serve"])
    assert len(installs) == 1  # nothing changed: nothing installed
    run.ensure_environment(run.EXTRAS["test"])
    assert len(installs) == 2 and installs[-1][installs[-1].index("-e") + 1] == ".[test]"
    run.ensure_environment(run.EXTRAS["serve"])
    assert len(installs) == 2  # the test tools' install serves too
    run.ensure_environment(run.EXTRAS["test"])
    assert len(installs) == 2


def test_serve_starts_waitress_on_the_port_asked_for(
    run: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(run, "ensure_environment", lambda extras: None)
    monkeypatch.setattr(run, "port_problem", lambda host, port: None)
    monkeypatch.setattr(subprocess, "call", lambda command, **kwargs: started.append(command) or 0)
    assert run.main(["serve", "--port", "8123"]) == 0
    assert "--port=8123" in started[0] and "--host=127.0.0.1" in started[0]
    assert "http://127.0.0.1:8123" in capsys.readouterr().out


def test_a_stamp_of_old_counts_as_the_test_tools_installed(
    run: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = tmp_path / "python"
    python.write_text("")
    monkeypatch.setattr(run, "PYTHON", python)
    monkeypatch.setattr(run, "STAMP", tmp_path / ".installed")
    (tmp_path / ".installed").write_text(run.wanted_digest())  # written before serve and test differed
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: pytest.fail(f"reinstalled: {command}"))
    run.ensure_environment(run.EXTRAS["test"])
    run.ensure_environment(run.EXTRAS["serve"])


def test_sweep_runs_the_full_sweep_with_the_test_tools(run: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python3 run.py sweep` (issue 19): tests/sweep with SWEEP=full, after installing the test tools."""
    wanted: list[tuple[str, ...]] = []
    calls: list[tuple[list[str], dict[str, Any]]] = []
    monkeypatch.setattr(run, "ensure_environment", lambda extras: wanted.append(extras))
    monkeypatch.setattr(subprocess, "call", lambda command, **kwargs: calls.append((command, kwargs)) or 0)
    assert run.main(["sweep", "-x"]) == 0
    assert wanted == [("test",)]
    ((command, kwargs),) = calls
    assert command[1:4] == ["-m", "pytest", "tests/sweep"] and command[-1] == "-x"
    assert kwargs["env"]["SWEEP"] == "full"
