"""The fulfillment service starts on a migrated database and answers its health RPC."""
from nameko.standalone.rpc import ClusterRpcProxy

from fulfillment.service import FulfillmentService


def test_health_answers_with_a_working_database(container_factory, service_config, amqp_uri):
    container = container_factory(FulfillmentService, service_config("fulfillment"))
    container.start()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as proxy:
        assert proxy.fulfillment.health() == {"service": "fulfillment", "database": "ok"}
