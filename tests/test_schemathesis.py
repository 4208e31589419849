"""schemathesis against the app's own OpenAPI document, with every check: a drift between the two fails CI.

Every check runs, "schema-valid data is accepted" included. The document describes every rule of a
request's form (patterns, enums, ``base`` or ``base_ratio`` but not both), so a request it calls
valid is never refused with 400. What no schema can say (the figures of a region and month are not
configured, a base outside that year's floor and ceiling, an end before the start) is a documented
422, which that check accepts, like 401/403 (a login) and 404 (an unknown region). Uploading a
roster: the file's content (a real .xlsx workbook) is beyond JSON Schema, so that operation may
also answer its documented 400 (damaged), 413 (too large) and 415 (not a workbook).

Size: a fixed number of examples per operation and a fixed seed, so the run is quick and the same
every time.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis.config import SchemathesisConfig

from service import create_app

_db = Path(tempfile.mkdtemp(prefix="schemathesis-")) / "api.sqlite3"
app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{_db}"})

ACCEPTED = ["2xx", "401", "403", "404", "409", "422"]
FILE_REFUSALS = ["400", "413", "415"]

config = SchemathesisConfig.from_dict(
    {
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        "operations": [
            {
                "include-path": "/api/v1/outlets/batch",
                "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED + FILE_REFUSALS}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


@schema.parametrize()
@seed(20261124)
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case) -> None:
    case.call_and_validate()
