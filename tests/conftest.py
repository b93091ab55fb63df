"""Fixtures shared by the top-level suites (tests/e2e, tests/security).

`stack` is session-scoped and defined once here, so the end-to-end tests and
the security sweeps drive one stack per run instead of one each.
"""
from __future__ import annotations

import pytest

from certtrack_shared.config import SERVICES
from tests.e2e.stack import Stack


@pytest.fixture(scope="session")
def stack(amqp_uri, run_databases, tmp_path_factory):
    """The whole stack as `make run` starts it, on this run's vhost and databases."""
    urls = {service: run_databases.url(f"e2e_{service}") for service in SERVICES}
    running = Stack(amqp_uri, urls, tmp_path_factory.mktemp("stack")).start()
    yield running
    running.stop()
