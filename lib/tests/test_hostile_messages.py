"""No message and no dropped connection stops a service (issue 12).

Each test sends what an attacker or an unlucky broker would, then a valid
message behind it, and checks that the service is still running (its
container never died) and applied the valid one.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import eventlet
import pytest
from kombu import Connection, Exchange
from sqlalchemy import create_engine, text

from certtrack_shared.inbound import KEPT_BYTES
from sample_service import SampleService
from tests.harness.broker import Vhost
from tests.harness.messages import drain, publish_raw, wait_for

QUEUE = "evt-sample-sample_noted--sample.handle_sample_noted"


def noted(value, **extra):
    return {
        "schema_version": 1,
        "event_id": f"note-{uuid.uuid4()}",
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "value": value,
        **extra,
    }


def count(engine, value) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM samples WHERE value = :v"), {"v": value}).scalar_one()


@pytest.fixture
def vhost():
    created = Vhost().create()
    yield created
    created.delete()


@pytest.fixture
def sample(container_factory, vhost, private_sample, smtp_server):
    _, url = private_sample
    container = container_factory(SampleService, {
        "AMQP_URI": vhost.amqp_uri, "DATABASE_URL": url, "SMTP_URL": smtp_server.url,
        "OUTBOX_POLL_SECONDS": 0.2, "max_workers": 10,
    })
    container.start()
    container.engine = create_engine(url)
    yield container
    container.engine.dispose()


def alive(container) -> bool:
    """Nameko kills the container on an exception it sees; it must never have."""
    return not container._died.ready()


def deep_json(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


HOSTILE_BODIES = {
    # 200 KB: under the size cap, so it reaches the JSON parser.
    "nested-100000-deep": (deep_json(100_000), "nested too deeply"),
    "nested-in-a-field": (
        json.dumps(noted("x"))[:-1].encode() + b', "extra": ' + deep_json(50_000) + b"}",
        "nested too deeply"),
    "invalid-utf8": (b'{"schema_version": 1, "value": "\xff\xfe"}', "not UTF-8"),
    "integer-of-5000-digits": (b'{"schema_version": 1, "n": ' + b"7" * 5000 + b"}",
                               "not acceptable JSON"),
    "number-of-a-million-digits": (b'{"schema_version": 1, "n": ' + b"7" * 1_000_000 + b"}",
                                   "too large"),
    "ten-megabytes": (json.dumps(noted("big", pad="x" * 10 * 1024 * 1024)).encode(), "too large"),
}


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_hostile_body_is_dead_lettered_and_the_next_message_applied(sample, vhost, name):
    raw, reason = HOSTILE_BODIES[name]
    publish_raw(vhost.amqp_uri, "sample.events", "sample_noted", raw, f"hostile-{name}")
    publish_raw(vhost.amqp_uri, "sample.events", "sample_noted", noted(f"after-{name}"))

    wait_for(lambda: count(sample.engine, f"after-{name}") == 1, timeout=15,
             message="the valid message behind the hostile one")
    assert alive(sample)
    dead = wait_for(lambda: drain(vhost.amqp_uri, f"{QUEUE}.dlq", quiet_seconds=0.5))
    assert [d["message_id"] for d in dead] == [f"hostile-{name}"]
    assert reason in dead[0]["headers"]["x-certtrack-reason"]


def test_body_over_the_cap_is_kept_truncated_with_its_size_and_digest(sample, vhost):
    import hashlib

    raw = HOSTILE_BODIES["ten-megabytes"][0]
    publish_raw(vhost.amqp_uri, "sample.events", "sample_noted", raw, "too-big")
    dead = wait_for(lambda: drain(vhost.amqp_uri, f"{QUEUE}.dlq", quiet_seconds=0.5))
    assert dead[0]["body"] == raw[:KEPT_BYTES]
    headers = dead[0]["headers"]
    assert headers["x-certtrack-original-size"] == len(raw)
    assert headers["x-certtrack-original-sha256"] == hashlib.sha256(raw).hexdigest()
    assert count(sample.engine, "big") == 0


@pytest.mark.parametrize("content_type, encoding", [
    ("text/plain", "utf-8"),
    ("application/octet-stream", "binary"),
    ("application/json", "latin-1"),
])
def test_valid_json_under_another_content_type_or_encoding_is_dead_lettered_not_applied(
    sample, vhost, content_type, encoding,
):
    body = noted("declared-otherwise")
    with Connection(vhost.amqp_uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(
            json.dumps(body).encode(), exchange=Exchange("sample.events", type="topic"),
            routing_key="sample_noted", content_type=content_type, content_encoding=encoding,
            delivery_mode=2, message_id=body["event_id"], declare=[])
    publish_raw(vhost.amqp_uri, "sample.events", "sample_noted", noted("after-type"))

    wait_for(lambda: count(sample.engine, "after-type") == 1)
    dead = wait_for(lambda: drain(vhost.amqp_uri, f"{QUEUE}.dlq", quiet_seconds=0.5))
    assert "wrong content" in dead[0]["headers"]["x-certtrack-reason"]
    assert count(sample.engine, "declared-otherwise") == 0
    assert alive(sample)


def test_a_forged_attempt_header_is_retried_as_a_first_attempt(sample, vhost):
    body = noted("forged-attempt", fail_times=1)
    with Connection(vhost.amqp_uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(
            json.dumps(body).encode(), exchange=Exchange("sample.events", type="topic"),
            routing_key="sample_noted", content_type="application/json",
            headers={"x-certtrack-attempt": "not a number"},
            delivery_mode=2, message_id=body["event_id"], declare=[])
    wait_for(lambda: count(sample.engine, "forged-attempt") == 1, timeout=15,
             message="the message applied on its retry")
    assert alive(sample)


def test_connection_dropped_while_a_message_is_handled_keeps_the_service_running(sample, vhost):
    """The broker drops the service's connections (as a restart does) while a
    handler runs; its ack then meets a dead socket. The service must carry
    on, reconnect, and apply the message exactly once when it comes back."""
    wait_for(vhost.connections, timeout=30, message="the broker listing the service's connections")
    body = noted("handled-during-drop", pause_seconds=1.5)
    publish_raw(vhost.amqp_uri, "sample.events", "sample_noted", body, body["event_id"])
    wait_for(lambda: len(sample._worker_threads) > 0, message="the message being handled")
    assert vhost.close_connections() > 0

    wait_for(lambda: count(sample.engine, "handled-during-drop") == 1, timeout=15)
    publish_raw(vhost.amqp_uri, "sample.events", "sample_noted", noted("after-drop"))
    wait_for(lambda: count(sample.engine, "after-drop") == 1, timeout=30,
             message="a message after the service reconnected")
    assert alive(sample)
    assert count(sample.engine, "handled-during-drop") == 1


# -- RPC: the service's RPC queue is as open to a broker client as its events --

def _rpc_request(vhost, body: bytes, content_type="application/json", reply_to=None,
                 method="count"):
    properties = {"content_type": content_type, "content_encoding": "utf-8",
                  "correlation_id": str(uuid.uuid4())}
    if reply_to:
        properties["reply_to"] = reply_to
    with Connection(vhost.amqp_uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(
            body, exchange=Exchange("nameko-rpc", type="topic", durable=True),
            routing_key=f"sample.{method}", declare=[], **properties)


@pytest.mark.parametrize("body, content_type, reply_to", [
    (deep_json(100_000), "application/json", "rpc.reply-hostile"),
    (b'{"args": [], "kwargs": {}}', "application/json", None),
    (b'{"args": [], "kwargs": {}}', "application/x-unknown", "rpc.reply-hostile"),
    (b"[1, 2]", "application/json", "rpc.reply-hostile"),
    (b"\xff\xfe", "application/json", "rpc.reply-hostile"),
    (b'{"args": [1, 2, 3, 4], "kwargs": {}}', "application/json", "rpc.reply-hostile"),
], ids=["nested", "no-reply-to", "unknown-content-type", "array", "not-utf8", "wrong-signature"])
def test_hostile_rpc_request_leaves_the_service_answering(sample, vhost, body, content_type,
                                                           reply_to):
    from nameko.standalone.rpc import ServiceRpcProxy

    _rpc_request(vhost, body, content_type, reply_to)
    with ServiceRpcProxy("sample", {"AMQP_URI": vhost.amqp_uri}, timeout=10) as proxy:
        assert proxy.count() == 0  # behind the hostile request on the same queue
        eventlet.sleep(0.3)
        assert proxy.count() == 0
    assert alive(sample)


def test_an_ack_on_a_socket_the_broker_dropped_is_not_fatal_and_the_message_comes_back(vhost):
    """What a broker restart does to a worker that has just committed: its
    ack meets a dead socket (Nameko's own ack raises BrokenPipeError there,
    which ended the container). The ack is given up and the broker delivers
    the message again, where the processed-event record skips it."""
    import socket

    from kombu import Queue

    from certtrack_shared.inbound import GuardedQueueConsumer

    queue = f"ack-test-{uuid.uuid4().hex[:6]}"
    with Connection(vhost.amqp_uri) as setup:
        Queue(queue, durable=True)(setup.default_channel).declare()
    publish_raw(vhost.amqp_uri, "", queue, b"{}", "ack-me")

    connection = Connection(vhost.amqp_uri)
    message = wait_for(lambda: Queue(queue, no_declare=True)(connection.default_channel)
                       .get(no_ack=False))
    connection.connection.transport.sock.shutdown(socket.SHUT_RDWR)

    GuardedQueueConsumer().ack_message(message)  # must not raise
    GuardedQueueConsumer().requeue_message(message)
    connection.release()

    again = drain(vhost.amqp_uri, queue, quiet_seconds=0.5)
    assert [m["message_id"] for m in again] == ["ack-me"]
