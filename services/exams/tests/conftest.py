"""Every exams test gets a vhost and database of its own: exams publishes a
`candidate_reported` for each result, and a flood of those left queued on a
shared vhost would reach the identity tests that run after.

Unit tests of the rules take `session` instead: a real session of a migrated
exams database of their module, whose changes are rolled back after each test."""
import pytest

from tests.harness.databases import module_engine, rolled_back_session


@pytest.fixture
def exams_config(private_service_config):
    return private_service_config("exams")


@pytest.fixture
def amqp_uri(exams_config):
    return exams_config["AMQP_URI"]


@pytest.fixture(scope="module")
def exams_engine(request, run_databases):
    with module_engine(request, run_databases, "exams") as engine:
        yield engine


@pytest.fixture
def session(exams_engine):
    """For unit tests of the rules: a session of a migrated exams database of the
    module, whose every change (commits included) is rolled back after the test."""
    with rolled_back_session(exams_engine) as session:
        yield session
