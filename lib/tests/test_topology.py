"""The topology of CONTRACTS.md §1 exists before any consumer has started."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from kombu import Connection

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
        assert fresh.queue(f"{queue}.dlq")["durable"] is True
        assert fresh.queue("warehouse.orders")["durable"] is True
    finally:
        fresh.delete()


def test_operator_definitions_file_matches_the_code():
    committed = json.loads((REPO / "deploy/rabbitmq/definitions.json").read_text())
    assert committed == broker_identities.definitions(retry_delays_ms=DEFAULT_RETRY_DELAYS_MS), (
        "regenerate with: python -m certtrack_shared.broker_identities definitions "
        "> deploy/rabbitmq/definitions.json"
    )
