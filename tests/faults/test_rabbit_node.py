"""The private RabbitMQ node the fault suite restarts (tests/harness/rabbit_node.py):
a restart keeps its ports and its durable queues with their persistent
messages, stop() ends every process of it, and the machine's own node never
notices any of it."""
from __future__ import annotations

import os
import uuid

import pytest
from kombu import Connection, Exchange, Queue

from tests.harness.rabbit_node import RabbitNode


@pytest.mark.slow
def test_private_node_restarts_with_its_messages_and_stops_for_good(tmp_path, amqp_uri):
    queue_name = f"kept-{uuid.uuid4().hex[:8]}"
    node = RabbitNode(tmp_path).start()
    try:
        with Connection(node.amqp_uri, transport_options={"confirm_publish": True}) as connection:
            Queue(queue_name, durable=True)(connection.default_channel).declare()
            connection.Producer().publish(b"persistent", routing_key=queue_name, delivery_mode=2,
                                          exchange=Exchange(""), declare=[])
        port, group = node.port, node.pid

        down = node.restart()

        assert node.port == port and node.pid != group and down < 60
        assert node.queue_depth(queue_name) == 1
        group = node.pid  # the node runs in a process group of its own
    finally:
        node.stop()
    node.stop()  # twice is harmless

    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)
    with pytest.raises(OSError):
        Connection(node.amqp_uri, connect_timeout=1).connect()
    # The machine's node (this run's vhost on it) carried on throughout.
    with Connection(amqp_uri) as connection:
        connection.connect()
