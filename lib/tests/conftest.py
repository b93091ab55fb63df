from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from certtrack_shared.tables import reliability_metadata


def _sample_database(run_databases, name: str) -> str:
    import sample_service

    url = run_databases.url(name)
    engine = create_engine(url)
    sample_service.metadata.create_all(engine)
    reliability_metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def sample_db_url(run_databases):
    return _sample_database(run_databases, "sample")


@pytest.fixture
def private_sample(run_databases):
    """A vhost and sample database of this test alone: for tests that count
    every message, where a request or event left over by another test must
    not reach them."""
    import uuid

    from tests.harness.broker import Vhost

    vhost = Vhost().create()
    url = _sample_database(run_databases, f"sample_{uuid.uuid4().hex[:6]}")
    yield vhost.amqp_uri, url
    vhost.delete()


@pytest.fixture
def sample_db(sample_db_url):
    """The sample database, emptied before each test."""
    engine = create_engine(sample_db_url)
    with engine.begin() as connection:
        connection.execute(text(
            "TRUNCATE samples, outbox_messages, processed_events, dead_letter_audit, dead_letters"))
    yield engine
    engine.dispose()


@pytest.fixture
def sample_config(amqp_uri, sample_db_url, smtp_server):
    return {
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": sample_db_url,
        "SMTP_URL": smtp_server.url,
        "OUTBOX_POLL_SECONDS": 0.2,
        "max_workers": 25,
    }
