"""The events certs consumes: store the fact, then re-evaluate the candidate.

Each handler runs in the consumer's transaction: the fact, the processed
event record, the published standings, the outbox events and mails commit
together or not at all. The candidate's advisory lock is taken before
anything is read, so evaluations of one candidate never interleave.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from certtrack_shared.clock import Clock
from certtrack_shared.contracts.exams import ExamFailedV1, ExamPassedV1, SittingRevokedV1
from certtrack_shared.contracts.identity import CandidateProfileUpdatedV1, CandidateRegisteredV1

from certs import facts, mails, standings
from certs.catalogs import LoadedCatalogs


def sitting_result(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock,
                   event: ExamPassedV1 | ExamFailedV1):
    facts.lock_candidate(session, event.candidate_id)
    now = clock.now()
    facts.ensure_candidate(session, event.candidate_id, event.program, now)
    facts.record_result(session, event, now)
    return standings.reevaluate(session, outbox, catalogs, clock, event.candidate_id)


def sitting_revoked(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock, event: SittingRevokedV1):
    facts.lock_candidate(session, event.candidate_id)
    now = clock.now()
    facts.ensure_candidate(session, event.candidate_id, event.program, now)
    facts.record_revocation(session, event, now)
    return standings.reevaluate(session, outbox, catalogs, clock, event.candidate_id)


def candidate_announced(session: Session, outbox, clock: Clock,
                        event: CandidateRegisteredV1 | CandidateProfileUpdatedV1) -> None:
    candidate = facts.record_candidate(session, event, clock.now())
    mails.send_pending(session, outbox, candidate)
