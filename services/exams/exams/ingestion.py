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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certtrack_shared.contracts.identity import RegistrationLinkedV1
from certtrack_shared.contracts.vendor import (
    ExamRegistrationV1,
    ExamResultRevokedV1,
    ExamResultV1,
)

from exams import announcements
from exams.models import PendingRevocation, Registration, Sitting, SittingChange


def lock_registration(session: Session, vendor: str, number: str) -> None:
    """Serialise every change about one (vendor, registration number).

    A registration, its result, a revocation and identity's link arrive on
    different queues and run concurrently. Row locks cannot order them while
    the rows do not exist yet (two transactions each insert what the other
    cannot see, and an announcement is lost), so take a transaction-scoped
    advisory lock on the key first. SQLite serialises writers anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(
            func.hashtextextended(f"{vendor}\x1f{number}", 0))))


def _registration(session: Session, vendor: str, number: str) -> Registration | None:
    return session.scalars(
        select(Registration)
        .where(Registration.vendor == vendor, Registration.registration_number == number)
        .with_for_update()
    ).first()


def _sitting(session: Session, vendor: str, number: str) -> Sitting | None:
    return session.scalars(
        select(Sitting)
        .where(Sitting.vendor == vendor, Sitting.registration_number == number)
        .with_for_update()
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


def record_result(session: Session, outbox, event: ExamResultV1, now: datetime) -> Sitting:
    lock_registration(session, event.vendor, event.registration_number)
    sitting = _sitting(session, event.vendor, event.registration_number)
    registration = _registration(session, event.vendor, event.registration_number)
    first_result = sitting is None
    if first_result:
        sitting = Sitting(
            vendor=event.vendor, registration_number=event.registration_number,
            recorded_at=now, corrections=0, revoked=False,
        )
        session.add(sitting)
    else:
        sitting.corrections += 1
    sitting.program = event.program
    sitting.exam_code = event.exam.code
    sitting.exam_title = event.exam.title
    sitting.taken_at = event.taken_at
    sitting.score = event.score
    sitting.passing_score = event.passing_score
    sitting.result = event.result
    sitting.test_center_id = event.test_center.id
    sitting.test_center_name = event.test_center.name
    sitting.test_center_country = event.test_center.country
    sitting.updated_at = now
    if registration is not None and registration.candidate_id:
        sitting.candidate_id = registration.candidate_id
    session.flush()
    session.add(SittingChange(
        sitting_id=sitting.id, kind="result" if first_result else "correction",
        event_id=event.event_id, payload=event.model_dump(mode="json"), recorded_at=now,
    ))
    if first_result:
        _apply_pending_revocation(session, sitting, now)

    if sitting.candidate_id:
        _announce(outbox, sitting, now, new_result=first_result)
    else:
        outbox.publish(announcements.candidate_reported(
            event.vendor, event.program, event.registration_number, event.candidate, now))
    return sitting


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
