"""The Nameko side of the archive: drain each `<queue>.dlq` into `dead_letters`.

`DeadLetterArchive` commits each dead letter, then acks it; when the database
cannot take it, it waits and hands the message back. `DeadLetters` is the
dependency provider that brings the archive along and gives a worker of the
desk its session, outbox and the queues' contracts.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import eventlet
from nameko.extensions import DependencyProvider, Extension
from sqlalchemy.orm import Session

from certtrack_shared.consumer import EventConsumer
from certtrack_shared.database import find_database
from certtrack_shared.deadletters.rules import archive
from certtrack_shared.inbound import RawQueueConsumer, max_body_bytes, truncated
from certtrack_shared.outbox import Outbox
from certtrack_shared.topology import dead_letters_of

log = logging.getLogger(__name__)

# How long the archive waits before handing back a dead letter it could not store.
ARCHIVE_RETRY_SECONDS = 5.0


class _DeadLetterSource:
    """One `<queue>.dlq` as RawQueueConsumer sees a provider: `queue` + `handle_message`."""

    def __init__(self, archive: "DeadLetterArchive", consumer: EventConsumer):
        self.archive = archive
        self.source_queue = consumer.queue_name
        self.exchange = consumer.exchange
        self.routing_key = consumer.event_type
        self.queue = dead_letters_of(self.source_queue, passive_exchanges=True)

    def handle_message(self, body, message):
        self.archive.store(self, body, message)


class DeadLetterArchive(Extension):
    """Drains the DLQ of every `@event_consumer` queue of the service into `dead_letters`."""

    queue_consumer = RawQueueConsumer()

    def __init__(self):
        self.sources: list[_DeadLetterSource] = []

    def setup(self):
        consumers = [ep for ep in self.container.entrypoints if isinstance(ep, EventConsumer)]
        self.sources = [_DeadLetterSource(self, consumer) for consumer in consumers]
        for source in self.sources:
            self.queue_consumer.register_provider(source)

    def stop(self):
        # Each unregistration waits for the consumer loop's next turn: wait for all at once.
        pool = eventlet.GreenPool()
        for source in self.sources:
            pool.spawn(self.queue_consumer.unregister_provider, source)
        pool.waitall()

    def kill(self):
        self.sources = []

    def store(self, source: _DeadLetterSource, body: bytes, message):
        """Commit, then ack; on failure, wait and hand the message back."""
        database = find_database(self.container)
        headers = dict(message.headers or {})
        if len(body) > max_body_bytes():
            # Our consumers truncate before dead-lettering; this is a body
            # someone put on the dead-letter queue directly.
            body, cut = truncated(body)
            headers.update(cut)
        try:
            with database.new_session() as session:
                stored = archive(
                    session, queue=source.source_queue, exchange=source.exchange,
                    routing_key=source.routing_key, body=body,
                    message_id=message.properties.get("message_id") or "",
                    headers=headers, now=datetime.now(timezone.utc),
                )
                session.commit()
        except Exception:
            log.exception("could not archive a dead letter of %s; will retry", source.source_queue)
            eventlet.sleep(ARCHIVE_RETRY_SECONDS)
            self.queue_consumer.requeue_message(message)
            return
        if stored:
            log.info("archived a dead letter of %s", source.source_queue)
        self.queue_consumer.ack_message(message)


class DeadLetterTools:
    """What a worker of a DeadLetterDesk sees: its session, outbox and contracts."""

    def __init__(self, session: Session, outbox, service: str, models: dict):
        self.session = session
        self.outbox = outbox
        self.service = service
        self.models = models

    def model_for(self, queue: str):
        consumer = self.models.get(queue)
        return consumer.model if consumer is not None else None


class DeadLetters(DependencyProvider):
    """Archives the service's dead letters; injects `DeadLetterTools` into workers."""

    archive = DeadLetterArchive()

    def get_dependency(self, worker_ctx) -> DeadLetterTools:
        session = find_database(self.container).session_for(worker_ctx)
        outbox = next(
            (p for p in self.container.dependencies if isinstance(p, Outbox)), None)
        if outbox is None:
            raise LookupError(f"{self.container.service_name} needs an Outbox() to replay dead letters")
        consumers = {
            ep.queue_name: ep for ep in self.container.entrypoints if isinstance(ep, EventConsumer)}
        return DeadLetterTools(session, outbox.get_dependency(worker_ctx),
                               self.container.service_name, consumers)
