"""`@event_consumer`: reliable consumption of one event type.

Nameko's `event_handler` acks and loses a message whose handler raises, loops
forever with `requeue_on_error`, and crashes the service on an undecodable
body. This entrypoint instead:

- refuses a body that is not `application/json` UTF-8 or is over the size
  cap, and parses the rest against its contract (`contracts.parse_message`);
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

No exception of a message's reception or settlement reaches Nameko, which
would stop the whole service for it (`inbound.py` says how).
"""
from __future__ import annotations

import functools
from contextlib import contextmanager
from dataclasses import dataclass
import logging
from datetime import datetime, timezone

import eventlet
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import Entrypoint
from sqlalchemy import bindparam, text

from certtrack_shared import config, locks, metrics, outbox
from certtrack_shared.contracts import parse_message
from certtrack_shared.database import Database
from certtrack_shared.inbound import RawQueueConsumer, max_body_bytes, raw_body, refusal, truncated
from certtrack_shared.publishing import SENDER_HEADER, ConfirmingPublisher
# The back-off lives in retries.py; importable from here as before.
from certtrack_shared.retries import DEFAULT_RETRY_DELAYS_MS, retry_delays_ms  # noqa: F401
from certtrack_shared.tables import processed_events
from certtrack_shared.tracing import correlation, spans
from certtrack_shared.topology import (
    QUEUES_EXCHANGE,
    consumer_queue,
    consuming_queues,
    dead_letter_queue,
    delay_exchange,
    ensure_delay_queues,
    ensure_exchanges,
)
from certtrack_shared.transaction import commit_worker

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-certtrack-attempt"
# Messages a hot consumer applies in one transaction (`batch_size=`): enough
# that the commit, the worker and the claims are paid once for many messages,
# few enough that a batch that must be applied again one by one (a failure in
# it) costs little (docs/decisions/0008-exams-ingestion-throughput.md, 0038).
BATCH_SIZE = 20
# How long a message waits before it is requeued when it could not be forwarded.
FORWARD_RETRY_SECONDS = 1.0


class PoisonMessage(Exception):
    """Input that can never be applied: dead-letter it, do not retry."""


