"""The exams service starts on a migrated database and answers its health RPC."""
from nameko.standalone.rpc import ClusterRpcProxy

from exams.service import ExamsService


def test_health_answers_with_a_working_database(container_factory, exams_config):
    container = container_factory(ExamsService, exams_config)
    container.start()
    with ClusterRpcProxy({"AMQP_URI": exams_config["AMQP_URI"]}, timeout=10) as proxy:
        assert proxy.exams.health() == {"service": "exams", "database": "ok"}
