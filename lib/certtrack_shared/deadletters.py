"""Dead letters staff can browse, replay (after fixing the data) and discard.

A RabbitMQ queue cannot be browsed without consuming it, so each service
archives the dead letters of its *own* consuming queues into its own
database (docs/decisions/0002-reliable-messaging.md, "Dead letters"):

- `DeadLetterArchive` drains every `<queue>.dlq` of the service's
  `@event_consumer` queues into `dead_letters` and acks only after the
  commit; a redelivered dead letter is archived once (unique on queue,
  message_id and the dead-lettered-at stamp the consumer put on it).
- `list_dead_letters`, `get_dead_letter`, `replay_dead_letter` and
  `discard_dead_letter` are plain functions over the session; replay and
  discard are audited in `dead_letter_audit`.
- A replay validates the (corrected) body against the queue's contract, then
  writes it to the outbox in the same transaction as the status change: both
  commit or neither does. The outbox relay publishes it by the default
  exchange straight to the original queue, with the original `event_id` as
  `message_id`, so the consumer's idempotency still holds: a message that
  was applied meanwhile is not applied again.
- `DeadLetterDesk` is a mixin giving a service the four RPCs.

Errors follow the services' convention: one JSON-object argument (`detail`),
`str(exc)` is that object as JSON; the gateway maps them by class name.
"""
from __future__ import annotations

import base64
import json
import logging
from datetime import datetime, timezone
from typing import Literal, Optional

import eventlet
from kombu import Queue
from nameko.extensions import DependencyProvider, Extension
from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from certtrack_shared.errors import DomainError
from certtrack_shared.consumer import EventConsumer
from certtrack_shared.inbound import RawQueueConsumer, max_body_bytes, truncated
from certtrack_shared.contracts import parse_message
from certtrack_shared.database import find_database
from certtrack_shared.entrypoints import rpc
from certtrack_shared.outbox import Outbox
from certtrack_shared.publishing import SENDER_HEADER
from certtrack_shared.tables import dead_letter_audit, dead_letters
from certtrack_shared.topology import dead_letter_queue

log = logging.getLogger(__name__)

STATUSES = ("held", "replayed", "discarded")
MAX_LIST = 500
MAX_BODY_BYTES = 512 * 1024
# How long the archive waits before handing back a dead letter it could not store.
ARCHIVE_RETRY_SECONDS = 5.0


# -- errors ---------------------------------------------------------------------
class DeadLetterError(DomainError):
    """Base of the dead-letter errors: one JSON-object argument, its `detail`."""


class DeadLetterNotFound(DeadLetterError):
    """No dead letter of this service has this id: `{"dead_letter_id": n}`."""


class DeadLetterAlreadyResolved(DeadLetterError):
    """It was replayed or discarded already: `{"status": …, "resolved_by": …}`."""


class InvalidDeadLetterCorrection(DeadLetterError):
    """The body to replay fails its contract, or changes the event_id: `{"body": why}`."""


class InvalidDeadLetterRequest(DeadLetterError):
    """A field of the request is missing or wrong: `{"reason": …}`, `{"staff": …}`, `{"status": …}`."""


ERRORS = (DeadLetterNotFound, DeadLetterAlreadyResolved, InvalidDeadLetterCorrection,
          InvalidDeadLetterRequest)


# -- replies ----------------------------------------------------------------------
class DeadLetterSummary(BaseModel):
    id: int
    service: str
    queue: str
    exchange: str
    routing_key: str
    message_id: str
    reason: str
    dead_lettered_at: datetime
    archived_at: datetime
    status: Literal["held", "replayed", "discarded"]
    resolved_by: Optional[str] = None
    resolved_at: Optional[datetime] = None
    note: Optional[str] = None


class DeadLetterAuditEntry(BaseModel):
    id: int
    action: Literal["replayed", "discarded"]
    staff: str
    at: datetime
    note: Optional[str] = None
    body_before: Optional[str] = None
    body_after: Optional[str] = None


class DeadLetterDetail(DeadLetterSummary):
    # The body as text when it is UTF-8 (None when it is not), and always as base64.
    body_text: Optional[str]
    body_b64: str
    headers: dict
    audit: list[DeadLetterAuditEntry]


# -- archiving ------------------------------------------------------------------
def json_safe(value):
    """AMQP header values (bytes, datetimes, decimals…) as JSON values."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _text(value) -> str:
    """As text a database column takes: PostgreSQL text cannot hold NUL."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="backslashreplace")
    return str(value or "").replace("\x00", "\\x00")


