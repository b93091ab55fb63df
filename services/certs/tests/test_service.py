"""The certs service starts on a migrated database and answers its health RPC."""
from nameko.standalone.rpc import ClusterRpcProxy

from certs.service import CertsService


def test_health_answers_with_a_working_database(container_factory, service_config, amqp_uri):
    container = container_factory(CertsService, service_config("certs"))
    container.start()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as proxy:
        assert proxy.certs.health() == {"service": "certs", "database": "ok"}
