"""How a vendor publishes (CONTRACTS.md §2 and §7): with pika, publisher
confirms and `mandatory=true`, as its own broker user named in `user_id`.

No service publishes this way. The testing vendor (`deploy/vendor_simulator.py`),
the demo load (`deploy/load_demo.py`) and the ingestion benchmark
(`benchmarks/bench_ingestion.py`) do, so that each publishes exactly as a
vendor does.
"""
from __future__ import annotations

import json

import pika


class VendorPublisher:
    """Publishes as a testing vendor does (CONTRACTS.md §7): as its own broker
    user, naming that user in `user_id`, to `vendor.events`, which it may
    not declare (the exchange exists: CertTrack declared it)."""

    def __init__(self, amqp_uri: str):
        parameters = pika.URLParameters(amqp_uri)
        self.user = parameters.credentials.username
        self.connection = pika.BlockingConnection(parameters)
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.channel.exchange_declare("vendor.events", exchange_type="topic", durable=True,
                                      passive=True)

    def publish(self, key: str, body, event_id: str) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        # With confirms on, basic_publish raises if the broker nacks or
        # returns the message as unroutable (mandatory).
        self.channel.basic_publish(
            "vendor.events", key, raw,
            pika.BasicProperties(content_type="application/json", content_encoding="utf-8",
                                 delivery_mode=2, message_id=event_id, user_id=self.user),
            mandatory=True,
        )

    def close(self):
        self.connection.close()
