"""Every fulfillment test gets a vhost and database of its own (orders,
numbers and the warehouse queue start empty) and a running service."""
from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from fulfillment.service import FulfillmentService


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

