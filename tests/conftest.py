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


# Test data, not shipped: 四川's 2025 average wage as province_wages.csv gives it (川人社办发〔2025〕39号),
# so that 成都's base (80% of the provincial average) can be priced before issue 10 ships 510000/avg_wage.yaml.
SICHUAN_AVG_WAGE_FIXTURE = """\
values:
  "2025-01":
    contribution_year: 2025
    avg_wage_monthly: "7646"
    base_floor_monthly: "4588"
    base_ceiling_monthly: "22938"
    reference:
      title: 测试用数据（取自 shared/reference/provinces/province_wages.csv 四川2025行）
      doc_no: 川人社办发〔2025〕39号
      source: tests/conftest.py
    trust: medium
    note: 测试用数据，非本服务发布的参数
"""


@pytest.fixture
def sichuan_app(tmp_path: Path) -> Iterator[Flask]:
    """The bundled tree plus 四川's 2025 average wage as test data (for 成都's medical base)."""
    root = tmp_path / "rates"
    shutil.copytree(BUNDLED, root)
    (root / "510000").mkdir(exist_ok=True)
    (root / "510000" / "avg_wage.yaml").write_text(SICHUAN_AVG_WAGE_FIXTURE, encoding="utf-8")
    database = f"sqlite:///{tmp_path / 'sichuan.sqlite3'}"
    yield create_app({"TESTING": True, "DATABASE_URL": database, "RATES_DIR": str(root)})


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}"})


@pytest.fixture
def small_app(tmp_path: Path) -> Iterator[Flask]:
    yield create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'small.sqlite3'}",
            "OUTLET_MAX_ROWS": 5,
            "OUTLET_MAX_UPLOAD_BYTES": 200_000,
            "OUTLET_MAX_UNCOMPRESSED_BYTES": 2_000_000,
            "MAX_CONTENT_LENGTH": 400_000,
        }
    )


@pytest.fixture
def medical_app(tmp_path: Path, rates_with_medical: Path) -> Iterator[Flask]:
    yield create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'medical.sqlite3'}",
            "RATES_DIR": str(rates_with_medical),
        }
    )


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
