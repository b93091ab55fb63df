from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from certtrack_shared.tables import reliability_metadata


@pytest.fixture(scope="session")
def sample_db_url(run_databases):
    import sample_service

    url = run_databases.url("sample")
    engine = create_engine(url)
    sample_service.metadata.create_all(engine)
    reliability_metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def sample_db(sample_db_url):
    """The sample database, emptied before each test."""
    engine = create_engine(sample_db_url)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE samples, outbox_messages, processed_events"))
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
