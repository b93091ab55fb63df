"""Publishing to RabbitMQ with publisher confirms.

Every message CertTrack publishes is JSON, persistent and carries
`message_id` = the body's `event_id` (CONTRACTS.md §1), and `user_id` = the
broker user it was published as, which RabbitMQ vouches for (CONTRACTS.md
§7). `publish` returns only once the broker confirmed it, or raises.
"""
from __future__ import annotations

import json
import threading
from urllib.parse import unquote, urlsplit

from kombu import Connection, Exchange, Producer

from certtrack_shared.config import amqp_addresses

CONTENT_TYPE = "application/json"
# Who first published a message a consumer forwards to itself (a retry, a
# dead letter replayed): trusted only on a message the consumer's own user
# published (consumer.Sender.of).
SENDER_HEADER = "x-certtrack-sender"


def encode(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=str).encode("utf-8")


def broker_user(amqp_uri: str) -> str:
    """The user an AMQP URI (or its first failover address) connects as
    (kombu's default: guest)."""
    return unquote(urlsplit(amqp_addresses(amqp_uri)[0]).username or "guest")


class ConfirmingPublisher:
    """One connection, reused; reconnects when it was lost, to the next node
    of a failover list (`config.amqp_uri`) when its own is gone.

    Not shared across threads: each user (relay, consumer) holds its own.
    """

    def __init__(self, amqp_uri: str, connect_retries: int = 3,
                 confirm_timeout: float | None = None):
        """`connect_retries` (further rounds over every address after the
        first) and `confirm_timeout` (seconds, None: wait as long as the
        broker takes) bound how long a publish may take, for callers that
        answer someone waiting (the gateway's vendor endpoint)."""
        self.amqp_uri = amqp_uri
        self.user = broker_user(amqp_uri)
        # kombu counts each address tried as a retry, and pauses only after a
        # whole round: every round tries every node.
        self.connect_retries = (connect_retries + 1) * len(amqp_addresses(amqp_uri)) - 1
        self.confirm_timeout = confirm_timeout
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._tx: Connection | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> Producer:
        if self._connection is None or not self._connection.connected:
            self.close()
            self._connection = Connection(
                self.amqp_uri, transport_options={"confirm_publish": True}, heartbeat=0
            )
            self._connection.ensure_connection(max_retries=self.connect_retries)
            self._producer = Producer(self._connection.default_channel)
        return self._producer

    def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes | dict,
        message_id: str,
        headers: dict | None = None,
        mandatory: bool = True,
    ) -> None:
        raw = body if isinstance(body, bytes) else encode(body)
        with self._lock:
            try:
                producer = self._ensure()
                producer.publish(
                    raw,
                    exchange=Exchange(exchange) if exchange else "",
                    routing_key=routing_key,
                    content_type=CONTENT_TYPE,
                    content_encoding="utf-8",
                    delivery_mode=2,
                    message_id=message_id,
                    user_id=self.user,
                    headers=headers or {},
                    mandatory=mandatory,
                    declare=[],
                    retry=False,
                    confirm_timeout=self.confirm_timeout,
                )
            except Exception:
                # A half-broken connection must not be reused for the next try.
                self.close()
                raise

    def publish_batch(self, messages: list[tuple]) -> None:
        """Publish (exchange, routing_key, body, message_id[, headers]) tuples in one
        broker transaction: one round trip for the whole batch instead of a
        confirm per message, and the same guarantee — `tx.commit-ok` comes
        only once every message is safely enqueued. Not mandatory: a batch
        must not fail because one event type has no consumer (yet); every
        consuming queue is declared up front by the topology."""
        with self._lock:
            try:
                connection = self._tx_connection()
                channel = connection.default_channel
                producer = Producer(channel)
                for exchange, routing_key, body, message_id, *headers in messages:
                    raw = body if isinstance(body, bytes) else encode(body)
                    producer.publish(
                        raw, exchange=Exchange(exchange) if exchange else "",
                        routing_key=routing_key, content_type=CONTENT_TYPE,
                        content_encoding="utf-8", delivery_mode=2, message_id=message_id,
                        user_id=self.user, headers=(headers[0] if headers else None) or {},
                        declare=[], retry=False,
                    )
                channel.tx_commit()
            except Exception:
                self.close()
                raise

    def _tx_connection(self) -> Connection:
        if self._tx is None or not self._tx.connected:
            if self._tx is not None:
                try:
                    self._tx.release()
                except Exception:
                    pass
            self._tx = Connection(self.amqp_uri, heartbeat=0)
            self._tx.ensure_connection(max_retries=self.connect_retries)
            self._tx.default_channel.tx_select()
        return self._tx

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:
                pass
        self._connection = None
        self._producer = None
        if self._tx is not None:
            try:
                self._tx.release()
            except Exception:
                pass
        self._tx = None
