"""The outbox: a state change and the event (or mail) announcing it commit
together; a relay publishes after commit and marks them sent.

The relay runs in every service process. It is woken right after a worker
commits and also polls, so rows left behind by a crash between commit and
publish go out when the service is back. Publishing is at-least-once (a crash
after publish but before marking re-sends); every consumer is idempotent on
`event_id`, which makes the whole effectively exactly-once.
"""
from __future__ import annotations

import logging
import smtplib
from contextlib import contextmanager
from datetime import datetime, timezone

import amqp.exceptions
import eventlet
import kombu.exceptions
from eventlet.event import Event as GreenEvent
from nameko.extensions import DependencyProvider, Extension, SharedExtension
from sqlalchemy import event as orm_events, select, update

from certtrack_shared import config, production, topology
from certtrack_shared.contracts.envelope import Event
from certtrack_shared.database import find_database
from certtrack_shared.mail import Mail, SmtpTransport
from certtrack_shared.publishing import SENDER_HEADER, ConfirmingPublisher
from certtrack_shared.retries import retry_delays_ms
from certtrack_shared.tables import outbox_messages
from certtrack_shared.topology import service_exchange
from certtrack_shared.tracing import correlation, spans

log = logging.getLogger(__name__)

# What py-amqp and kombu raise when the broker connection is gone or refused.
_BROKER_CONNECTION_ERRORS = (amqp.exceptions.ConnectionError,
                             amqp.exceptions.RecoverableConnectionError,
                             kombu.exceptions.OperationalError)

BATCH = 200


_INSERT_ROW = outbox_messages.insert()
# session.info key of the rows a batch holds back (`written_together`).
_HELD = "certtrack.outbox.held"
# The header a mail carries its correlation id in.
MAIL_CORRELATION_HEADER = "X-CertTrack-Correlation-Id"


def _traced_headers() -> dict | None:
    """What a row sends along: the correlation of the work that wrote it
    and, when tracing, its span's trace context."""
    return spans.inject(correlation.headers()) or None


class OutboxWriter:
    """What a worker sees: adds rows to the worker's own session."""

    def __init__(self, session, service: str, clock=None):
        self.session = session
        self.service = service
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    def publish(self, event: Event, exchange: str | None = None, routing_key: str | None = None):
        # The row as parameters of one statement built once: building
        # `insert().values(...)` per event (and its cache key, which walks the
        # payload) cost more CPU than the database round trip itself.
        self._write(kind="event", message_id=event.event_id,
                    exchange=exchange or service_exchange(self.service),
                    routing_key=routing_key or event.event_type,
                    payload=event.model_dump(mode="json"))

    def republish(self, queue: str, body: str, message_id: str, key: str,
                  sender: str | None = None):
        """Send `body` (JSON text) exactly as given, through `certtrack.queues`
        straight to `queue`, keeping `message_id`: a dead letter replayed.

        `key` names the outbox row (unique per service), since the same
        message_id may be replayed from more than one dead letter. `sender`,
        the broker user that first published it, goes along (the consumer's
        `SENDER_HEADER`): a replay is still that sender's message.
        """
        self._write(kind="message", message_id=key, exchange=topology.QUEUES_EXCHANGE,
                    routing_key=queue,
                    payload={"message_id": message_id, "body": body, "sender": sender})

    def mail(self, mail: Mail):
        self._write(kind="mail", message_id=mail.mail_id, exchange=None, routing_key=None,
                    payload=mail.model_dump(mode="json"))

    def _write(self, **row):
        row.update(created_at=self.clock(), attempts=0, headers=_traced_headers())
        held = self.session.info.get(_HELD)
        if held is not None:
            held.append(row)
        else:
            self.session.execute(_INSERT_ROW, row)


class SavepointRolledBack(Exception):
    """A handler rolled back a savepoint of its own while rows were held:
    which of them the savepoint covered is unknown, so the batch is applied
    again one message at a time."""


@contextmanager
def written_together(session):
    """Hold the outbox rows written inside, and insert them in one statement
    (one round trip) at the end: for a batch of messages applied together,
    whose every message writes one to three rows.

    If the block raises, nothing is written (the caller rolls back). If a
    handler rolled back a savepoint of its own meanwhile, the rows it held
    may include some of that savepoint: `SavepointRolledBack` is raised
    instead of writing, for the caller to roll back and go one by one.
    """
    held = session.info[_HELD] = []
    savepoints_rolled_back = []

    def watch(_session, previous_transaction):
        if previous_transaction.nested:
            savepoints_rolled_back.append(previous_transaction)

    orm_events.listen(session, "after_soft_rollback", watch)
    try:
        yield
        if savepoints_rolled_back:
            raise SavepointRolledBack("a savepoint was rolled back while outbox rows were held")
        if held:
            session.execute(_INSERT_ROW, held)
    finally:
        session.info.pop(_HELD, None)
        orm_events.remove(session, "after_soft_rollback", watch)


