"""Publishing and reading raw messages on the test vhost."""
from __future__ import annotations

import json
import time
import uuid

from kombu import Connection, Exchange, Queue

from certtrack_shared.broker_identities import DEV_VENDOR, Administrator, DevelopmentUser


def as_user(amqp_uri: str, user: DevelopmentUser) -> str:
    """The test vhost's URI with a development user's credentials."""
    return Administrator(amqp_uri, "").uri_for(user.name, user.password)


def publish_raw(amqp_uri, exchange, routing_key, body, message_id=None,
                content_type="application/json", user: DevelopmentUser | bool | None = None,
                headers: dict | None = None):
    """Publish as the vhost's administrator, except to `vendor.events`: there
    as the development vendor user `vendor-dev` with its `user_id`, as a
    testing vendor publishes (CONTRACTS.md §7), unless `user` names another
    (or is False: the administrator, without a user_id)."""
    publish_many(amqp_uri, exchange, [(routing_key, body, message_id)], content_type, user,
                 headers)


def publish_many(amqp_uri, exchange, messages, content_type="application/json",
                 user: DevelopmentUser | bool | None = None, headers: dict | None = None):
    """(routing_key, body bytes or dict, message_id) in order, with confirms,
    on one connection; who publishes as for `publish_raw`."""
    if user is None and exchange == "vendor.events":
        user = DEV_VENDOR
    uri = as_user(amqp_uri, user) if user else amqp_uri
    identity = {"user_id": user.name} if user else {}
    if headers:
        identity["headers"] = headers
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        for routing_key, body, message_id in messages:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            producer.publish(
                raw, exchange=Exchange(exchange, type="topic", durable=True),
                routing_key=routing_key, content_type=content_type, content_encoding="utf-8",
                delivery_mode=2, message_id=message_id or str(uuid.uuid4()), declare=[],
                **identity,
            )


def capture_queue(amqp_uri, exchange, routing_key, *more_keys) -> str:
    """A fresh durable queue bound to exchange/key (and any more keys): what a
    consumer would see. One queue for several kinds is drained in one quiet
    period instead of one per kind."""
    name = f"capture-{uuid.uuid4().hex[:8]}"
    exchange = Exchange(exchange, type="topic", durable=True)
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        Queue(name, exchange, routing_key=routing_key, durable=True)(channel).declare()
        for key in more_keys:
            Queue(name, exchange, routing_key=key, durable=True)(channel).bind_to(exchange, key)
    return name


def drain(amqp_uri, queue, quiet_seconds=1.0, max_seconds=30.0) -> list[dict]:
    """Every message on the queue, waiting until none arrived for quiet_seconds."""
    found = []
    deadline = time.monotonic() + max_seconds
    last = time.monotonic()
    with Connection(amqp_uri) as connection:
        bound = Queue(queue, no_declare=True)(connection.default_channel)
        while time.monotonic() < deadline and time.monotonic() - last < quiet_seconds:
            message = bound.get(no_ack=False)
            if message is None:
                time.sleep(0.05)
                continue
            found.append({
                "body": message.body.encode(message.content_encoding or "utf-8")
                if isinstance(message.body, str) else bytes(message.body),
                "headers": dict(message.headers or {}),
                "message_id": message.properties.get("message_id"),
                "routing_key": message.delivery_info.get("routing_key"),
                "properties": dict(message.properties),
            })
            message.ack()
            last = time.monotonic()
    return found


def wait_for(predicate, timeout=20.0, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
