"""Every fulfillment test gets a vhost and database of its own (orders,
numbers and the warehouse queue start empty) and a running service, which
charges through the payment sandbox (deploy/payment_sandbox) of the test run.

Unit tests of the rules take `session` instead (no broker)."""
from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from fulfillment.service import FulfillmentService
from tests.harness.databases import module_engine, rolled_back_session
from tests.harness.payment_sandbox import PaymentSandbox


@pytest.fixture(scope="session")
def payment_sandbox(tmp_path_factory):
    sandbox = PaymentSandbox(tmp_path_factory.mktemp("payment_sandbox")).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def fulfillment_config(private_service_config, payment_sandbox):
    return {**private_service_config("fulfillment"), **payment_sandbox.config()}


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
