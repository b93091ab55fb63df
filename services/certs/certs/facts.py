"""What certs is told, stored as facts: candidates (identity), sittings (exams).

Every function takes the worker's session and the time; none publishes. The
caller re-evaluates the candidate afterwards (`standings.reevaluate`).

Events of one sitting arrive on three queues (`exam_passed`, `exam_failed`,
`sitting_revoked`) and so may arrive in any order: a revocation is final
(exams never un-revokes), and of two results the one exams announced later
(`occurred_at`) wins.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from certtrack_shared.contracts.exams import ExamFailedV1, ExamPassedV1, SittingRevokedV1
from certtrack_shared.contracts.identity import CandidateProfileUpdatedV1, CandidateRegisteredV1
from certtrack_shared.locks import advisory_lock

from certs.models import Activity, Candidate, Sitting
from certs.rules import CeActivity, CourseCompletion
from certs.rules import Sitting as SittingFact


def lock_candidate(session: Session, candidate_id: str) -> None:
    """Serialise every evaluation of one candidate until the transaction ends.

    Two facts of one candidate handled at once would each evaluate without
    the other and each publish a diff against the same stored standing (two
    `certification_achieved`, one of them wrong). Rows cannot be locked
    before they exist, so take a transaction-scoped advisory lock first.
    """
    advisory_lock(session, "certs-candidate", candidate_id)


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


def record_result(session: Session, event: ExamPassedV1 | ExamFailedV1, now: datetime) -> Sitting:
    sitting = session.get(Sitting, event.sitting_id, with_for_update=True)
    if sitting is None:
        sitting = Sitting(id=event.sitting_id, revoked=False, passed=False)
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


def record_revocation(session: Session, event: SittingRevokedV1, now: datetime) -> Sitting:
    sitting = session.get(Sitting, event.sitting_id, with_for_update=True)
    if sitting is None:
        # Its result may still be on its way (another queue): keep what we know.
        sitting = Sitting(id=event.sitting_id, candidate_id=event.candidate_id, program=event.program,
                          exam_code=event.exam_code, passed=False)
        session.add(sitting)
    sitting.revoked = True
    sitting.revoked_reason = event.reason
    sitting.updated_at = now
    session.flush()
    return sitting


def utc_day(moment: datetime) -> date:
    return moment.astimezone(timezone.utc).date()


def candidate_facts(session: Session, candidate_id: str) -> dict:
    """The keyword arguments of `evaluate` for everything known about the candidate."""
    sittings = session.scalars(
        select(Sitting).where(Sitting.candidate_id == candidate_id, Sitting.taken_at.is_not(None))
    ).all()
    approved = session.scalars(
        select(Activity).where(Activity.candidate_id == candidate_id, Activity.status == "approved")
    ).all()
    return {
        "sittings": [
            SittingFact(sitting_id=s.id, exam_code=s.exam_code, taken_on=utc_day(s.taken_at),
                        passed=s.passed, revoked=s.revoked)
            for s in sittings
        ],
        "ce_activities": [
            CeActivity(activity_id=a.id, credits=a.credits, completed_on=a.completed_on)
            for a in approved if a.kind == "ce" and a.credits
        ],
        "course_completions": [
            CourseCompletion(completion_id=a.id, certification_id=a.certification_id,
                             completed_on=a.completed_on)
            for a in approved if a.kind == "course" and a.certification_id
        ],
    }


def revocation_reasons(session: Session, sitting_ids) -> list[str]:
    if not sitting_ids:
        return []
    rows = session.scalars(select(Sitting.revoked_reason).where(Sitting.id.in_(list(sitting_ids)))).all()
    return sorted({reason for reason in rows if reason})
