"""Fixtures of the identity tests.

Unit tests get a real SQLAlchemy session on this run's migrated identity
database (emptied before each test) and fakes for the outbox, the clock and
the document store. Integration tests start the real service in a Nameko
container on this run's vhost, with the real SMTP server of the harness.
"""
from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from identity.documents import MemoryDocumentStore
from identity.handlers.passwords import default_hasher
from services.identity.tests.support import FakeClock, FakeOutbox

# Children first: emptied with DELETE, much faster than TRUNCATE on tiny tables.
TABLES = (
    "result_notices", "support_tickets", "staff_audit", "staff_recovery_codes", "staff_users", "link_tokens",
    "external_identities", "registrations",
    "login_failures", "mail_requests", "candidates", "outbox_messages", "processed_events",
)


@pytest.fixture(scope="session")
def identity_db_url(run_databases):
    return run_databases.url("identity", migrate_service=True)


@pytest.fixture(scope="session")
def identity_engine(identity_db_url):
    engine = create_engine(identity_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clean_db(identity_engine):
    """Every identity table emptied; candidate numbering starts again."""
    with identity_engine.begin() as connection:
        for table in TABLES:
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("UPDATE candidate_id_counters SET next_number = 10000001"))
    return identity_engine


@pytest.fixture
def session(clean_db):
    with Session(clean_db, expire_on_commit=False) as session:
        yield session
        session.rollback()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def outbox():
    return FakeOutbox()


@pytest.fixture
def hasher():
    return default_hasher()


@pytest.fixture
def documents():
    return MemoryDocumentStore()


# -- integration --------------------------------------------------------------
@pytest.fixture
def identity_config(service_config, tmp_path):
    config = dict(service_config("identity"))
    config["IDENTITY_DOCUMENT_DIR"] = str(tmp_path / "documents")
    config["RESULT_NOTICE_QUIET_SECONDS"] = 1  # results mailed a second after the import, not a minute
    return config


@pytest.fixture
def identity_container(container_factory, identity_config, clean_db):
    from identity.service import IdentityService

    container = container_factory(IdentityService, identity_config)
    container.start()
    return container


@pytest.fixture
def rpc(identity_container, amqp_uri):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=20) as proxy:
        yield proxy.identity
