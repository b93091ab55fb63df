"""Rules for what vendors tell us: registrations, results, corrections, revocations.

Every function takes the worker's session, the outbox and the current time;
none talks to the broker or reads the clock itself.

A sitting is keyed by (vendor, registration number). A second result for the
same key under a different event_id is a correction: it is recorded in the
sitting's history and the latest one processed wins. Which candidate a
sitting belongs to is identity's answer (`registration_linked`); until it
arrives the sitting is stored but not announced.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, bindparam, select, text
from sqlalchemy.orm import Session

from certtrack_shared.contracts.identity import RegistrationLinkedV1
from certtrack_shared.contracts.vendor import (
    ExamRegistrationV1,
    ExamResultRevokedV1,
    ExamResultV1,
)
from certtrack_shared.locks import advisory_lock

from exams.handlers import announcements
from exams.models import PendingRevocation, Registration, Sitting, SittingChange


def registration_key(event) -> tuple[str, str]:
    """What `lock_registration` locks for an event about a registration:
    for a batch to take its messages' locks together (decision 0038)."""
    return event.vendor, event.registration_number


def lock_registration(session: Session, vendor: str, number: str) -> None:
    """Serialise every change about one (vendor, registration number).

    A registration, its result, a revocation and identity's link arrive on
    different queues and run concurrently. Row locks cannot order them while
    the rows do not exist yet (two transactions each insert what the other
    cannot see, and an announcement is lost), so take a transaction-scoped
    advisory lock on the key first.
    """
    advisory_lock(session, vendor, number)


def _registration(session: Session, vendor: str, number: str) -> Registration | None:
    return session.scalars(
        select(Registration)
        .where(Registration.vendor == vendor, Registration.registration_number == number)
        .with_for_update()
        # Fresh from the database: in a batch, an earlier message may have
        # changed the row through Core, behind the identity map's back.
        .execution_options(populate_existing=True)
    ).first()


def _sitting(session: Session, vendor: str, number: str) -> Sitting | None:
    return session.scalars(
        select(Sitting)
        .where(Sitting.vendor == vendor, Sitting.registration_number == number)
        .with_for_update()
        # Fresh from the database: in a batch, an earlier message may have
        # changed the row through Core, behind the identity map's back.
        .execution_options(populate_existing=True)
    ).first()


def record_registration(session: Session, outbox, event: ExamRegistrationV1, now: datetime):
    lock_registration(session, event.vendor, event.registration_number)
    registration = _registration(session, event.vendor, event.registration_number)
    if registration is None:
        registration = Registration(
            vendor=event.vendor, registration_number=event.registration_number,
        )
        session.add(registration)
    registration.program = event.program
    registration.exam_code = event.exam.code
    registration.exam_title = event.exam.title
    registration.scheduled_at = event.scheduled_at
    registration.reported_candidate = event.candidate.model_dump(mode="json")
    registration.updated_at = now
    session.flush()
    outbox.publish(announcements.candidate_reported(
        event.vendor, event.program, event.registration_number, event.candidate, now))


def record_result(session: Session, outbox, event: ExamResultV1, now: datetime):
    """Store the result (new sitting or correction) and announce it.

    The hot path of ingestion, so it is one statement after the lock (see
    `_RECORD_RESULT`) instead of the ORM's selects, inserts and flushes.
    Returns the stored sitting's row.
    """
    lock_registration(session, event.vendor, event.registration_number)
    stored = session.execute(_RECORD_RESULT, {
        "vendor": event.vendor, "registration_number": event.registration_number,
        "program": event.program, "exam_code": event.exam.code, "exam_title": event.exam.title,
        "taken_at": event.taken_at, "score": event.score, "passing_score": event.passing_score,
        "result": event.result, "test_center_id": event.test_center.id,
        "test_center_name": event.test_center.name,
        "test_center_country": event.test_center.country, "now": now,
        "event_id": event.event_id, "payload": event.model_dump(mode="json"),
    }).one()
    first_result = stored.corrections == 0
    if first_result and stored.pending_revocation_id is not None:
        # Rare (a revocation overtook its result): the ORM reads clearer than speed matters.
        sitting = session.get(Sitting, stored.id, populate_existing=True)
        _apply_pending_revocation(session, sitting, now)
        session.flush()
        stored = sitting
    if stored.candidate_id:
        _announce(outbox, stored, now, new_result=first_result)
    else:
        outbox.publish(announcements.candidate_reported(
            event.vendor, event.program, event.registration_number, event.candidate, now))
    return stored


