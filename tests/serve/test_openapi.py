"""Property-based tests of the API against its own OpenAPI description (schemathesis, over
real HTTP to the module's `roundtable serve`): whatever a caller sends that the description
allows, the answer is one the description promises, and never a server error."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from .conftest import Served

EXAMPLES = 6  # per operation: a bounded run that fits the suite's time budget
# The coverage phase (every boundary value of every field) doubles the time: left out here.
CONFIG = """
[phases.coverage]
enabled = false
"""


@pytest.fixture(scope="module")
def api_schema(served: Served) -> schemathesis.BaseSchema:
    from schemathesis.config import SchemathesisConfig

    config = SchemathesisConfig.from_str(CONFIG)
    return schemathesis.openapi.from_url(f"{served.url}/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_answer_matches_the_description(case: schemathesis.Case, served: Served) -> None:
    # Every call carries the key, so "no key" cases are not what they seem; unknown query
    # parameters are ignored, as most HTTP APIs do: the check that wants them refused is out.
    case.call_and_validate(headers=served.auth, timeout=60,
                           excluded_checks=[schemathesis.checks.negative_data_rejection])



def test_without_cors_origins_browsers_get_no_cors_headers(served: Served) -> None:
    preflight = requests.options(f"{served.url}/api/templates", timeout=30, headers={
        "Origin": "https://demo.example.org", "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    listed = requests.get(f"{served.url}/api/templates", timeout=30,
                          headers={**served.auth, "Origin": "https://demo.example.org"})
    assert listed.status_code == 200
    assert "Access-Control-Allow-Origin" not in listed.headers