def _stamp(raw, fallback: datetime) -> datetime:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if isinstance(raw, datetime):
        moment = raw
    else:
        try:
            moment = datetime.fromisoformat(str(raw))
        except (TypeError, ValueError):
            return fallback
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def archive(session: Session, *, queue: str, exchange: str, routing_key: str, body: bytes,
            message_id: str, headers: dict, now: datetime) -> bool:
    """Store one dead letter taken from `<queue>.dlq`; False if it was stored before.

    `@event_consumer` stamps every dead letter with `x-certtrack-dead-lettered-at`;
    with it, a redelivery (the archive crashed between commit and ack) is a
    no-op. A message put on the DLQ by hand without the stamp gets `now`.
    """
    headers = json_safe(dict(headers or {}))
    reason = headers.get("x-certtrack-reason") or "dead-lettered without a recorded reason"
    values = dict(
        queue=queue, exchange=exchange, routing_key=routing_key,
        # Whatever a publisher put there must not make the archive itself fail.
        message_id=_text(message_id)[:200], body=bytes(body), headers=headers,
        reason=_text(reason),
        dead_lettered_at=_stamp(headers.get("x-certtrack-dead-lettered-at"), now),
        archived_at=now, status="held",
    )
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    stored = session.execute(
        dialect_insert(dead_letters).values(**values)
        .on_conflict_do_nothing(index_elements=["queue", "message_id", "dead_lettered_at"])
        .returning(dead_letters.c.id)
    ).first()
    return stored is not None


# -- the staff's functions --------------------------------------------------------
def list_dead_letters(session: Session, service: str, status: str | None = None,
                      limit: int = MAX_LIST) -> list[DeadLetterSummary]:
    """Newest first; `status` one of held, replayed, discarded, or None for all."""
    if status is not None and status not in STATUSES:
        raise InvalidDeadLetterRequest({"status": f"Choose one of {', '.join(STATUSES)}."})
    columns = [dead_letters.c[name] for name in DeadLetterSummary.model_fields if name != "service"]
    query = select(*columns).order_by(dead_letters.c.dead_lettered_at.desc(),
                                      dead_letters.c.id.desc())
    if status is not None:
        query = query.where(dead_letters.c.status == status)
    rows = session.execute(query.limit(max(1, min(int(limit), MAX_LIST)))).all()
    return [_summary(row, service) for row in rows]


