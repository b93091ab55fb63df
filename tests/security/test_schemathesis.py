"""API fuzzing: schemathesis generates requests for every operation of /api/v1/openapi.json
and sends them to the running stack, logged in with a bearer token of a candidate of its
own. No answer may be a 5xx or break the document (status code, content type, headers
and body as documented). Bounded: a few examples per operation, no shrinking.

Each operation runs as its own Hypothesis test inside one pytest test (schemathesis'
lazy `from_fixture` relies on pytest internals that pytest 9 no longer has); every
operation's failures are collected and reported together.
"""
from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.conftest import COVERED, plain_candidate

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
BUDGET_SECONDS = 180


@pytest.fixture(scope="session")
def fuzzer(stack, amqp_uri):
    return plain_candidate(stack, amqp_uri, "fuzzer")


def fuzz(operation, base_url: str, headers: dict) -> None:
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

    run()


@pytest.mark.slow
def test_the_api_answers_every_generated_request_as_documented(stack, fuzzer):
    schema = schemathesis.openapi.from_url(f"{stack.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    covered = COVERED.setdefault("API fuzzing (schemathesis, logged in)", [])
    failures = []
    started = time.monotonic()
    for operation in operations:
        covered.append(f"{operation.method.upper()} {operation.path}")
        try:
            fuzz(operation, stack.url, fuzzer.bearer)
        except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 — every operation's findings, then one verdict
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    elapsed = time.monotonic() - started

    assert len(operations) >= 30
    assert not failures, "\n\n".join(failures)
    assert elapsed < BUDGET_SECONDS, f"fuzzing took {elapsed:.0f} s"
