"""schemathesis against the app's own OpenAPI document: no 5xx, every answer as documented."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service import create_app

_db = Path(tempfile.mkdtemp(prefix="schemathesis-")) / "api.sqlite3"
app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{_db}"})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case) -> None:
    # Every check but "schema-valid data is accepted": what is valid also depends on the figures
    # of a region and month (not configured, a ratio below that year's floor), which no schema says;
    # those refusals are documented 4xx answers and are checked for shape like every other answer.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