def get_dead_letter(session: Session, service: str, dead_letter_id: int) -> DeadLetterDetail:
    row = _row(session, dead_letter_id)
    audit = session.execute(
        select(dead_letter_audit).where(dead_letter_audit.c.dead_letter_id == row.id)
        .order_by(dead_letter_audit.c.id)
    ).all()
    body = bytes(row.body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return DeadLetterDetail(
        **_summary(row, service).model_dump(), body_text=text,
        body_b64=base64.b64encode(body).decode("ascii"), headers=row.headers or {},
        audit=[DeadLetterAuditEntry.model_validate(entry._mapping) for entry in audit],
    )


def replay_dead_letter(session: Session, outbox, service: str, dead_letter_id: int, staff: str,
                       now: datetime, corrected_body: str | None = None,
                       model=None) -> DeadLetterDetail:
    """Send the dead letter (or its corrected body) back to its queue.

    The body must pass the queue's contract (`model`, else the registry's
    for the dead letter's exchange and routing key) and keep the original
    event_id. The status change, the audit entry and the outbox row commit
    together with the caller's transaction.
    """
    staff = _staff(staff)
    row = _held(session, dead_letter_id)
    original = bytes(row.body)
    body, edited = _body_to_replay(original, corrected_body)
    if not edited and (row.headers or {}).get("x-certtrack-truncated"):
        size = (row.headers or {}).get("x-certtrack-original-size")
        raise InvalidDeadLetterCorrection({"body": (
            f"The message was too large ({size} bytes) and only its beginning was kept: "
            "it cannot be replayed as received. Replay it with a corrected body, or discard it.")})
    try:
        event = parse_message(row.exchange, row.routing_key, body.encode("utf-8"), model)
    except ValueError as error:
        problem = "The corrected body" if edited else "The message"
        raise InvalidDeadLetterCorrection(
            {"body": f"{problem} still fails its contract: {error}"[:2000]}) from None
    expected = _original_event_id(original) or row.message_id
    if expected and event.event_id != expected:
        raise InvalidDeadLetterCorrection({"body": (
            f"Keep the event_id {expected!r}: a replay is the same message, so that it is "
            "applied once even if another copy got through.")})
    session.execute(update(dead_letters).where(dead_letters.c.id == row.id).values(
        status="replayed", resolved_by=staff, resolved_at=now,
        note="replayed with a corrected body" if edited else "replayed as received"))
    session.execute(insert(dead_letter_audit).values(
        dead_letter_id=row.id, action="replayed", staff=staff, at=now,
        body_before=_text(original) if edited else None,
        body_after=body if edited else None,
    ))
    outbox.republish(row.queue, body, message_id=event.event_id,
                     key=f"dead-letter-{row.id}-replay",
                     sender=(row.headers or {}).get(SENDER_HEADER) or None)
    log.info("dead letter %s of %s replayed by %s%s", row.id, row.queue, staff,
             " with a corrected body" if edited else "")
    return get_dead_letter(session, service, row.id)


def discard_dead_letter(session: Session, service: str, dead_letter_id: int, staff: str,
                        reason: str, now: datetime) -> DeadLetterDetail:
    """Close the dead letter without applying it; the reason is kept."""
    staff = _staff(staff)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidDeadLetterRequest({"reason": "Say why the message is discarded."})
    if len(reason) > 2000:
        raise InvalidDeadLetterRequest({"reason": "Keep the reason under 2000 characters."})
    row = _held(session, dead_letter_id)
    session.execute(update(dead_letters).where(dead_letters.c.id == row.id).values(
        status="discarded", resolved_by=staff, resolved_at=now, note=reason))
    session.execute(insert(dead_letter_audit).values(
        dead_letter_id=row.id, action="discarded", staff=staff, at=now, note=reason))
    log.info("dead letter %s of %s discarded by %s", row.id, row.queue, staff)
    return get_dead_letter(session, service, row.id)


def _summary(row, service: str) -> DeadLetterSummary:
    fields = {name: getattr(row, name) for name in DeadLetterSummary.model_fields if name != "service"}
    return DeadLetterSummary(service=service, **fields)


def _row(session: Session, dead_letter_id, lock: bool = False):
    try:
        key = int(dead_letter_id)
    except (TypeError, ValueError):
        raise DeadLetterNotFound({"dead_letter_id": str(dead_letter_id)[:40]}) from None
    query = select(dead_letters).where(dead_letters.c.id == key)
    row = session.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise DeadLetterNotFound({"dead_letter_id": key})
    return row


def _held(session: Session, dead_letter_id):
    # Locked: two staff replaying at once must not both send it.
    row = _row(session, dead_letter_id, lock=True)
    if row.status != "held":
        raise DeadLetterAlreadyResolved({"status": row.status, "resolved_by": row.resolved_by})
    return row


def _staff(staff) -> str:
    staff = str(staff or "").strip()
    if not staff or len(staff) > 254:
        raise InvalidDeadLetterRequest({"staff": "Name the staff member acting (their email)."})
    return staff


def _body_to_replay(original: bytes, corrected: str | None) -> tuple[str, bool]:
    """(the JSON text to send, whether staff changed it).

    A "correction" that is the same JSON as the original (the console shows
    it pretty-printed) is no edit: the original bytes go out again.
    """
    if corrected is None or not str(corrected).strip():
        return original.decode("utf-8", errors="replace"), False
    corrected = str(corrected)
    if len(corrected.encode("utf-8")) > MAX_BODY_BYTES:
        raise InvalidDeadLetterCorrection({"body": "The corrected body is too large."})
    try:
        if json.loads(corrected) == json.loads(original.decode("utf-8")):
            return original.decode("utf-8"), False
    except (UnicodeDecodeError, ValueError):
        pass
    return corrected, True


def _original_event_id(original: bytes) -> str | None:
    try:
        parsed = json.loads(original.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    event_id = parsed.get("event_id") if isinstance(parsed, dict) else None
    return event_id.strip() if isinstance(event_id, str) and event_id.strip() else None


# -- Nameko: the archive and the RPCs -------------------------------------------------
class _DeadLetterSource:
    """One `<queue>.dlq` as RawQueueConsumer sees a provider: `queue` + `handle_message`."""

    def __init__(self, archive: "DeadLetterArchive", consumer: EventConsumer):
        self.archive = archive
        self.source_queue = consumer.queue_name
        self.exchange = consumer.exchange
        self.routing_key = consumer.event_type
        self.queue = Queue(dead_letter_queue(self.source_queue), durable=True)

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


def _now() -> datetime:
    return datetime.now(timezone.utc)


class DeadLetterDesk:
    """Mixin: the dead-letter RPCs, for a service with `Database()` and `Outbox()`.

    `class ExamsService(deadletters.DeadLetterDesk): …` — Nameko collects
    inherited entrypoints and dependencies, so the service gets the archive
    and `list_dead_letters`, `get_dead_letter`, `replay_dead_letter`,
    `discard_dead_letter`. Import the module, not the class: `nameko run
    <module>` takes every top-level class with entrypoints for a service.
    The gateway's staff console is the caller and checks the staff session;
    `staff` is who acts, for the audit.
    """

    dead_letter_tools = DeadLetters()

    @rpc(expected_exceptions=ERRORS)
    def list_dead_letters(self, status=None):
        tools = self.dead_letter_tools
        return [item.model_dump(mode="json")
                for item in list_dead_letters(tools.session, tools.service, status)]

    @rpc(expected_exceptions=ERRORS)
    def get_dead_letter(self, dead_letter_id):
        tools = self.dead_letter_tools
        return get_dead_letter(tools.session, tools.service, dead_letter_id).model_dump(mode="json")

    @rpc(expected_exceptions=ERRORS)
    def replay_dead_letter(self, dead_letter_id, staff, corrected_body=None):
        tools = self.dead_letter_tools
        row = _row(tools.session, dead_letter_id)
        return replay_dead_letter(
            tools.session, tools.outbox, tools.service, dead_letter_id, staff, _now(),
            corrected_body=corrected_body, model=tools.model_for(row.queue),
        ).model_dump(mode="json")

    @rpc(expected_exceptions=ERRORS)
    def discard_dead_letter(self, dead_letter_id, staff, reason):
        tools = self.dead_letter_tools
        return discard_dead_letter(
            tools.session, tools.service, dead_letter_id, staff, reason, _now()
        ).model_dump(mode="json")
