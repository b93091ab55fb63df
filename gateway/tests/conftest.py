"""Fixtures for the gateway tests (plain pytest; the gateway never runs under eventlet).

The broker fixtures (`vhost`, `amqp_uri`: a private RabbitMQ vhost per run)
come from the shared harness, tests/harness/plugin.py.
"""
from __future__ import annotations

import pytest

from .fakes.staff_directory import FakeStaffDirectory

from gateway.app import create_app

from .accounts import OTHER_PASSWORD, PASSWORD, STAFF, SUPPORT_STAFF, staff_signed_in

# Unit tests must never reach a broker by accident: nothing listens on port 1. Not
# guest, which production refuses (make_app(CERTTRACK_ENV="production")).
NO_BROKER = "amqp://gateway:not-the-user-name@127.0.0.1:1/"


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
            # Fake services count nothing in Redis: their replies must not be kept there.
            "VIEW_CACHE": False,
        }
        config.update(overrides)
        app = create_app(config)
        # Who a staff session is now, and the audit (gateway/staff/directory.py): in memory.
        app.extensions["staff_directory"] = FakeStaffDirectory(STAFF, SUPPORT_STAFF)
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


@pytest.fixture
def desks(app):
    """The dead-letter and vendor-key fakes (gateway/tests/fakes/staff_desks.py) as `app`'s RPC client."""
    from .fakes.staff_desks import StaffDesks

    app.extensions["rpc"].close()
    app.extensions["rpc"] = StaffDesks()
    return app.extensions["rpc"]


@pytest.fixture(scope="session")
def probe(amqp_uri):
    """The tiny `probe` Nameko service, running in a subprocess on this run's vhost."""
    from probe_service import running_probe

    with running_probe(amqp_uri) as process:
        yield process


@pytest.fixture
def fake_exams():
    """An in-memory exams service (gateway/tests/fakes/exams.py); `fake_identity` installs it too."""
    from .fakes.exams import FakeExams

    return FakeExams()


@pytest.fixture
def fake_identity(app, fake_exams):
    """An in-memory identity service (gateway/tests/fakes/identity.py), with `fake_exams`
    and a certs fake (its candidates are this identity's) beside it, as `app`'s RPC client."""
    from .fakes.certs import FakeCerts
    from .fakes.exams import FakeServices
    from .fakes.identity import FakeIdentity

    app.extensions["rpc"].close()
    fake = FakeIdentity()
    app.extensions["rpc"] = FakeServices(identity=fake, exams=fake_exams, certs=FakeCerts(fake))
    # The Transcripts tab is in every candidate page's nav (gateway/tests/fakes/transcripts.py).
    from .fakes.transcripts import FakeTranscripts

    app.extensions["rpc"].services["transcripts"] = FakeTranscripts(site_url=app.config["SITE_URL"].rstrip("/"))
    # So is Certificates & Plaques (gateway/tests/fakes/fulfillment.py).
    from .fakes.fulfillment import FakeFulfillment

    app.extensions["rpc"].services["fulfillment"] = FakeFulfillment()
    return fake


@pytest.fixture
def fake_fulfillment(app, fake_identity):
    """The fulfillment fake (gateway/tests/fakes/fulfillment.py) that `fake_identity` installed."""
    return app.extensions["rpc"].services["fulfillment"]


@pytest.fixture
def fake_transcripts(app, fake_identity):
    """The transcripts fake (gateway/tests/fakes/transcripts.py) that `fake_identity` installed."""
    return app.extensions["rpc"].services["transcripts"]


@pytest.fixture
def fake_certs(app, fake_identity):
    """The certs fake (gateway/tests/fakes/certs.py) that `fake_identity` installed."""
    return app.extensions["rpc"].services["certs"]


@pytest.fixture
def certs(fake_certs):
    """`fake_certs`, by the name the certifications tests use."""
    return fake_certs


@pytest.fixture
def ada(fake_identity):
    """A Cisco candidate with password `accounts.PASSWORD`; a test module adds what it needs
    (exams, a kit) by overriding this fixture with one that takes `ada`."""
    return fake_identity.add_candidate("Ada", "Lovelace", "ada@example.com", password=PASSWORD)


@pytest.fixture
def grace(fake_identity):
    """A second candidate, to prove each sees only their own; password `accounts.OTHER_PASSWORD`."""
    return fake_identity.add_candidate("Grace", "Hopper", "grace@example.com", password=OTHER_PASSWORD)


@pytest.fixture
def as_ada(client, ada):
    """`client`, logged in on the site as Ada."""
    from .fakes.identity import log_in

    log_in(client, ada, PASSWORD)
    return client


@pytest.fixture
def staff(app, client):
    """`client` with a staff session (accounts.STAFF)."""
    return staff_signed_in(app, client)
