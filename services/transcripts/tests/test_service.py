"""The transcripts service starts on a migrated database and answers its health RPC."""
from nameko.standalone.rpc import ClusterRpcProxy

from transcripts.service import TranscriptsService


def test_health_answers_with_a_working_database(container_factory, service_config, amqp_uri):
    container = container_factory(TranscriptsService, service_config("transcripts"))
    container.start()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as proxy:
        assert proxy.transcripts.health() == {"service": "transcripts", "database": "ok"}
