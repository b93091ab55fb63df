"""Exam agreements: each program's versioned text, and which version each
candidate accepted when.

The current agreement of a program is its highest version. A candidate is
asked to accept it until they have accepted exactly that version; when staff
publish a new version, every earlier acceptance is out of date and the
candidate is asked again. Acceptances are kept (one row per version
accepted), so the record shows what was agreed to and when.

Every function takes the worker's session (and the time where it writes);
none reads the clock itself. Arguments arrive validated (`parse`).
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certtrack_shared.locks import advisory_lock

from exams.exceptions import AgreementNotFound, AgreementVersionNotCurrent, InvalidAgreement
from exams.models import AgreementAcceptance, ExamAgreement
from exams.schemas import (
    AcceptanceView,
    AgreementStatus,
    AgreementVersions,
    AgreementView,
    ProgramAgreements,
    PublishedAgreementView,
)


def parse(model: type[BaseModel], **arguments) -> BaseModel:
    """The RPC's arguments as `model`; InvalidAgreement({field: message}) when they do not fit."""
    try:
        return model.model_validate(arguments)
    except ValidationError as error:
        fields: dict[str, str] = {}
        for problem in error.errors(include_url=False):
            name = ".".join(str(part) for part in problem["loc"]) or "arguments"
            fields.setdefault(name, problem["msg"])
        raise InvalidAgreement(fields) from None


def current_agreement(session: Session, program: str) -> ExamAgreement | None:
    return session.scalars(
        select(ExamAgreement)
        .where(ExamAgreement.program == program)
        .order_by(ExamAgreement.version.desc())
        .limit(1)
    ).first()


def exam_agreement(session: Session, candidate_id: str, program: str) -> AgreementStatus:
    """The program's current agreement and the candidate's latest acceptance."""
    current = current_agreement(session, program)
    accepted = session.scalars(
        select(AgreementAcceptance)
        .where(AgreementAcceptance.candidate_id == candidate_id, AgreementAcceptance.program == program)
        .order_by(AgreementAcceptance.version.desc())
        .limit(1)
    ).first()
    return AgreementStatus(
        program=program,
        current=AgreementView.model_validate(current) if current else None,
        accepted=AcceptanceView.model_validate(accepted) if accepted else None,
        needs_acceptance=current is not None and (accepted is None or accepted.version != current.version),
    )


def accept_exam_agreement(session: Session, candidate_id: str, program: str, version: int,
                          now: datetime) -> AgreementStatus:
    """Record that the candidate accepted `version`, which must be the current one.

    Accepting the same version again changes nothing (the first time stands),
    so a double-clicked Accept button is harmless.
    """
    # Two accepts would otherwise both insert the same acceptance, which does not exist yet to lock.
    advisory_lock(session, "acceptance", candidate_id, program)
    current = current_agreement(session, program)
    if current is None:
        raise AgreementNotFound({"program": program})
    if version != current.version:
        raise AgreementVersionNotCurrent({
            "program": program, "requested_version": version, "current_version": current.version,
        })
    already = session.scalars(select(AgreementAcceptance).where(
        AgreementAcceptance.candidate_id == candidate_id,
        AgreementAcceptance.program == program,
        AgreementAcceptance.version == version,
    )).first()
    if already is None:
        session.add(AgreementAcceptance(
            candidate_id=candidate_id, program=program, version=version, accepted_at=now))
        session.flush()
    return exam_agreement(session, candidate_id, program)


def publish_exam_agreement(session: Session, program: str, title: str, body: str, staff: str,
                           now: datetime) -> PublishedAgreementView:
    """Publish the program's next version; from now on candidates are asked to accept it.

    `staff` (the staff member's email, from the console's session) is kept
    with the version: who published which text when is the audit record.
    """
    # Two publishes would otherwise both pick the same next version.
    advisory_lock(session, "agreement", program)
    latest = session.scalar(
        select(func.max(ExamAgreement.version)).where(ExamAgreement.program == program))
    agreement = ExamAgreement(
        program=program, version=(latest or 0) + 1, title=title, body=body, published_at=now,
        published_by=staff)
    session.add(agreement)
    session.flush()
    return PublishedAgreementView.model_validate(agreement)


def exam_agreement_versions(session: Session, program: str | None = None) -> AgreementVersions:
    """Staff: every program's versions (or one program's), newest first, with who published each."""
    query = select(ExamAgreement).order_by(ExamAgreement.program, ExamAgreement.version.desc())
    if program is not None:
        query = query.where(ExamAgreement.program == program)
    programs: dict[str, list[PublishedAgreementView]] = {}
    for agreement in session.scalars(query):
        programs.setdefault(agreement.program, []).append(
            PublishedAgreementView.model_validate(agreement))
    return AgreementVersions(programs=[
        ProgramAgreements(program=name, current_version=versions[0].version, versions=versions)
        for name, versions in programs.items()
    ])
