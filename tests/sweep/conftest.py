"""The sweep's apps and the answers shared by its test modules (asked once per run).

Two apps on the bundled parameters: one as deployed (every cache on) and one with every cache off
(``CALC_CACHE_SIZE=0``, ``TIERS_CACHE_SIZE=0``: the two caches of ``service.answer.answers``). ``SWEEP=full`` walks the
whole
answer space; otherwise a seeded sample of it runs with the ordinary tests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from rates.store import Snapshot
from service import create_app
from tests.sweep import probe, space

COLD = {"CALC_CACHE_SIZE": 0, "TIERS_CACHE_SIZE": 0}
SAMPLE_GROUPS = 400  # range questions in the ordinary run (the full sweep asks all of them)


def _app(folder: Path, name: str, **config: object) -> Flask:
    return create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / name}", **config})


@pytest.fixture(scope="session")
def sweep_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sweep")


@pytest.fixture(scope="session")
def sweep_app(sweep_folder: Path) -> Iterator[Flask]:
    app = _app(sweep_folder, "sweep.sqlite3")
    yield app
    app.extensions["outlet_jobs"].stop(graceful=False)


@pytest.fixture(scope="session")
def cold_app(sweep_app: Flask, sweep_folder: Path) -> Iterator[Flask]:
    # the same database: the very same versions (ids, recording times) answer, only the caches differ
    app = _app(sweep_folder, "sweep.sqlite3", **COLD)
    yield app
    app.extensions["outlet_jobs"].stop(graceful=False)


@pytest.fixture(scope="session")
def snap(sweep_app: Flask) -> Snapshot:
    snapshot: Snapshot = sweep_app.extensions["rates"].snapshot()
    return snapshot


@pytest.fixture(scope="session")
def client(sweep_app: Flask) -> FlaskClient:
    return sweep_app.test_client()


@pytest.fixture(scope="session")
def calc(sweep_app: Flask, snap: Snapshot) -> probe.Results:
    """Every region x scheme x month x variant (a sample unless SWEEP=full), asked through the JSON API."""
    groups = space.groups(list(space.calc_points(snap)))
    chosen = space.sample(groups, SAMPLE_GROUPS, "calc")
    return probe.sweep_calc(sweep_app.test_client(), chosen, verify_share=0.25 if space.FULL else 1.0)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tally = probe.TALLY
    if not tally.points:
        return
    seconds = time.perf_counter() - tally.started
    parts = ", ".join(f"{name} {count}" for name, count in sorted(tally.parts.items()))
    mode = "full" if space.FULL else "sample"
    terminalreporter.write_line(
        f"sweep ({mode}): {tally.points} points checked ({parts}); {tally.calls} requests; {seconds:.1f} s"
    )
