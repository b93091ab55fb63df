"""Every fulfillment test gets a vhost and database of its own (orders,
numbers and the warehouse queue start empty) and a running service.

Unit tests of the rules take `session` instead (no broker)."""
from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from fulfillment.service import FulfillmentService
from tests.harness.databases import module_engine, rolled_back_session


@pytest.fixture
def fulfillment_config(private_service_config):
    return private_service_config("fulfillment")


@pytest.fixture
def amqp_uri(fulfillment_config):
    return fulfillment_config["AMQP_URI"]


@pytest.fixture
def fulfillment(container_factory, fulfillment_config):
    container = container_factory(FulfillmentService, fulfillment_config)
    container.start()
    return container


@pytest.fixture
def rpc(fulfillment, amqp_uri):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=20) as proxy:
        yield proxy.fulfillment


@pytest.fixture(scope="module")
def fulfillment_engine(request, run_databases):
    with module_engine(request, run_databases, "fulfillment") as engine:
        yield engine


@pytest.fixture
def session(fulfillment_engine):
    """For unit tests of the rules: a session of a migrated fulfillment database of the
    module, whose every change (commits included) is rolled back after the test."""
    with rolled_back_session(fulfillment_engine) as session:
        yield session
