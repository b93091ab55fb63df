"""The identity service starts on a migrated database and answers its health RPC."""
from nameko.standalone.rpc import ClusterRpcProxy

from identity.service import IdentityService


def test_health_answers_with_a_working_database(container_factory, service_config, amqp_uri):
    container = container_factory(IdentityService, service_config("identity"))
    container.start()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as proxy:
        assert proxy.identity.health() == {"service": "identity", "database": "ok"}
