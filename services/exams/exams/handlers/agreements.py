"""Exam agreements: each program's versioned text, and which version each
candidate accepted when.

The rules (the highest version is current; a candidate is asked until they
have accepted exactly it; acceptances are kept) are the shared
`certtrack_shared.agreements`, over exams' two tables; this module turns
them into exams' replies and errors.

Every function takes the worker's session (and the time where it writes);
none reads the clock itself. Arguments arrive validated (`service.py` parses
them with `certtrack_shared.validation.parse`).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from certtrack_shared.agreements import Standing, VersionedAgreements, VersionNotCurrent

from exams.exceptions import AgreementNotFound, AgreementVersionNotCurrent
from exams.models import AgreementAcceptance, ExamAgreement
from exams.schemas import (
    AcceptanceView,
    AgreementStatus,
    AgreementVersions,
    AgreementView,
    ProgramAgreements,
    PublishedAgreementView,
)


AGREEMENTS = VersionedAgreements(ExamAgreement, AgreementAcceptance)


def exam_agreement(session: Session, candidate_id: str, program: str) -> AgreementStatus:
    """The program's current agreement and the candidate's latest acceptance."""
    return _status(program, AGREEMENTS.standing(session, candidate_id, program))


def _status(program: str, standing: Standing) -> AgreementStatus:
    return AgreementStatus(
        program=program,
        current=AgreementView.model_validate(standing.current) if standing.current else None,
        accepted=AcceptanceView.model_validate(standing.accepted) if standing.accepted else None,
        needs_acceptance=standing.needs_acceptance,
    )


def accept_exam_agreement(session: Session, candidate_id: str, program: str, version: int,
                          now: datetime) -> AgreementStatus:
    """Record that the candidate accepted `version`, which must be the current one.

    Accepting the same version again changes nothing (the first time stands),
    so a double-clicked Accept button is harmless.
    """
    try:
        standing = AGREEMENTS.accept(session, candidate_id, program, version, now)
    except VersionNotCurrent as refused:
        if refused.current is None:
            raise AgreementNotFound({"program": program}) from None
        raise AgreementVersionNotCurrent({
            "program": program, "requested_version": version, "current_version": refused.current,
        }) from None
    return _status(program, standing)


def publish_exam_agreement(session: Session, program: str, title: str, body: str, staff: str,
                           now: datetime) -> PublishedAgreementView:
    """Publish the program's next version; from now on candidates are asked to accept it.

    `staff` (the staff member's email, from the console's session) is kept
    with the version: who published which text when is the audit record.
    """
    return PublishedAgreementView.model_validate(AGREEMENTS.publish(session, program, title, body, staff, now))


def exam_agreement_versions(session: Session, program: str | None = None) -> AgreementVersions:
    """Staff: every program's versions (or one program's), newest first, with who published each."""
    return AgreementVersions(programs=[
        ProgramAgreements(program=name, current_version=rows[0].version,
                          versions=[PublishedAgreementView.model_validate(row) for row in rows])
        for name, rows in AGREEMENTS.versions(session, program).items()
    ])
