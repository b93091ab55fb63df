"""`@event_consumer`: reliable consumption of one event type.

Nameko's `event_handler` acks and loses a message whose handler raises, loops
forever with `requeue_on_error`, and crashes the service on an undecodable
body. This entrypoint instead:

- parses the raw body against its contract (`contracts.parse_message`);
  invalid input goes to `<queue>.dlq` with the reason and is acked;
- records the handled `event_id` per handler in the worker's transaction, so
  a redelivered event is acked and skipped, and the record commits or rolls
  back with the handler's own writes;
- commits before acking, so a crash at any point redelivers rather than loses;
- on any other failure (database restarting, a bug) republishes the message
  through a delay queue with growing back-off, and after the last attempt
  dead-letters it with the reason.

A handler raises `PoisonMessage` for input that passed the contract but can
never be applied; it is dead-lettered at once.
"""
from __future__ import annotations

import functools
import logging
import os
from datetime import datetime, timezone

from kombu import Exchange, Queue
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import Entrypoint
from nameko.messaging import QueueConsumer

from certtrack_shared import config
from certtrack_shared.contracts import parse_message
from certtrack_shared.database import Database
from certtrack_shared.publishing import ConfirmingPublisher
from certtrack_shared.tables import processed_events
from certtrack_shared.topology import (
    consumer_queue,
    dead_letter_queue,
    delay_exchange,
)
from certtrack_shared.transaction import commit_worker

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-certtrack-attempt"
DEFAULT_RETRY_DELAYS_MS = (1000, 5000, 30000, 60000, 120000)


def retry_delays_ms() -> tuple[int, ...]:
    """Back-off before each retry, `CONSUMER_RETRY_DELAYS_MS=1000,5000,…`."""
    raw = os.environ.get("CONSUMER_RETRY_DELAYS_MS")
    if not raw:
        return DEFAULT_RETRY_DELAYS_MS
    return tuple(int(part) for part in raw.split(",") if part.strip())


class PoisonMessage(Exception):
    """Input that can never be applied: dead-letter it, do not retry."""


class RawQueueConsumer(QueueConsumer):
    """Hands providers the undecoded message.

    Nameko's QueueConsumer lets kombu decode the body first; a body that is
    not JSON then raises inside the consumer loop and takes the whole
    service down. Here decoding is the provider's job.
    """

    def get_consumers(self, consumer_cls, channel):
        for provider in self._providers:
            consumer = consumer_cls(
                queues=[provider.queue],
                on_message=functools.partial(self._on_raw_message, provider),
                accept=None,
            )
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()

    def _on_raw_message(self, provider, message):
        self.handle_message(provider, raw_body(message), message)


def raw_body(message) -> bytes:
    """The body as the publisher sent it.

    py-amqp decodes a body to str when the message names a content_encoding
    and the decode succeeds; encoding it again gives back the same bytes.
    """
    body = message.body
    if isinstance(body, str):
        return body.encode(message.content_encoding or "utf-8")
    return bytes(body)


