"""The vendor's pika publisher (certtrack_shared.vendor_publisher) given a
failover list: it publishes through the first node that answers (decision
0031). Here, not in lib/tests: pika does not run under eventlet."""
from __future__ import annotations

from certtrack_shared.broker_identities import DEV_VENDOR
from certtrack_shared.vendor_publisher import VendorPublisher
from tests.harness.messages import as_user, capture_queue, drain
from tests.harness.smtp import free_port


def test_a_vendor_publishes_through_the_first_node_that_answers(amqp_uri):
    queue = capture_queue(amqp_uri, "vendor.events", "exam_result")
    gone = f"amqp://vendor-dev:vendor-dev@127.0.0.1:{free_port()}/"  # a node that went away
    vendor = VendorPublisher(f"{gone};{as_user(amqp_uri, DEV_VENDOR)}")
    try:
        vendor.publish("exam_result", {"event_id": "v-1"}, "v-1")
    finally:
        vendor.close()

    [message] = drain(amqp_uri, queue, quiet_seconds=0.3)
    assert (message["message_id"], message["properties"]["user_id"]) == ("v-1", DEV_VENDOR.name)