@dataclass(frozen=True)
class Sender:
    """Who published a message, as far as the broker vouches: `user_id` is
    the AMQP property RabbitMQ refuses unless it names the publishing
    connection's user (CONTRACTS.md §7); `headers` are what it sent."""

    user_id: str | None
    headers: dict

    @classmethod
    def of(cls, message, own_user: str) -> "Sender":
        """A message this service forwarded to itself (a retry) was published
        as its own user and names the original sender in SENDER_HEADER;
        that header counts only then, since nobody else can publish with
        this service's user_id."""
        headers = dict(message.headers or {})
        user_id = message.properties.get("user_id")
        if user_id and str(user_id) == own_user and SENDER_HEADER in headers:
            user_id = headers[SENDER_HEADER]
        return cls(str(user_id)[:200] if user_id else None, headers)


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
        # Exchanges are declared by the administrator (or checked, for a
        # service's own broker user, which may configure only its queues):
        # hence passive in the queue that the consumer (re)declares.
        self.queue, self.dead_letters = consuming_queues(
            self.queue_name, self.exchange, (self.event_type,), passive_exchanges=True)
        self.delays = tuple(
            int(d) for d in retry_delays_ms()
        )
        self.max_body_bytes = int(
            self.container.config.get("MESSAGE_MAX_BYTES") or max_body_bytes())
        self.publisher = ConfirmingPublisher(
            self.container.config.get("AMQP_URI") or config.amqp_uri()
        )
        self._declare_side_queues()
        self.queue_consumer.register_provider(self)

    def _declare_side_queues(self):
        from kombu import Connection

        with Connection(self.container.config.get("AMQP_URI") or config.amqp_uri()) as conn:
            ensure_exchanges(conn, (self.exchange, QUEUES_EXCHANGE))
            ensure_delay_queues(conn, self.delays)
            channel = conn.default_channel
            self.queue(channel).declare()
            self.dead_letters(channel).declare()

    def stop(self):
        self.queue_consumer.unregister_provider(self)
        self.publisher.close()

    # -- receiving -------------------------------------------------------
    def handle_message(self, body, message):
        """Refuse, parse and start a worker; nothing raised here reaches Nameko."""
        event = self._accept(body, message)
        if event is None:
            return
        try:
            self.container.spawn_worker(
                self,
                (event, Sender.of(message, self.publisher.user)),
                {},
                context_data=_context_of(message, event),
                handle_result=functools.partial(self.handle_result, message),
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def _accept(self, body: bytes, message):
        """The message's event, or None once it has been dead-lettered."""
        reason = refusal(message, body, self.max_body_bytes)
        if reason is None:
            try:
                return parse_message(self.exchange, self.event_type, body, self.model)
            except Exception as exc:  # ValueError from the contract; anything else is ours
                reason = f"invalid message: {exc}"
        # Its log line names the correlation the sender will look for.
        with correlation.bound(correlation.of_message(
                message.headers, message.properties.get("message_id"))):
            self._dead_letter(message, reason)
        return None

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        exc_info = commit_worker(worker_ctx, exc_info)
        try:
            self._settle(message, exc_info, worker_ctx.args[0])
        except Exception:  # noqa: BLE001 - escaping here would end the container
            log.exception("settling a message of %s failed; left to the broker to redeliver",
                          self.queue_name)
        return result, exc_info

    def _settle(self, message, exc_info, event):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            self._consumed(event)
        elif isinstance(exc_info[1], PoisonMessage):
            self._dead_letter(message, f"rejected by handler: {exc_info[1]}")
        else:
            self._retry(message, exc_info[1])

    def _consumed(self, event) -> None:
        metrics.message_settled(self, "consumed")
        # One line per message, as an access log has one per request: with the
        # correlation id on it, the trail of a vendor result through every service.
        log.info("%s handled %s %s", self.handler_key, self.event_type, event.event_id,
                 extra={"event_id": event.event_id, "event_type": self.event_type,
                        "queue": self.queue_name})

    # -- failure paths ---------------------------------------------------
    def _attempt(self, message) -> int:
        try:  # the header is ours, but a publisher may have sent anything in it
            return max(0, int((message.headers or {}).get(ATTEMPT_HEADER, 0)))
        except (TypeError, ValueError):
            return 0

    def _retry(self, message, error: BaseException):
        metrics.message_settled(self, "failed")
        attempt = self._attempt(message)
        if attempt >= len(self.delays):
            self._dead_letter(
                message, f"failed after {attempt + 1} attempts: {type(error).__name__}: {error}"
            )
            return
        delay = self.delays[attempt]
        headers = self._forwarded_headers(message)
        headers[ATTEMPT_HEADER] = attempt + 1
        headers["x-certtrack-last-error"] = f"{type(error).__name__}: {error}"[:500]
        log.warning(
            "%s failed (%s); retry %s in %sms", self.handler_key, type(error).__name__,
            attempt + 1, delay,
        )
        metrics.message_settled(self, "retried")
        self._forward(message, delay_exchange(delay), self.queue_name, headers)

    def _dead_letter(self, message, reason: str):
        """Publish the message to `<queue>.dlq` with the reason, then ack it.

        A body over the size cap is kept truncated: the dead letter is for
        staff to recognise and replay, and a 10 MB body is neither.
        """
        try:
            body = raw_body(message)
            headers = self._forwarded_headers(message)
        except Exception:  # noqa: BLE001 - a message we cannot even read is still settled
            body, headers = b"", {}
        if len(body) > self.max_body_bytes:
            body, cut = truncated(body)
            headers.update(cut)
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
        metrics.message_settled(self, "dead_lettered")
        self._forward(message, QUEUES_EXCHANGE, dead_letter_queue(self.queue_name), headers, body)

    def _forwarded_headers(self, message) -> dict:
        """The message's headers, naming who first sent it (SENDER_HEADER):
        the forwarded copy is published as this service's own user."""
        headers = dict(message.headers or {})
        headers[SENDER_HEADER] = Sender.of(message, self.publisher.user).user_id or ""
        headers.update(correlation.headers())  # the retry stays in its correlation
        return headers

    def _forward(self, message, exchange: str, routing_key: str, headers: dict,
                 body: bytes | None = None):
        """Publish (confirmed) then ack; if publishing fails, requeue instead.

        The pause before the requeue keeps a publish that keeps failing (the
        broker going away, a refused body) from turning into a hot loop; if
        the connection is gone, the requeue is moot and the broker redelivers.
        """
        try:
            self.publisher.publish(
                exchange,
                routing_key,
                raw_body(message) if body is None else body,
                message_id=str(message.properties.get("message_id") or "")[:255],
                headers=headers,
            )
        except Exception as error:  # noqa: BLE001 - see the docstring
            log.warning("could not forward a message from %s (%s: %s); requeueing it in %ss",
                        self.queue_name, type(error).__name__, error, FORWARD_RETRY_SECONDS)
            eventlet.sleep(FORWARD_RETRY_SECONDS)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


class Delivery:
    """One message of a batch, and what became of it."""

    __slots__ = ("event", "message", "sender", "error", "correlation_id")

    def __init__(self, event, message, own_user: str):
        self.event = event
        self.message = message
        self.sender = Sender.of(message, own_user)
        self.error: BaseException | None = None
        # A batch mixes correlations: each delivery is applied and settled in its own.
        self.correlation_id = correlation.of_message(message.headers, event.event_id)


class Batch:
    """Messages that one worker applies in one transaction.

    It takes messages until it is full or its worker starts (`take`), so a
    worker gets whatever was ready when it began, never waits for more.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.deliveries: list[Delivery] = []
        self.taken = False

    @property
    def accepting(self) -> bool:
        return not self.taken and len(self.deliveries) < self.limit

    def add(self, event, message, own_user: str) -> None:
        self.deliveries.append(Delivery(event, message, own_user))

    def take(self) -> list[Delivery]:
        self.taken = True
        return self.deliveries


class BatchEventConsumer(EventConsumer):
    """`@event_consumer(..., batch_size=N)`: up to N ready messages per worker.

    One worker applies the messages that were ready in one transaction, which
    commits once: one commit (and one fsync) and one worker per batch instead
    of per message. Should any message fail, the batch is applied again with
    a savepoint per message (`_apply_batch`). Each message is then settled on
    its own: acked only after the commit; a message whose savepoint failed is
    dead-lettered (PoisonMessage) or retried with back-off, exactly as the
    one-at-a-time consumer does, while the rest of its batch commits. If the
    transaction itself fails (commit refused, connection lost) nothing of the
    batch was applied, and every message of it is retried.

    A crash at any point before the commit leaves every message of the batch
    unacked, so the broker redelivers them and the processed-event records
    (which commit with the batch) keep them from applying twice.
    """

    def __init__(self, exchange: str, event_type: str, model=None, batch_size: int = 50,
                 **kwargs):
        self.batch_size = batch_size
        self._filling: Batch | None = None
        super().__init__(exchange, event_type, model, **kwargs)

    @property
    def prefetch_count(self) -> int:
        # Room for a full batch per worker: a worker spends most of its time
        # waiting on database round trips, so batches must run side by side.
        return self.batch_size * self.container.max_workers

    def handle_message(self, body, message):
        event = self._accept(body, message)
        if event is None:
            return
        if self._filling is not None and self._filling.accepting:
            self._filling.add(event, message, self.publisher.user)
            return
        batch = self._filling = Batch(self.batch_size)
        batch.add(event, message, self.publisher.user)
        try:
            self.container.spawn_worker(
                self, (batch,), {}, context_data={},
                handle_result=functools.partial(self.handle_batch_result, batch),
            )
        except ContainerBeingKilled:
            for delivery in batch.take():
                self.queue_consumer.requeue_message(delivery.message)

    def handle_batch_result(self, batch, worker_ctx, result=None, exc_info=None):
        batch.take()  # a worker that never ran must not keep collecting
        exc_info = commit_worker(worker_ctx, exc_info)
        for delivery in batch.deliveries:
            try:
                with correlation.bound(delivery.correlation_id):
                    self._settle_delivery(delivery, exc_info)
            except Exception:  # noqa: BLE001 - escaping here would end the container
                log.exception("settling a message of %s failed; left to the broker to "
                              "redeliver", self.queue_name)
        return result, exc_info

    def _settle_delivery(self, delivery: Delivery, exc_info) -> None:
        if isinstance(delivery.error, PoisonMessage):
            self._dead_letter(delivery.message, f"rejected by handler: {delivery.error}")
        elif exc_info is not None:  # nothing of the batch committed
            self._retry(delivery.message, exc_info[1])
        elif delivery.error is not None:
            self._retry(delivery.message, delivery.error)
        else:
            self.queue_consumer.ack_message(delivery.message)
            self._consumed(delivery.event)


def _apply_batch(apply_one, session, batch: Batch, handler: str = "batch",
                 lock_keys=None) -> None:
    """Apply the batch's deliveries in the worker's transaction.

    Optimistically all together first: the batch's advisory locks taken in
    one statement (`lock_keys(event)`, the parts of each message's key, when
    given), its processed-event records claimed in one, its outbox rows
    written in one, no savepoints: three or four round trips fewer per
    message. If any of them fails, the transaction is rolled back and the batch applied again with a savepoint
    per delivery (`_apply_each`), so the failure stays with its own delivery
    and the others commit. A handler must therefore write only through the
    session (and the outbox, which is the session): that is what makes
    running it again harmless.
    """
    deliveries = batch.take()
    try:
        keys = [lock_keys(d.event) for d in deliveries] if lock_keys else []
        with outbox.written_together(session), locks.held_together(session, keys):
            claimed = _claim_all(session, handler, [d.event.event_id for d in deliveries])
            for delivery in deliveries:
                with _delivered(delivery, handler):
                    # A second copy of an event in the same batch finds it claimed.
                    first = delivery.event.event_id in claimed
                    claimed.discard(delivery.event.event_id)
                    apply_one(delivery.event, delivery.sender, claimed=first)
        session.flush()
        return
    except Exception as error:
        log.info("a batch of %s failed as a whole (%s); applying each on its own",
                 len(deliveries), type(error).__name__)
        session.rollback()  # if even this fails, the whole batch is retried
    _apply_each(apply_one, session, deliveries, handler)


def _apply_each(apply_one, session, deliveries: list[Delivery], handler: str = "batch") -> None:
    """Each delivery in a savepoint: a failure rolls back that delivery only
    and is recorded for `handle_batch_result`. If even the rollback fails,
    the transaction is unusable: the error propagates and the whole batch is
    retried."""
    for delivery in deliveries:
        with _delivered(delivery, handler):
            _apply_in_savepoint(apply_one, session, delivery)


def _apply_in_savepoint(apply_one, session, delivery: Delivery) -> None:
    savepoint = session.begin_nested()
    try:
        apply_one(delivery.event, delivery.sender)
        session.flush()  # a refused write belongs to this delivery, not the next
    except Exception as error:
        savepoint.rollback()
        delivery.error = error
        if not isinstance(error, PoisonMessage):
            log.warning("applying %s failed (%s: %s); it will be retried",
                        delivery.event.event_id, type(error).__name__, error)
    else:
        savepoint.commit()


def _trace_context(message) -> dict:
    """The W3C trace context a traced sender put in the message's headers."""
    return {key: value for key in ("traceparent", "tracestate")
            if isinstance(value := (message.headers or {}).get(key), str)}


def _context_of(message, event) -> dict:
    """The worker's context data: the message's correlation, and its trace
    context when the sender traced it (`tracing/worker.py` reads both)."""
    return {correlation.CONTEXT_KEY: correlation.of_message(message.headers, event.event_id),
            **_trace_context(message)}


@contextmanager
def _delivered(delivery: Delivery, handler: str):
    """While one delivery of a batch is applied: its own correlation, and a
    span of its own, the child of its sender's when the sender traced it,
    else of the batch's worker span."""
    with correlation.bound(delivery.correlation_id):
        span = spans.start(f"{handler} message", "consumer",
                           headers=_trace_context(delivery.message) or None,
                           attributes={"certtrack.correlation_id": delivery.correlation_id,
                                       "messaging.message.id": delivery.event.event_id})
        try:
            yield
        except BaseException as error:
            span.end(error)
            raise
        span.end(delivery.error)


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
    claimed = session.execute(
        _CLAIM, {"handler": handler, "event_id": event_id, "at": datetime.now(timezone.utc)}
    ).first()
    return claimed is not None


def _claim_all(session, handler: str, event_ids: list[str]) -> set[str]:
    """`_claim` for a batch in one statement: the ids this transaction claimed."""
    parameters = {"handler": handler, "at": datetime.now(timezone.utc)}
    parameters.update({f"event_id_{index}": event_id for index, event_id in enumerate(event_ids)})
    return set(session.execute(_claims(len(event_ids)), parameters).scalars())


# Plain SQL, which PostgreSQL and SQLite (3.35+) both speak: SQLAlchemy cannot
# cache a compiled dialect-specific ON CONFLICT insert, and compiling it anew
# for every message was a tenth of a consumer's CPU time.
_CLAIM = text(
    f"INSERT INTO {processed_events.name} (handler, event_id, processed_at)"
    " VALUES (:handler, :event_id, :at)"
    " ON CONFLICT (handler, event_id) DO NOTHING RETURNING id"
).bindparams(bindparam("at", type_=processed_events.c.processed_at.type))


@functools.lru_cache(maxsize=256)
def _claims(count: int):
    """`_CLAIM` for `count` events (one statement per batch size, built once)."""
    rows = ", ".join(f"(:handler, :event_id_{index}, :at)" for index in range(count))
    return text(
        f"INSERT INTO {processed_events.name} (handler, event_id, processed_at) VALUES {rows}"
        " ON CONFLICT (handler, event_id) DO NOTHING RETURNING event_id"
    ).bindparams(bindparam("at", type_=processed_events.c.processed_at.type))


def event_consumer(exchange: str, event_type: str, batch_size: int | None = None,
                   sender_check=None, batch_locks=None, **kwargs):
    """Decorate `handle_<event_type>(self, event)` of a service with a Database.

    The handler receives the validated contract model. Its writes, the
    processed-event record and any outbox rows commit together.

    `batch_size=N` (opt-in) applies up to N ready messages per worker in one
    transaction, a savepoint each (`BatchEventConsumer`): for a high-volume
    queue whose handler is short. The handler is still called once per event
    and must not commit; it must not rely on being alone in its transaction
    (an ORM object it loaded may have been changed by an earlier event of the
    batch through Core: load with `populate_existing`).

    `batch_locks(event)`, for a batched handler that takes an advisory lock
    per event: the parts of that lock's key, so that a batch takes all its
    locks in one statement (`locks.held_together`).

    `sender_check(service, event, sender)`, if given, runs first in the
    worker's transaction and raises `PoisonMessage` for a message its
    publisher (`Sender`) may not send: it is dead-lettered with the reason.
    """

    def decorate(method):
        def apply_once(self, event, sender=None, claimed=None):
            """`claimed`: whether the batch's claim (`_claim_all`) recorded
            this event; None to claim it here."""
            if sender_check is not None:
                sender_check(self, event, sender)
            session = _database_session(self)
            handler = f"{type(self).name}.{method.__name__}"
            if claimed is None:
                claimed = _claim(session, handler, event.event_id)
            if not claimed:
                log.info("%s already handled %s; skipping", handler, event.event_id)
                return None
            return method(self, event)

        if batch_size:
            @functools.wraps(method)
            def batched(self, batch):
                _apply_batch(functools.partial(apply_once, self), _database_session(self), batch,
                             f"{type(self).name}.{method.__name__}", batch_locks)

            return BatchEventConsumer.decorator(
                exchange, event_type, batch_size=batch_size, **kwargs)(batched)

        return EventConsumer.decorator(exchange, event_type, **kwargs)(
            functools.wraps(method)(apply_once))

    return decorate
