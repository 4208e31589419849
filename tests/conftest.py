"""Shared fixtures: ``app``, ``client`` and ``runner`` as in Flask's tutorial."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from rates.loader import BUNDLED
from service import create_app

FIXTURES = Path(__file__).parent / "fixtures"

# Test-only medical figures: no sourced figure exists for 南昌市 or 昆明市, so the bundled files
# ship flexible_medical as not configured and the tests bring their own.
MEDICAL_FIXTURE = """\
values:
  "2025-01":
    rate: "0.08"
    personal_account_rate: "0.02"
    base_ratio_floor: "0.6"
    base_ratio_ceiling: "3"
    fixed_monthly: "8.50"
    reference:
      title: 测试用参数（非真实数据）
      source: tests/conftest.py
    trust: low
    note: fixture for tests only
"""


@pytest.fixture
def rates_with_medical(tmp_path: Path) -> Path:
    """The bundled tree plus a test-only flexible_medical version for 南昌市 and 昆明市."""
    root = tmp_path / "rates"
    shutil.copytree(BUNDLED, root)
    for city in ("360100", "530100"):
        (root / city).mkdir(exist_ok=True)
        (root / city / "flexible_medical.yaml").write_text(MEDICAL_FIXTURE, encoding="utf-8")
    return root


def stop_jobs(app: Flask) -> None:
    """Stop the job consumer a test's app may have started in its process (issue 12)."""
    app.extensions["outlet_jobs"].stop(graceful=False)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}"})
    yield app
    stop_jobs(app)


@pytest.fixture
def small_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'small.sqlite3'}",
            "OUTLET_MAX_ROWS": 5,
            "OUTLET_MAX_UPLOAD_BYTES": 200_000,
            "OUTLET_MAX_UNCOMPRESSED_BYTES": 2_000_000,
            "MAX_CONTENT_LENGTH": 400_000,
        }
    )
    yield app
    stop_jobs(app)


@pytest.fixture
def medical_app(tmp_path: Path, rates_with_medical: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'medical.sqlite3'}",
            "RATES_DIR": str(rates_with_medical),
        }
    )
    yield app
    stop_jobs(app)


@pytest.fixture
def sichuan_app(app: Flask) -> Flask:
    """成都's medical base is 80% of 四川's average wage, which the bundled tree holds since issue 10."""
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend the store supports (see tests/databases.py)."""
    from tests.databases import database_url

    with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An empty PostgreSQL schema (skips without TEST_POSTGRES_URL, fails in CI)."""
    from tests.databases import postgres_schema

    with postgres_schema() as url:
        yield url
