"""Archive, list, get, replay and discard dead letters: plain functions over a session.

Replay and discard are audited in `dead_letter_audit`. A replay validates the
(corrected) body against the queue's contract, then writes it to the outbox
in the same transaction as the status change: both commit or neither does.
"""
from __future__ import annotations

import base64
import json
import logging
from datetime import datetime, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from certtrack_shared.contracts import parse_message
from certtrack_shared.deadletters.errors import (
    DeadLetterAlreadyResolved,
    DeadLetterNotFound,
    InvalidDeadLetterCorrection,
    InvalidDeadLetterRequest,
)
from certtrack_shared.deadletters.schemas import (
    DeadLetterAuditEntry,
    DeadLetterDetail,
    DeadLetterSummary,
)
from certtrack_shared.publishing import SENDER_HEADER
from certtrack_shared.tables import dead_letter_audit, dead_letters

log = logging.getLogger(__name__)

STATUSES = ("held", "replayed", "discarded")
MAX_LIST = 500
MAX_BODY_BYTES = 512 * 1024


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


_BROKER_REASONS = {
    "delivery_limit": "handed out more often than the queue's delivery limit allows without "
                      "being settled: its consumer may have crashed on it each time",
}


def _broker_death(headers: dict) -> tuple[str | None, str | None]:
    """(reason, time) of the broker's latest dead-lettering in `x-death`, if any."""
    deaths = headers.get("x-death")
    if not isinstance(deaths, list) or not deaths or not isinstance(deaths[0], dict):
        return None, None
    latest = deaths[0]  # the broker puts the latest first
    reason = str(latest.get("reason") or "")
    text = _BROKER_REASONS.get(reason, f"dead-lettered by the broker ({reason[:100]})")
    return text, latest.get("time")


def archive(session: Session, *, queue: str, exchange: str, routing_key: str, body: bytes,
            message_id: str, headers: dict, now: datetime) -> bool:
    """Store one dead letter taken from `<queue>.dlq`; False if it was stored before.

    `@event_consumer` stamps every dead letter with `x-certtrack-dead-lettered-at`;
    with it, a redelivery (the archive crashed between commit and ack) is a
    no-op. One the broker dead-lettered (past the queue's delivery limit)
    carries its reason and time in `x-death` instead. A message put on the
    DLQ by hand without either gets `now`.
    """
    headers = json_safe(dict(headers or {}))
    broker_reason, broker_time = _broker_death(headers)
    reason = (headers.get("x-certtrack-reason") or broker_reason
              or "dead-lettered without a recorded reason")
    values = dict(
        queue=queue, exchange=exchange, routing_key=routing_key,
        # Whatever a publisher put there must not make the archive itself fail.
        message_id=_text(message_id)[:200], body=bytes(body), headers=headers,
        reason=_text(reason),
        dead_lettered_at=_stamp(headers.get("x-certtrack-dead-lettered-at") or broker_time, now),
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


def queue_of(session: Session, dead_letter_id) -> str:
    """The queue the dead letter came from (its contract is that queue's)."""
    return _row(session, dead_letter_id).queue


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
