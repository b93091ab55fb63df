"""The client address that login rate limits key on, behind and without a proxy."""
from __future__ import annotations

import pytest
from .fakes.exams import FakeServices
from .fakes.identity import FakeIdentity

from .accounts import PASSWORD


@pytest.fixture
def addresses_seen():
    return []


def gateway_with(make_app, addresses_seen, **config):
    app = make_app(**config)
    identity = FakeIdentity()
    identity.add_candidate("Ada", "Lovelace", "ada@example.com", password=PASSWORD)
    authenticate = identity.authenticate

    def recording(login, password, client_address=None):
        addresses_seen.append(client_address)
        return authenticate(login, password, client_address=client_address)

    identity.authenticate = recording
    app.extensions["rpc"].close()
    app.extensions["rpc"] = FakeServices(identity=identity)
    return app.test_client()


def log_in(client, forwarded_for):
    return client.post("/api/v1/auth/token", json={"login": "ada@example.com", "password": PASSWORD},
                       headers={"X-Forwarded-For": forwarded_for},
                       environ_base={"REMOTE_ADDR": "10.0.0.7"})  # the proxy's own address


def test_behind_one_trusted_proxy_the_limits_see_each_client(make_app, addresses_seen):
    client = gateway_with(make_app, addresses_seen, TRUSTED_PROXY_COUNT=1)

    log_in(client, "203.0.113.5")
    # A client's own X-Forwarded-For comes first; the proxy appends the real address.
    log_in(client, "198.51.100.1, 203.0.113.9")

    assert addresses_seen == ["203.0.113.5", "203.0.113.9"]


def test_without_a_trusted_proxy_a_forged_header_is_ignored(make_app, addresses_seen):
    client = gateway_with(make_app, addresses_seen)

    log_in(client, "203.0.113.5")

    assert addresses_seen == ["10.0.0.7"]
