"""schemathesis against the app's own OpenAPI document, with every check: a drift between the two fails CI.

Every check runs, "schema-valid data is accepted" included. The document describes every rule of a
request's form (patterns, enums, ``base`` or ``base_ratio`` but not both), so a request it calls
valid is never refused with 400. What no schema can say (the figures of a region and month are not
configured, a base outside that year's floor and ceiling, an end before the start) is a documented
422, which that check accepts, like 401/403 (a login) and 404 (an unknown region). Uploading a
roster: the file's content (a real .xlsx workbook) is beyond JSON Schema, so that operation may
also answer its documented 400 (damaged), 413 (too large) and 415 (not a workbook).

Logged in: the document declares the admin API's session cookie (``components.securitySchemes``), and the
run logs in as an admin first and hands schemathesis that cookie, so the admin API is fuzzed as an admin
uses it (its refusals must be 2xx/409/422, never 401/403); schemathesis's own ``ignored_auth`` check sends
the same requests without the cookie and expects them refused.

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
from tests.admin_support import add_user, login

_db = Path(tempfile.mkdtemp(prefix="schemathesis-")) / "api.sqlite3"
app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{_db}"})


def admin_session_cookie() -> str:
    """The session cookie of an admin logged in through the login page, as a browser or script gets it."""
    add_user(app, "fuzz-admin")
    client = app.test_client()
    assert login(client, "fuzz-admin").status_code == 302
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return cookie.value


ACCEPTED = ["2xx", "401", "403", "404", "409", "422"]
FILE_REFUSALS = ["400", "413", "415"]

ADMIN_ACCEPTED = ["2xx", "409", "422"]  # logged in as an admin: never 401/403

config = SchemathesisConfig.from_dict(
    {
        "auth": {"openapi": {"session": {"api_key": admin_session_cookie()}}},
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        "operations": [
            {
                # an outlet roster's and a platform's orders: the file's content is checked (400/413/415)
                "include-path-regex": "^/api/v1/outlets/(orders/)?batch$",
                "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED + FILE_REFUSALS}},
            },
            {
                "include-path-regex": "^/api/v1/admin/",
                "checks": {"positive_data_acceptance": {"expected-statuses": ADMIN_ACCEPTED}},
            },
        ],
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


@schema.parametrize()
@seed(20261124)
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case) -> None:
    case.call_and_validate()
