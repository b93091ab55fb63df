"""AMQP_URI as a cluster's failover list (decision 0031): each client reaches
the broker through the first address that answers, and no address's
password is lost or shown on the way. The failover itself, a node stopped
under load, is tests/cluster/ (with the vendor's pika publisher, which
runs without eventlet)."""
from __future__ import annotations

import logging
from types import SimpleNamespace

from certtrack_shared import config
from certtrack_shared.broker_identities import Administrator
from certtrack_shared.inbound import GuardedQueueConsumer
from certtrack_shared.publishing import ConfirmingPublisher, broker_user
from tests.harness.messages import capture_queue, drain
from tests.harness.smtp import free_port


def gone_first(amqp_uri: str) -> str:
    """`amqp_uri` behind an address where no broker listens: a node that went away."""
    return f"amqp://guest:guest@127.0.0.1:{free_port()}/;{amqp_uri}"


def test_each_address_keeps_its_own_credentials_and_vhost(amqp_uri):
    uri = gone_first(amqp_uri)
    admin = Administrator(uri, "")

    addresses = config.amqp_addresses(admin.uri_for("certtrack-exams", "s3cret/+"))

    assert len(addresses) == 2 and all("certtrack-exams:s3cret%2F%2B@" in a for a in addresses)
    assert addresses[1].endswith(amqp_uri.rsplit("/", 1)[1])
    assert admin.vhost == "/" and broker_user(uri) == "guest"


def test_a_confirmed_publish_goes_to_the_next_node_when_the_first_is_gone(amqp_uri):
    queue = capture_queue(amqp_uri, "certtrack.queues", "failover-probe")
    # The gateway's vendor endpoint tries no second round: still every node once.
    publisher = ConfirmingPublisher(gone_first(amqp_uri), connect_retries=0, confirm_timeout=5)
    try:
        publisher.publish("certtrack.queues", "failover-probe", {"event_id": "e-1"}, "e-1")
    finally:
        publisher.close()

    assert [m["message_id"] for m in drain(amqp_uri, queue, quiet_seconds=0.3)] == ["e-1"]


def test_a_failed_connection_is_logged_without_any_address(caplog):
    uri = "amqp://u:first-secret@127.0.0.1:1/;amqp://u:second-secret@127.0.0.1:2/"
    consumer = SimpleNamespace(amqp_uri=uri)  # what nameko's own line names, masking the first only
    with caplog.at_level(logging.WARNING):
        GuardedQueueConsumer.on_connection_error(consumer, OSError("refused"), 2)

    assert "refused" in caplog.text and "secret" not in caplog.text and uri not in caplog.text
