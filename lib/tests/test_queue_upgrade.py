"""A broker from before quorum queues (decision 0031): its classic queues, with
messages, become the topology's quorum queues with every message as it was."""
from __future__ import annotations

import json

import pytest
import requests
from kombu import Connection, Queue

from certtrack_shared import broker_identities, queue_upgrade, topology
from tests.harness.broker import Vhost, _api
from tests.harness.messages import drain, publish_raw
from test_contracts import RESULT

RESULTS = topology.consumer_queue("vendor.events", "exam_result", "exams", "handle_exam_result")
DELAYS_MS = (60000,)


def classic(queue: Queue) -> Queue:
    """The queue as CertTrack declared it before: classic, its old arguments only."""
    old = {k: v for k, v in (queue.queue_arguments or {}).items()
           if k in ("x-message-ttl", "x-dead-letter-exchange") and queue.name.startswith("certtrack.")}
    return Queue(queue.name, exchange=queue.exchange, routing_key=queue.routing_key,
                 bindings=queue.bindings, durable=True, queue_arguments=old or None)


@pytest.fixture
def old_broker():
    """A vhost holding the whole topology as classic queues."""
    vhost = Vhost().create()
    # A few of each kind keep it quick: a retry queue, two consuming queues
    # with their dead letters (one empty), an RPC queue.
    planned = [q for q in queue_upgrade.planned_queues(DELAYS_MS, services=("exams",))
               if q.name.startswith((RESULTS, "warehouse.orders", "certtrack.retry.", "rpc-"))]
    with Connection(vhost.amqp_uri) as connection:
        for exchange in topology.exchanges():
            exchange(connection.default_channel).declare()
        for queue in planned:
            classic(queue)(connection.default_channel).declare()
    yield vhost, planned
    vhost.delete()


def held(vhost, queue) -> list[dict]:
    return [{key: m[key] for key in ("body", "message_id", "headers", "routing_key")}
            | {"user_id": m["properties"].get("user_id")}
            for m in drain(vhost.amqp_uri, queue, quiet_seconds=0.3)]


@pytest.mark.container
def test_classic_queues_with_messages_become_quorum_queues_keeping_every_message(old_broker):
    vhost, planned = old_broker
    retry = topology.delay_exchange(DELAYS_MS[0])
    # What such a broker holds: a vendor's result (with the user_id exams
    # trusts), a result waiting in a retry queue, a dead letter, an RPC request.
    publish_raw(vhost.amqp_uri, "vendor.events", "exam_result", RESULT, RESULT["event_id"])
    publish_raw(vhost.amqp_uri, retry, RESULTS, {**RESULT, "event_id": "retried"}, "retried",
                headers={"x-certtrack-attempt": 1})
    publish_raw(vhost.amqp_uri, topology.QUEUES_EXCHANGE, f"{RESULTS}.dlq", b"not json", "dead",
                headers={"x-certtrack-reason": "invalid message"})
    publish_raw(vhost.amqp_uri, topology.RPC_EXCHANGE, "exams.health", {"args": []}, "request")

    admin = vhost.administrator()
    with Connection(vhost.amqp_uri) as connection:
        done = queue_upgrade.upgrade(connection, admin.api(), admin.vhost, planned)
        topology.declare(connection, DELAYS_MS)  # as each start does: now it agrees

    assert set(done.moved) == {q.name for q in planned}
    assert {name: n for name, n in done.moved.items() if n} == {
        retry: 1, RESULTS: 2, f"{RESULTS}.dlq": 1, "rpc-exams": 1}
    types = {q["name"]: q["type"] for q in admin.api().queues(admin.vhost)}
    assert {types[q.name] for q in planned} == {"quorum"}
    assert not [name for name in types if name.endswith(queue_upgrade.INTERIM_SUFFIX)]
    with Connection(vhost.amqp_uri) as connection, pytest.raises(Exception, match="NOT_FOUND"):
        connection.default_channel.exchange_declare(
            queue_upgrade.route_name(RESULTS), "fanout", passive=True)
    url, auth = _api(f"policies/{requests.utils.quote(vhost.name, safe='')}")
    assert requests.get(url, auth=auth, timeout=10).json() == []
    # The bindings came along: a result published now lands in the quorum queue.
    publish_raw(vhost.amqp_uri, "vendor.events", "exam_result", {**RESULT, "event_id": "after"},
                "after")

    results = held(vhost, RESULTS)
    assert [m["message_id"] for m in results] == [RESULT["event_id"], "retried", "after"]
    vendor = results[0]
    assert vendor["user_id"] == broker_identities.DEV_VENDOR.name
    assert json.loads(vendor["body"]) == RESULT
    assert results[1]["headers"]["x-certtrack-attempt"] == 1
    [dead] = held(vhost, f"{RESULTS}.dlq")
    assert (dead["body"], dead["headers"]["x-certtrack-reason"]) == (b"not json", "invalid message")
    [request] = held(vhost, "rpc-exams")
    assert request["routing_key"] == "exams.health"


@pytest.mark.container
def test_a_classic_queue_still_read_by_an_old_service_is_left_alone(old_broker):
    vhost, planned = old_broker
    admin = vhost.administrator()
    with Connection(vhost.amqp_uri) as reader, Connection(vhost.amqp_uri) as connection:
        consumer = reader.Consumer(Queue(RESULTS, no_declare=True), callbacks=[])
        consumer.consume()
        with pytest.raises(queue_upgrade.UpgradeRefused, match="stop the services"):
            queue_upgrade.upgrade(connection, admin.api(), admin.vhost, planned)
        consumer.cancel()
    assert vhost.queue(RESULTS)["type"] == "classic"


@pytest.mark.container
def test_declaring_the_topology_over_classic_queues_names_the_upgrade(old_broker):
    vhost, _planned = old_broker
    with Connection(vhost.amqp_uri) as connection, \
            pytest.raises(topology.ClassicQueueFound, match="certtrack_shared.queue_upgrade"):
        topology.declare(connection)
