"""Every exams test gets a vhost and database of its own: exams publishes a
`candidate_reported` for each result, and a flood of those left queued on a
shared vhost would reach the identity tests that run after.

Unit tests of the rules take `session` instead: a real session of a migrated
exams database of their module, whose changes are rolled back after each test."""
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session


@pytest.fixture
def exams_config(private_service_config):
    return private_service_config("exams")


@pytest.fixture
def amqp_uri(exams_config):
    return exams_config["AMQP_URI"]


@pytest.fixture(scope="module")
def exams_engine(request, run_databases):
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    engine = create_engine(run_databases.url(f"exams_{name}", migrate_service="exams"))
    yield engine
    engine.dispose()


@pytest.fixture
def session(exams_engine):
    """A session whose every change is rolled back after the test (the seed stays)."""
    with exams_engine.connect() as connection:
        transaction = connection.begin()
        with Session(connection, join_transaction_mode="create_savepoint") as session:
            yield session
        transaction.rollback()