# The sitting, its history row and whether a revocation waits for it, in one
# round trip (written as SQL: SQLAlchemy cannot cache a compiled PostgreSQL
# ON CONFLICT statement, and compiling it anew per message cost more than
# the statement itself):
# - a first result inserts the sitting (`corrections` 0); a later one for the
#   same (vendor, registration number) is a correction: it updates the row in
#   place, counts one more correction and keeps `recorded_at` (latest wins);
# - the candidate is the linked registration's if identity has answered,
#   else whoever the sitting already had;
# - the history row (`result` or `correction`) is a data-modifying CTE, which
#   PostgreSQL runs whether or not the outer query reads it.
# The caller holds the registration's advisory lock, so the registration and
# pending revocation read here cannot change before commit.
_RECORD_RESULT = text("""
WITH stored AS (
    INSERT INTO sittings (
        vendor, registration_number, program, candidate_id, exam_code, exam_title, taken_at,
        score, passing_score, result, test_center_id, test_center_name, test_center_country,
        revoked, corrections, recorded_at, updated_at)
    VALUES (
        :vendor, :registration_number, :program,
        (SELECT candidate_id FROM registrations
          WHERE vendor = :vendor AND registration_number = :registration_number),
        :exam_code, :exam_title, :taken_at, :score, :passing_score, :result,
        :test_center_id, :test_center_name, :test_center_country, false, 0, :now, :now)
    ON CONFLICT (vendor, registration_number) DO UPDATE SET
        program = excluded.program,
        candidate_id = coalesce(excluded.candidate_id, sittings.candidate_id),
        exam_code = excluded.exam_code, exam_title = excluded.exam_title,
        taken_at = excluded.taken_at, score = excluded.score,
        passing_score = excluded.passing_score, result = excluded.result,
        test_center_id = excluded.test_center_id, test_center_name = excluded.test_center_name,
        test_center_country = excluded.test_center_country,
        corrections = sittings.corrections + 1, updated_at = excluded.updated_at
    RETURNING *
), history AS (
    INSERT INTO sitting_changes (sitting_id, kind, event_id, payload, recorded_at)
    SELECT id, CASE WHEN corrections = 0 THEN 'result' ELSE 'correction' END,
           :event_id, :payload, :now
      FROM stored
)
SELECT stored.*, pending_revocations.id AS pending_revocation_id
  FROM stored
  LEFT JOIN pending_revocations USING (vendor, registration_number)
""").bindparams(bindparam("payload", type_=JSON))


def record_revocation(session: Session, outbox, event: ExamResultRevokedV1, now: datetime):
    lock_registration(session, event.vendor, event.registration_number)
    sitting = _sitting(session, event.vendor, event.registration_number)
    if sitting is None:
        # Shuffled delivery: keep it until the result it withdraws arrives.
        pending = session.scalars(select(PendingRevocation).where(
            PendingRevocation.vendor == event.vendor,
            PendingRevocation.registration_number == event.registration_number,
        )).first()
        if pending is None:
            session.add(PendingRevocation(
                vendor=event.vendor, registration_number=event.registration_number,
                event_id=event.event_id, reason=event.reason, revoked_at=event.revoked_at,
            ))
        return None
    session.add(SittingChange(
        sitting_id=sitting.id, kind="revocation", event_id=event.event_id,
        payload=event.model_dump(mode="json"), recorded_at=now,
    ))
    if not sitting.revoked:
        _revoke(sitting, event.reason, event.revoked_at, now)
        if sitting.candidate_id:
            outbox.publish(announcements.sitting_revoked(sitting, now))
    return sitting


def link_registration(session: Session, outbox, event: RegistrationLinkedV1, now: datetime):
    """Identity says whose registration this is: attach and announce its sittings."""
    lock_registration(session, event.vendor, event.registration_number)
    registration = _registration(session, event.vendor, event.registration_number)
    if registration is None:
        registration = Registration(
            vendor=event.vendor, registration_number=event.registration_number,
            program="", reported_candidate={},
        )
        session.add(registration)
    registration.candidate_id = event.candidate_id
    registration.updated_at = now
    sitting = _sitting(session, event.vendor, event.registration_number)
    if sitting is not None and sitting.candidate_id != event.candidate_id:
        sitting.candidate_id = event.candidate_id
        sitting.updated_at = now
        _announce(outbox, sitting, now, new_result=True)


def _announce(outbox, sitting: Sitting, now: datetime, new_result: bool):
    if sitting.revoked:
        outbox.publish(announcements.sitting_revoked(sitting, now))
        return
    outbox.publish(announcements.sitting_result(sitting, now))
    if new_result:
        outbox.publish(announcements.results_available(
            sitting.candidate_id, [sitting.exam_code], now))


def _apply_pending_revocation(session: Session, sitting: Sitting, now: datetime):
    pending = session.scalars(select(PendingRevocation).where(
        PendingRevocation.vendor == sitting.vendor,
        PendingRevocation.registration_number == sitting.registration_number,
    )).first()
    if pending is None:
        return
    session.add(SittingChange(
        sitting_id=sitting.id, kind="revocation", event_id=pending.event_id,
        payload={"reason": pending.reason, "revoked_at": pending.revoked_at.isoformat()},
        recorded_at=now,
    ))
    _revoke(sitting, pending.reason, pending.revoked_at, now)
    session.delete(pending)


def _revoke(sitting: Sitting, reason: str, revoked_at: datetime, now: datetime):
    sitting.revoked = True
    sitting.revoked_reason = reason
    sitting.revoked_at = revoked_at
    sitting.updated_at = now
