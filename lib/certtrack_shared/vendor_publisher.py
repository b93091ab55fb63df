"""How a vendor publishes (CONTRACTS.md §2 and §7): with pika, publisher
confirms and `mandatory=true`, as its own broker user named in `user_id`.

No service publishes this way. The testing vendor (`deploy/vendor_simulator.py`),
the demo load (`deploy/load_demo.py`) and the ingestion benchmark
(`benchmarks/bench_ingestion.py`) do, so that each publishes exactly as a
vendor does.
"""
from __future__ import annotations

import json
import time

import pika
from pika.exceptions import AMQPConnectionError, ChannelWrongStateError

from certtrack_shared.config import amqp_addresses

# What a publish meets when its node goes away: the connection (and the
# channel with it) is gone, and the message may or may not have arrived. A
# channel the broker closed (a refused permission) is an answer instead.
_NODE_LOST = (AMQPConnectionError, ChannelWrongStateError, ConnectionError)
# How long a publish keeps looking for a node that takes it.
RECONNECT_SECONDS = 60.0


def connection_parameters(amqp_uri: str) -> list[pika.URLParameters]:
    """One pika parameter set per address of a failover list (`config.amqp_uri`)."""
    return [pika.URLParameters(address) for address in amqp_addresses(amqp_uri)]


class VendorPublisher:
    """Publishes as a testing vendor does (CONTRACTS.md §7): as its own broker
    user, naming that user in `user_id`, to `vendor.events`, which it may
    not declare (the exchange exists: CertTrack declared it).

    Given a cluster's nodes, it connects to the first that answers, and when
    its node goes away mid-publish it connects to another and publishes the
    message again, as a vendor resends what was not confirmed: CertTrack
    applies an `event_id` once. A nack or an unroutable message is an
    answer, not a lost node, and is raised."""

    def __init__(self, amqp_uri: str, reconnect_seconds: float = RECONNECT_SECONDS):
        self.parameters = connection_parameters(amqp_uri)
        self.user = self.parameters[0].credentials.username
        self.reconnect_seconds = reconnect_seconds
        self.resends = 0
        self.connection = None
        self.channel = None
        self._connect()

    def _connect(self) -> None:
        self.connection = pika.BlockingConnection(self.parameters)
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.channel.exchange_declare("vendor.events", exchange_type="topic", durable=True,
                                      passive=True)

    def publish(self, key: str, body, event_id: str) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        properties = pika.BasicProperties(
            content_type="application/json", content_encoding="utf-8", delivery_mode=2,
            message_id=event_id, user_id=self.user)
        deadline = time.monotonic() + self.reconnect_seconds
        while True:
            try:
                if self.channel is None:
                    self._connect()
                # With confirms on, basic_publish raises if the broker nacks or
                # returns the message as unroutable (mandatory).
                self.channel.basic_publish("vendor.events", key, raw, properties, mandatory=True)
                return
            except _NODE_LOST:
                self._drop()
                if time.monotonic() > deadline:
                    raise
                self.resends += 1
                time.sleep(0.2)

    def _drop(self) -> None:
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - it is being dropped because it failed
                pass

    def close(self):
        self._drop()
