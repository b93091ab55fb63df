"""Fixtures for the gateway tests (plain pytest; the gateway never runs under eventlet).

The broker fixtures (`vhost`, `amqp_uri`: a private RabbitMQ vhost per run)
come from the shared harness, tests/harness/plugin.py.
"""
from __future__ import annotations

import pytest

from gateway.app import create_app

# Unit tests must never reach a broker by accident: nothing listens on port 1.
NO_BROKER = "amqp://guest:guest@127.0.0.1:1/"


@pytest.fixture
def make_app(tmp_path):
    """A factory of gateway apps in development mode with a private mailbox; pools closed after."""
    apps = []

    def make(**overrides):
        config = {
            "CERTTRACK_ENV": "development",
            "SECRET_KEY": "test-secret-key-" + "x" * 32,
            "DEV_MAILDIR": str(tmp_path / "devmail"),
            "AMQP_URI": NO_BROKER,
            "RPC_TIMEOUT": 1.0,
            "RPC_POOL_SIZE": 4,
        }
        config.update(overrides)
        app = create_app(config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["rpc"].close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def probe(amqp_uri):
    """The tiny `probe` Nameko service, running in a subprocess on this run's vhost."""
    from probe_service import running_probe

    with running_probe(amqp_uri) as process:
        yield process


@pytest.fixture
def fake_exams():
    """An in-memory exams service (gateway/fake_exams.py); `fake_identity` installs it too."""
    from fake_exams import FakeExams

    return FakeExams()


@pytest.fixture
def fake_identity(app, fake_exams):
    """An in-memory identity service (gateway/fake_identity.py), with `fake_exams`
    beside it, as `app`'s RPC client."""
    from fake_exams import FakeServices
    from fake_identity import FakeIdentity

    app.extensions["rpc"].close()
    fake = FakeIdentity()
    app.extensions["rpc"] = FakeServices(identity=fake, exams=fake_exams)
    return fake
