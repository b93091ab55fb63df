"""The cluster suite's stack: three private RabbitMQ nodes clustered on this
machine (tests/harness/rabbit_cluster.py, never the machine's own node), the
topology declared on them as quorum queues, and the exams service as a
`nameko run` process given every node's address."""
from __future__ import annotations

import os
import uuid

import pytest
from kombu import Connection

from certtrack_shared import broker_identities, topology
from tests.faults.stack import BROKER_PASSWORDS, RETRY_DELAYS_MS, ROOT, ServiceProcess
from tests.harness.figures import suite_figures
from tests.harness.rabbit_cluster import RabbitCluster

RESULTS_QUEUE = topology.consumer_queue("vendor.events", "exam_result", "exams",
                                        "handle_exam_result")


class ClusterService(ServiceProcess):
    """A service connecting with a failover list of the cluster's nodes."""

    def __init__(self, name: str, env: dict[str, str], log, amqp_uri: str):
        super().__init__(name, env, log)
        self.amqp_uri = amqp_uri

    def broker_env(self) -> dict[str, str]:
        return {"AMQP_URI": self.amqp_uri,
                "GATEWAY_BROKER_USER": broker_identities.user_name("gateway")}


@pytest.fixture(scope="package")
def cluster(tmp_path_factory):
    definitions = broker_identities.definitions(
        RETRY_DELAYS_MS, passwords=BROKER_PASSWORDS, development=True,
        administrator=("guest", "guest"))
    # Users and permissions at boot; the queues only once the nodes are one
    # cluster, since a quorum queue's members are the nodes clustered then.
    for entity in ("queues", "bindings", "exchanges"):
        definitions.pop(entity)
    cluster = RabbitCluster(tmp_path_factory.mktemp("cluster"), definitions=definitions).start()
    try:
        with Connection(cluster.nodes[0].amqp_uri) as connection:
            topology.declare(connection, RETRY_DELAYS_MS)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="package")
def exams_on_cluster(cluster, run_databases, smtp_server, tmp_path_factory):
    """exams, its first address the node leading its results queue: stopping
    that node takes both its connection and the queue's leader away."""
    folder = tmp_path_factory.mktemp("cluster-services")
    leader = cluster.node(cluster.leaders(RESULTS_QUEUE)[RESULTS_QUEUE])
    env = dict(
        os.environ,
        SMTP_URL=smtp_server.url,
        CERTTRACK_ENV="test",
        CONSUMER_RETRY_DELAYS_MS=",".join(str(ms) for ms in RETRY_DELAYS_MS),
        EXAMS_DATABASE_URL=run_databases.url(f"cluster_exams_{uuid.uuid4().hex[:6]}",
                                             migrate_service="exams"),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "lib"), os.environ.get("PYTHONPATH")])),
    )
    env["AMQP_URI"] = cluster.failover_uri(first=leader)
    exams = ClusterService("exams", env, folder / "exams.log", cluster.failover_uri(
        broker_identities.user_name("exams"), BROKER_PASSWORDS["exams"], first=leader))
    exams.start()
    try:
        yield exams, leader
    finally:
        exams.stop()


figures, pytest_terminal_summary = suite_figures("cluster")