class EventConsumer(Entrypoint):
    queue_consumer = RawQueueConsumer()

    def __init__(self, exchange: str, event_type: str, model=None, **kwargs):
        self.exchange = exchange
        self.event_type = event_type
        # Normally the contract registry picks the model; tests of the
        # machinery itself pass one.
        self.model = model
        self.queue = None
        super().__init__(**kwargs)

    @property
    def queue_name(self) -> str:
        return consumer_queue(
            self.exchange, self.event_type, self.container.service_name, self.method_name
        )

    @property
    def handler_key(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def setup(self):
        exchange = Exchange(self.exchange, type="topic", durable=True)
        self.queue = Queue(
            self.queue_name, exchange=exchange, routing_key=self.event_type, durable=True
        )
        self.delays = tuple(
            int(d) for d in retry_delays_ms()
        )
        self.publisher = ConfirmingPublisher(
            self.container.config.get("AMQP_URI") or config.amqp_uri()
        )
        self._declare_side_queues()
        self.queue_consumer.register_provider(self)

    def _declare_side_queues(self):
        from kombu import Connection

        from certtrack_shared.topology import delay_queue

        with Connection(self.container.config.get("AMQP_URI") or config.amqp_uri()) as conn:
            channel = conn.default_channel
            self.queue(channel).declare()
            Queue(dead_letter_queue(self.queue_name), durable=True)(channel).declare()
            for delay in self.delays:
                exchange, queue = delay_queue(delay)
                exchange(channel).declare()
                queue(channel).declare()

    def stop(self):
        self.queue_consumer.unregister_provider(self)
        self.publisher.close()

    # -- receiving -------------------------------------------------------
    def handle_message(self, body, message):
        try:
            event = parse_message(self.exchange, self.event_type, body, self.model)
        except ValueError as exc:
            self._dead_letter(message, f"invalid message: {exc}")
            return
        try:
            self.container.spawn_worker(
                self,
                (event,),
                {},
                context_data={},
                handle_result=functools.partial(self.handle_result, message),
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        exc_info = commit_worker(worker_ctx, exc_info)
        if exc_info is None:
            self.queue_consumer.ack_message(message)
        elif isinstance(exc_info[1], PoisonMessage):
            self._dead_letter(message, f"rejected by handler: {exc_info[1]}")
        else:
            self._retry(message, exc_info[1])
        return result, exc_info

    # -- failure paths ---------------------------------------------------
    def _attempt(self, message) -> int:
        return int((message.headers or {}).get(ATTEMPT_HEADER, 0))

    def _retry(self, message, error: BaseException):
        attempt = self._attempt(message)
        if attempt >= len(self.delays):
            self._dead_letter(
                message, f"failed after {attempt + 1} attempts: {type(error).__name__}: {error}"
            )
            return
        delay = self.delays[attempt]
        headers = dict(message.headers or {})
        headers[ATTEMPT_HEADER] = attempt + 1
        headers["x-certtrack-last-error"] = f"{type(error).__name__}: {error}"[:500]
        log.warning(
            "%s failed (%s); retry %s in %sms", self.handler_key, type(error).__name__,
            attempt + 1, delay,
        )
        self._forward(message, delay_exchange(delay), self.queue_name, headers)

    def _dead_letter(self, message, reason: str):
        headers = dict(message.headers or {})
        headers.update(
            {
                "x-certtrack-reason": reason[:2000],
                "x-certtrack-queue": self.queue_name,
                "x-certtrack-exchange": self.exchange,
                "x-certtrack-routing-key": self.event_type,
                "x-certtrack-dead-lettered-at": datetime.now(timezone.utc).isoformat(),
            }
        )
        log.warning("dead-lettering a message from %s: %s", self.queue_name, reason[:300])
        self._forward(message, "", dead_letter_queue(self.queue_name), headers)

    def _forward(self, message, exchange: str, routing_key: str, headers: dict):
        """Publish (confirmed) then ack; if publishing fails, requeue instead."""
        try:
            self.publisher.publish(
                exchange,
                routing_key,
                raw_body(message),
                message_id=message.properties.get("message_id") or "",
                headers=headers,
            )
        except Exception:
            log.exception("could not forward a message from %s; requeueing", self.queue_name)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


def _database_session(service) -> object:
    for cls in type(service).__mro__:  # a Database declared by a base class counts too
        for name, value in vars(cls).items():
            if isinstance(value, Database):
                return getattr(service, name)
    raise LookupError(f"{type(service).__name__} has no Database dependency")


def _claim(session, handler: str, event_id: str) -> bool:
    """Record that this handler applies this event; False if it already has.

    One round trip: INSERT … ON CONFLICT DO NOTHING. A concurrent delivery of
    the same event waits on the other transaction's row and then sees the
    conflict, so exactly one of them applies it.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - PostgreSQL and SQLite are what CertTrack runs on
        raise RuntimeError(f"no idempotent insert for {dialect}")
    claimed = session.execute(
        dialect_insert(processed_events)
        .values(handler=handler, event_id=event_id, processed_at=datetime.now(timezone.utc))
        .on_conflict_do_nothing(index_elements=["handler", "event_id"])
        .returning(processed_events.c.id)
    ).first()
    return claimed is not None


def event_consumer(exchange: str, event_type: str, **kwargs):
    """Decorate `handle_<event_type>(self, event)` of a service with a Database.

    The handler receives the validated contract model. Its writes, the
    processed-event record and any outbox rows commit together.
    """

    def decorate(method):
        @functools.wraps(method)
        def idempotent(self, event):
            session = _database_session(self)
            handler = f"{type(self).name}.{method.__name__}"
            if not _claim(session, handler, event.event_id):
                log.info("%s already handled %s; skipping", handler, event.event_id)
                return None
            return method(self, event)

        return EventConsumer.decorator(exchange, event_type, **kwargs)(idempotent)

    return decorate
