"""Property-based tests of the API against its own OpenAPI description (schemathesis, over
real HTTP to the module's `roundtable serve`): whatever a caller sends that the description
allows, the answer is one the description promises, and never a server error."""

from __future__ import annotations

import pytest
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
    case.call_and_validate(headers=served.auth, timeout=60)

