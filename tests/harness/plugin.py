"""Fixtures every test run shares."""
from __future__ import annotations

import os

import pytest

from tests.harness.broker import Vhost
from tests.harness.databases import RunDatabases
from tests.harness.smtp import SmtpServer
from tests.harness.vhost_supply import VhostSupply

# A test run is `test` unless the caller says otherwise (scripts/run_tests.sh does):
# unset means production (certtrack_shared/config.py), which refuses the
# suites' guest broker user. Set on import, before any test or fixture reads it.
os.environ.setdefault("CERTTRACK_ENV", "test")


@pytest.fixture(scope="session")
def vhost():
    created = Vhost().create()
    yield created
    created.delete()


@pytest.fixture(scope="session")
def amqp_uri(vhost) -> str:
    return vhost.amqp_uri


@pytest.fixture(scope="session")
def run_databases():
    databases = RunDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory):
    server = SmtpServer(tmp_path_factory.mktemp("smtp") / "maildir").start()
    yield server
    server.stop()


@pytest.fixture(autouse=True, scope="session")
def _short_retry_delays():
    # Back-off in tests: short, so a retry test takes seconds, not minutes.
    os.environ.setdefault("CONSUMER_RETRY_DELAYS_MS", "200,400")


@pytest.fixture(scope="session")
def credential_keys_dir(tmp_path_factory):
    """Where services generate the test run's credential signing keys (never the checkout's var/)."""
    return str(tmp_path_factory.mktemp("credential-keys"))


@pytest.fixture(scope="session")
def service_config(run_databases, amqp_uri, smtp_server, credential_keys_dir):
    """`service_config("identity")`: nameko config for a real service on this
    run's vhost, with its database created and migrated to head."""

    def make(service: str) -> dict:
        return {
            "AMQP_URI": amqp_uri,
            "DATABASE_URL": run_databases.url(service, migrate_service=True),
            "SMTP_URL": smtp_server.url,
            "OUTBOX_POLL_SECONDS": 0.2,
            "CREDENTIAL_KEYS_DIR": credential_keys_dir,
            "max_workers": 10,
        }

    return make


def _declare_topology(vhost: Vhost) -> None:
    from kombu import Connection

    from certtrack_shared import topology
    from certtrack_shared.consumer import retry_delays_ms

    with Connection(vhost.amqp_uri) as connection:
        # As on a real broker, the topology exists before anything is published.
        topology.declare(connection, retry_delays_ms())


@pytest.fixture(scope="session")
def private_vhosts():
    supply = VhostSupply(_declare_topology)
    yield supply
    supply.close()


@pytest.fixture
def private_service_config(run_databases, smtp_server, credential_keys_dir, private_vhosts):
    """Like `service_config`, on a vhost and databases of this test alone.

    For tests that flood the broker or assume an empty database: what they
    leave behind (thousands of queued events, allocated IDs) must not reach
    the tests after them. Every service in one test shares the test's vhost.
    """
    import uuid as _uuid

    vhost = private_vhosts.take()
    suffix = _uuid.uuid4().hex[:6]

    def make(service: str) -> dict:
        return {
            "AMQP_URI": vhost.amqp_uri,
            "DATABASE_URL": run_databases.url(f"{service}_{suffix}", migrate_service=service),
            "SMTP_URL": smtp_server.url,
            "OUTBOX_POLL_SECONDS": 0.2,
            "CREDENTIAL_KEYS_DIR": credential_keys_dir,
            "max_workers": 10,
        }

    make.vhost = vhost
    yield make
    private_vhosts.give_back(vhost)

