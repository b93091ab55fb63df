"""Fixtures of the certs service tests.

Integration tests start the real service on a vhost and database of their
own (`private_service_config`): each evaluates candidates from a clean
slate, with the day pinned by `CERTTRACK_TODAY`.
"""
from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine

from certs.service import CertsService


@pytest.fixture
def certs_config(private_service_config):
    return private_service_config("certs")


@pytest.fixture
def certs_amqp(certs_config):
    """The private vhost's URI (the harness's `amqp_uri` is the shared one)."""
    return certs_config["AMQP_URI"]


@pytest.fixture
def certs_db(certs_config):
    engine = create_engine(certs_config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def start_certs(container_factory, certs_config):
    """`start_certs(today="2026-06-01", **config)`: a running certs container."""

    def start(today: str | None = None, **extra):
        config = dict(certs_config, **extra)
        if today:
            config["CERTTRACK_TODAY"] = today
        container = container_factory(CertsService, config)
        container.start()
        return container

    return start


@pytest.fixture
def rpc(certs_config):
    with ClusterRpcProxy({"AMQP_URI": certs_config["AMQP_URI"]}, timeout=30) as proxy:
        yield proxy.certs
