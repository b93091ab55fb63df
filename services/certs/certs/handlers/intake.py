"""The events certs consumes: store the fact, then re-evaluate the candidate.

Facts are stored as told: candidates (identity), sittings (exams). Events
of one sitting arrive on three queues (`exam_passed`, `exam_failed`,
`sitting_revoked`) and so may arrive in any order: a revocation is final
(exams never un-revokes), and of two results the one exams announced later
(`occurred_at`) wins.

Each handler runs in the consumer's transaction: the fact, the processed
event record, the published standings, the outbox events and mails commit
together or not at all. The candidate's advisory lock is taken before
anything is read, so evaluations of one candidate never interleave.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from certtrack_shared.clock import Clock
from certtrack_shared.contracts.exams import ExamFailedV1, ExamPassedV1, SittingRevokedV1
from certtrack_shared.contracts.identity import CandidateProfileUpdatedV1, CandidateRegisteredV1

from certs import mails
from certs.catalog.loaded import LoadedCatalogs
from certs.handlers import standings
from certs.handlers.standings import lock_candidate
from certs.models import Candidate, SittingRecord


def sitting_key(event: ExamPassedV1 | ExamFailedV1) -> tuple[str, str]:
    """The lock `sitting_result` takes first: for a batch of results to take
    its messages' locks together (decision 0038)."""
    return standings.candidate_key(event.candidate_id)


def sitting_result(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock,
                   event: ExamPassedV1 | ExamFailedV1):
    lock_candidate(session, event.candidate_id)
    now = clock.now()
    ensure_candidate(session, event.candidate_id, event.program, now)
    record_result(session, event, now)
    return standings.reevaluate(session, outbox, catalogs, clock, event.candidate_id)


def sitting_revoked(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock, event: SittingRevokedV1):
    lock_candidate(session, event.candidate_id)
    now = clock.now()
    ensure_candidate(session, event.candidate_id, event.program, now)
    record_revocation(session, event, now)
    return standings.reevaluate(session, outbox, catalogs, clock, event.candidate_id)


def candidate_announced(session: Session, outbox, clock: Clock,
                        event: CandidateRegisteredV1 | CandidateProfileUpdatedV1) -> None:
    candidate = record_candidate(session, event, clock.now())
    mails.send_pending(session, outbox, candidate)


def ensure_candidate(session: Session, candidate_id: str, program: str, now: datetime) -> Candidate:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        candidate = Candidate(candidate_id=candidate_id, program=program, updated_at=now)
        session.add(candidate)
        session.flush()
    elif not candidate.program:  # known from a profile update, which names no program
        candidate.program = program
    return candidate


def record_candidate(session: Session, event: CandidateRegisteredV1 | CandidateProfileUpdatedV1,
                     now: datetime, program: str | None = None) -> Candidate:
    """Keep the names and address identity announced (the latest announcement wins)."""
    lock_candidate(session, event.candidate_id)
    candidate = session.get(Candidate, event.candidate_id)
    if candidate is None:
        candidate = Candidate(candidate_id=event.candidate_id,
                              program=getattr(event, "program", None) or program or "", updated_at=now)
        session.add(candidate)
    elif getattr(event, "program", None):
        candidate.program = event.program
    if candidate.profile_as_of is None or event.occurred_at >= candidate.profile_as_of:
        candidate.first_name = event.first_name
        candidate.last_name = event.last_name
        candidate.email = str(event.email)
        candidate.profile_as_of = event.occurred_at
    candidate.updated_at = now
    session.flush()
    return candidate


def record_result(session: Session, event: ExamPassedV1 | ExamFailedV1, now: datetime) -> SittingRecord:
    sitting = session.get(SittingRecord, event.sitting_id, with_for_update=True)
    if sitting is None:
        sitting = SittingRecord(id=event.sitting_id, revoked=False, passed=False)
        session.add(sitting)
    if sitting.result_as_of is None or event.occurred_at >= sitting.result_as_of:
        sitting.candidate_id = event.candidate_id
        sitting.program = event.program
        sitting.exam_code = event.exam_code
        sitting.exam_title = event.exam_title
        sitting.taken_at = event.taken_at
        sitting.passed = isinstance(event, ExamPassedV1)
        sitting.result_as_of = event.occurred_at
    sitting.updated_at = now
    session.flush()
    return sitting


def record_revocation(session: Session, event: SittingRevokedV1, now: datetime) -> SittingRecord:
    sitting = session.get(SittingRecord, event.sitting_id, with_for_update=True)
    if sitting is None:
        # Its result may still be on its way (another queue): keep what we know.
        sitting = SittingRecord(id=event.sitting_id, candidate_id=event.candidate_id, program=event.program,
                                exam_code=event.exam_code, passed=False)
        session.add(sitting)
    sitting.revoked = True
    sitting.revoked_reason = event.reason
    sitting.updated_at = now
    session.flush()
    return sitting
