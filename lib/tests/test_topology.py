"""The topology of CONTRACTS.md §1 exists before any consumer has started."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from kombu import Connection, Queue

from certtrack_shared import broker_identities, topology
from certtrack_shared.consumer import DEFAULT_RETRY_DELAYS_MS
from tests.harness.broker import Vhost
from tests.harness.messages import drain, publish_raw
from test_contracts import RESULT

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.container  # makes its own vhost, so no fixture tells the root conftest
def test_vendor_message_published_before_exams_ever_started_is_queued():
    fresh = Vhost().create()
    try:
        with Connection(fresh.amqp_uri) as connection:
            topology.declare(connection)
            topology.declare(connection)  # idempotent: a second start changes nothing
        publish_raw(fresh.amqp_uri, "vendor.events", "exam_result", RESULT, RESULT["event_id"])
        queue = topology.consumer_queue("vendor.events", "exam_result", "exams",
                                        "handle_exam_result")
        messages = drain(fresh.amqp_uri, queue, quiet_seconds=0.5)
        assert [m["message_id"] for m in messages] == ["pv-000000124"]
        declared = {name: fresh.queue(name) for name in (queue, f"{queue}.dlq", "warehouse.orders")}
        # Replicated over the cluster (decision 0031): each survives the node that leads it.
        assert {name: q["type"] for name, q in declared.items()} == dict.fromkeys(declared, "quorum")
        assert declared[queue]["arguments"]["x-dead-letter-routing-key"] == f"{queue}.dlq"
        assert declared[queue]["arguments"]["x-delivery-limit"] == topology.DELIVERY_LIMIT
    finally:
        fresh.delete()


def test_operator_definitions_file_matches_the_code():
    committed = json.loads((REPO / "deploy/rabbitmq/definitions.json").read_text())
    assert committed == broker_identities.definitions(retry_delays_ms=DEFAULT_RETRY_DELAYS_MS), (
        "regenerate with: python -m certtrack_shared.broker_identities definitions "
        "> deploy/rabbitmq/definitions.json"
    )


@pytest.mark.container
def test_a_message_handed_out_past_the_delivery_limit_lands_in_its_dead_letter_queue_intact():
    """The broker's backstop for a message that kills its consumer every time
    (decision 0031): each unsettled return counts, and past the limit the
    message goes to `<queue>.dlq` as it was published, user_id included,
    for the archive and staff, instead of looping forever."""
    fresh = Vhost().create()
    queue = topology.consumer_queue("vendor.events", "exam_result", "exams", "handle_exam_result")
    try:
        with Connection(fresh.amqp_uri) as connection:
            topology.declare(connection)
        publish_raw(fresh.amqp_uri, "vendor.events", "exam_result", RESULT, RESULT["event_id"])
        with Connection(fresh.amqp_uri) as connection:
            bound = Queue(queue, no_declare=True)(connection.default_channel)
            handed_out = 0
            while (message := bound.get(no_ack=False)) is not None:
                handed_out += 1
                message.requeue()  # as a consumer that dies on it gives it back
        [dead] = drain(fresh.amqp_uri, f"{queue}.dlq", quiet_seconds=0.3)
        assert handed_out == topology.DELIVERY_LIMIT + 1
        assert dead["message_id"] == RESULT["event_id"]
        assert dead["properties"]["user_id"] == broker_identities.DEV_VENDOR.name
        assert dead["headers"]["x-first-death-reason"] == "delivery_limit"
        assert json.loads(dead["body"]) == RESULT
    finally:
        fresh.delete()