class OutboxRelay(Extension):
    """Publishes committed outbox rows. One per service process."""

    def __init__(self):
        self._kick = GreenEvent()
        self._running = False
        self._thread = None

    def setup(self):
        cfg = self.container.config
        self.enabled = str(cfg.get("OUTBOX_RELAY", "on")).lower() not in ("off", "0", "false")
        self.interval = float(cfg.get("OUTBOX_POLL_SECONDS", 1.0))
        self.publisher = ConfirmingPublisher(cfg.get("AMQP_URI") or config.amqp_uri())
        self.mail_transport = SmtpTransport(cfg.get("SMTP_URL"))

    def start(self):
        if not self.enabled:
            log.warning("outbox relay is off (OUTBOX_RELAY=off): nothing will be published")
            return
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="outbox_relay")

    def stop(self):
        self._running = False
        self.kick()
        if self._thread is not None:
            self._thread.wait()
            self._thread = None
        self.publisher.close()

    def kill(self):
        self._running = False
        if self._thread is not None:
            self._thread.kill()
        self.publisher.close()

    def kick(self):
        if not self._kick.ready():
            self._kick.send(True)

    def _run(self):
        failures = 0
        while self._running:
            with eventlet.Timeout(self.interval if not failures else min(30, 2**failures), False):
                self._kick.wait()
            self._kick = GreenEvent()
            if not self._running:
                break
            try:
                while self._running and self.flush() == BATCH:
                    pass
                failures = 0
            except (OSError, *_BROKER_CONNECTION_ERRORS) as error:
                # The broker restarting or out of reach: expected, and said in one line.
                failures += 1
                log.warning("outbox relay cannot reach the broker (%s: %s); retry %s in %ss",
                            type(error).__name__, error, failures, min(30, 2**failures))
            except Exception:
                failures += 1
                log.exception("outbox relay failed (attempt %s); will retry", failures)

    def flush(self) -> int:
        """Send one batch of unsent rows in order; returns how many were sent."""
        database = find_database(self.container)
        with database.new_session() as session:
            rows = session.execute(
                select(outbox_messages)
                .where(outbox_messages.c.sent_at.is_(None))
                .order_by(outbox_messages.c.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            errors: dict[int, str | None] = {}
            events = [row for row in rows if row.kind in ("event", "message")]
            try:
                if events:
                    self.publisher.publish_batch([_outgoing(r) for r in events])
                    errors.update({row.id: None for row in events})
                with self.mail_transport.connection() as smtp:  # one for the batch's mails
                    for row in rows:
                        if row.kind == "mail":
                            with correlation.bound(correlation.usable(
                                    (row.headers or {}).get(correlation.HEADER))):
                                errors[row.id] = self._send_mail(row, smtp)
            finally:
                # Mark what went out, even when a later mail failed.
                sent_at = datetime.now(timezone.utc)
                clean = [row_id for row_id, error in errors.items() if error is None]
                if clean:
                    session.execute(
                        update(outbox_messages).where(outbox_messages.c.id.in_(clean))
                        .values(sent_at=sent_at, attempts=outbox_messages.c.attempts + 1)
                    )
                for row_id, error in errors.items():
                    if error is not None:
                        session.execute(
                            update(outbox_messages).where(outbox_messages.c.id == row_id)
                            .values(sent_at=sent_at, attempts=outbox_messages.c.attempts + 1,
                                    last_error=error)
                        )
                session.commit()
            return len(rows)

    def _send_mail(self, row, smtp) -> str | None:
        mail = Mail.model_validate(row.payload)
        try:
            smtp.send(mail, headers={MAIL_CORRELATION_HEADER: correlation.current()}
                      if correlation.current() else None)
        except smtplib.SMTPRecipientsRefused as exc:
            # Retrying cannot fix a refused address; record and move on.
            log.warning("mail %s refused by the server: %s", row.message_id, exc.recipients)
            return f"recipients refused: {sorted(exc.recipients)}"
        # Not the address or the subject (they name a person): the id finds the row.
        log.info("sent mail %s", mail.mail_id, extra={"mail_id": mail.mail_id})
        return None


def _outgoing(row) -> tuple:
    """(exchange, routing_key, body, message_id, headers) of an outbox row to publish."""
    headers = dict(row.headers or {})
    if row.kind == "message":  # OutboxWriter.republish: the body as it was given
        sender = row.payload.get("sender")
        if sender:
            headers[SENDER_HEADER] = sender
        return (row.exchange, row.routing_key, row.payload["body"].encode("utf-8"),
                row.payload["message_id"], headers or None)
    return (row.exchange, row.routing_key, row.payload, row.message_id, headers or None)


class TopologyDeclaration(SharedExtension):
    """Declares the whole broker topology when any service starts, if its
    broker user may: so with the administrator's account (tests, a single
    developer account) whichever starts first makes the queues exist before
    anything is published to them. A service's own broker user may not, and
    does not need to: the administrator declared the topology first
    (`python -m certtrack_shared.broker_identities apply`, `make run`).
    """

    def setup(self):
        from kombu import Connection

        cfg = self.container.config
        # A service's first connection: production refuses insecure settings before it.
        production.refuse_insecure_settings(
            self.container.service_name, production.service_settings(self.container.service_name, cfg))
        with Connection(cfg.get("AMQP_URI") or config.amqp_uri()) as connection:
            if not topology.declare_if_permitted(connection, retry_delays_ms()):
                log.info("%s's broker user may not declare the topology; the administrator "
                         "declared it", self.container.service_name)


class Outbox(DependencyProvider):
    """Injects an `OutboxWriter` bound to the worker's database session."""

    relay = OutboxRelay()
    broker_topology = TopologyDeclaration()

    def get_dependency(self, worker_ctx) -> OutboxWriter:
        session = find_database(self.container).session_for(worker_ctx)
        return OutboxWriter(session, self.container.service_name)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        # Runs after our entrypoints committed: wake the relay at once.
        if exc_info is None:
            self.relay.kick()
