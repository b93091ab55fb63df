"""Every exams test gets a vhost and database of its own: exams publishes a
`candidate_reported` for each result, and a flood of those left queued on a
shared vhost would reach the identity tests that run after.

Unit tests of the rules take `session` instead: a real session of a migrated
exams database of their module, whose changes are rolled back after each test."""
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine

from exams.service import ExamsService
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


@pytest.fixture
def exams(container_factory, exams_config):
    """The exams service, running for the test."""
    container = container_factory(ExamsService, exams_config)
    container.start()
    return container


@pytest.fixture
def rpc(exams_config):
    """exams' RPCs, as the gateway calls them (start the service with a fixture of the test's)."""
    with ClusterRpcProxy({"AMQP_URI": exams_config["AMQP_URI"]}, timeout=15) as proxy:
        yield proxy.exams


@pytest.fixture
def db(exams_config):
    """An engine on the test's exams database, to check what the service stored."""
    engine = create_engine(exams_config["DATABASE_URL"])
    yield engine
    engine.dispose()
