#!/usr/bin/env python3
"""A stand-in for the fulfillment warehouse (CONTRACTS.md §3 and §4).

Consumes `warehouse.orders` (`order_placed`, `order_cancelled`) and answers on
`warehouse.events`, as the real warehouse does:

- an order is shipped `--ship-after` seconds after it arrived: `order_shipped`
  with a carrier and, for tracked shipping, a tracking number (null for
  standard); `--deliver-after` seconds later `order_delivered`;
- a `--reject-fraction` of orders is answered `order_rejected` instead of
  being shipped ("undeliverable address");
- an `order_cancelled` that arrives before the order shipped stops it.

Every answer is published persistent, as JSON, with `message_id` equal to its
`event_id`, mandatory and with publisher confirms. An order message is acked
only after its last answer (delivered, rejected, or not shipped because
cancelled) was confirmed, so a simulator stopped half way gets the order
again and answers it again; the service applies a fact once.

Environment defaults (so `make run` needs no arguments): AMQP_URI,
WAREHOUSE_SHIP_AFTER (30), WAREHOUSE_DELIVER_AFTER (60),
WAREHOUSE_REJECT_FRACTION (0.05).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
import secrets
import string
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pika
from pika.exceptions import AMQPConnectionError, AMQPError, UnroutableError

log = logging.getLogger("warehouse_simulator")

ORDERS_QUEUE = "warehouse.orders"
ORDERS_EXCHANGE = "fulfillment.events"
EVENTS_EXCHANGE = "warehouse.events"
PREFETCH = 10000  # orders wait here until answered; the broker must not hold them back


@dataclass
class Pending:
    order_id: str
    tracked: bool
    delivery_tags: list[int] = field(default_factory=list)
    cancelled: bool = False


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def tracking_number() -> str:
    return "1Z" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))


class Warehouse:
    def __init__(self, channel, ship_after: float, deliver_after: float, reject_fraction: float,
                 rng: random.Random, user: str):
        self.channel = channel
        self.user = user  # the AMQP user_id of every answer, as RabbitMQ checks it
        self.connection = channel.connection
        self.ship_after = ship_after
        self.deliver_after = deliver_after
        self.reject_fraction = reject_fraction
        self.rng = rng
        self.pending: dict[str, Pending] = {}

    # -- incoming ----------------------------------------------------------------------
    def on_message(self, channel, method, properties, body: bytes) -> None:
        kind = method.routing_key
        try:
            message = json.loads(body)
            order_id = message["order_id"]
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a message that is not an order: %r", body[:200])
            channel.basic_ack(method.delivery_tag)
            return
        if kind == "order_cancelled":
            pending = self.pending.get(order_id)
            if pending is None:  # shipped already (or never seen): nothing left to stop
                channel.basic_ack(method.delivery_tag)
                return
            pending.cancelled = True
            # Acked with the order, not before: a simulator stopped now gets both back
            # (in their order) and still does not ship the cancelled order.
            pending.delivery_tags.append(method.delivery_tag)
            log.info("%s cancelled before shipping: it will not ship", order_id)
            return
        if kind != "order_placed":
            channel.basic_ack(method.delivery_tag)
            return
        pending = self.pending.get(order_id)
        if pending is not None:  # the same order again (a redelivery): answer once
            pending.delivery_tags.append(method.delivery_tag)
            return
        tracked = (message.get("shipping") or {}).get("method") == "tracked"
        self.pending[order_id] = Pending(order_id, tracked, [method.delivery_tag])
        log.info("%s received (%s shipping); ships in %ss", order_id, "tracked" if tracked else "standard",
                 self.ship_after)
        self.connection.call_later(self.ship_after, lambda: self.ship(order_id))

    # -- answers -----------------------------------------------------------------------
    def ship(self, order_id: str) -> None:
        pending = self.pending[order_id]
        if pending.cancelled:
            self.finish(pending)
            return
        if self.rng.random() < self.reject_fraction:
            self.publish("order_rejected", {"order_id": order_id, "reason": "undeliverable address"})
            self.finish(pending)
            return
        carrier = "UPS" if pending.tracked else "USPS"
        self.publish("order_shipped", {"order_id": order_id, "shipped_at": now_iso(), "carrier": carrier,
                                       "tracking_number": tracking_number() if pending.tracked else None})
        self.connection.call_later(self.deliver_after, lambda: self.deliver(order_id))

    def deliver(self, order_id: str) -> None:
        pending = self.pending[order_id]
        self.publish("order_delivered", {"order_id": order_id, "delivered_at": now_iso()})
        self.finish(pending)

    def finish(self, pending: Pending) -> None:
        for tag in pending.delivery_tags:
            self.channel.basic_ack(tag)
        del self.pending[pending.order_id]

    def publish(self, event_type: str, body: dict) -> None:
        event_id = f"wh-{uuid.uuid4()}"
        payload = {"schema_version": 1, "event_id": event_id, **body}
        # In confirm mode basic_publish returns once the broker confirmed, and
        # raises if it nacked or could not route the message (mandatory).
        self.channel.basic_publish(
            EVENTS_EXCHANGE, event_type, json.dumps(payload).encode("utf-8"),
            pika.BasicProperties(content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                                 message_id=event_id, user_id=self.user),
            mandatory=True,
        )
        log.info("%s: %s %s", body["order_id"], event_type,
                 body.get("tracking_number") or body.get("reason") or "")


def declare(channel) -> None:
    """Check the part of the topology this process uses: the warehouse's
    broker user may read its queue and publish its events, never configure
    them (CONTRACTS.md §7); CertTrack declared them."""
    channel.exchange_declare(EVENTS_EXCHANGE, exchange_type="topic", durable=True, passive=True)
    channel.queue_declare(ORDERS_QUEUE, durable=True, passive=True)


def run(args) -> None:
    rng = random.Random(args.seed)
    while True:
        try:
            parameters = pika.URLParameters(args.amqp_uri)
            connection = pika.BlockingConnection(parameters)
        except AMQPConnectionError:
            log.warning("broker not reachable at the moment; retrying in 2s")
            time.sleep(2)
            continue
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            declare(channel)
            channel.basic_qos(prefetch_count=PREFETCH)
            warehouse = Warehouse(channel, args.ship_after, args.deliver_after, args.reject_fraction, rng,
                                  parameters.credentials.username)
            channel.basic_consume(ORDERS_QUEUE, warehouse.on_message)
            log.info("warehouse simulator consuming %s (ship after %ss, deliver after %ss, reject %.0f%%)",
                     ORDERS_QUEUE, args.ship_after, args.deliver_after, args.reject_fraction * 100)
            channel.start_consuming()
        except UnroutableError:
            log.exception("an answer could not be routed; reconnecting (the order comes back)")
        except AMQPError:
            log.warning("lost the broker connection; reconnecting (unanswered orders come back)")
        finally:
            try:
                connection.close()
            except AMQPError:
                pass
        time.sleep(1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-uri", default=os.environ.get(
        "AMQP_URI", "amqp://warehouse-dev:warehouse-dev@127.0.0.1:5672/"),
        help="the warehouse's broker user (default: the development one)")
    parser.add_argument("--ship-after", type=float, default=float(os.environ.get("WAREHOUSE_SHIP_AFTER", 30)))
    parser.add_argument("--deliver-after", type=float,
                        default=float(os.environ.get("WAREHOUSE_DELIVER_AFTER", 60)))
    parser.add_argument("--reject-fraction", type=float,
                        default=float(os.environ.get("WAREHOUSE_REJECT_FRACTION", 0.05)))
    parser.add_argument("--seed", type=int, default=None, help="for a repeatable choice of rejections")
    args = parser.parse_args(argv)
    if not 0 <= args.reject_fraction <= 1:
        parser.error("--reject-fraction is a fraction between 0 and 1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stdout)
    try:
        run(args)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
