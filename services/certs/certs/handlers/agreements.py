"""Certification agreements: each program's versioned text, accepted once per version.

The current agreement is the program's highest version. Downloads (logos,
certificates) wait until the candidate has accepted exactly that version;
a new version published by staff asks everyone again. Every acceptance is
kept, so the record shows what was agreed to and when.
"""
from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certtrack_shared.locks import advisory_lock
from certtrack_shared.validation import parse

from certs.exceptions import CHECK_FIELDS, AgreementRequired, AgreementVersionMismatch, InvalidRequest
from certs.handlers.standings import get_candidate
from certs.models import AgreementAcceptance, Candidate, CertificationAgreement
from certs.schemas import (
    AgreementPublication, AgreementSummary, AgreementVersions, AgreementView, ProgramAgreements,
    PublishedAgreement,
)


def current(session: Session, program: str) -> CertificationAgreement | None:
    return session.scalars(
        select(CertificationAgreement).where(CertificationAgreement.program == program)
        .order_by(CertificationAgreement.version.desc()).limit(1)
    ).first()


def _latest_acceptance(session: Session, candidate: Candidate) -> AgreementAcceptance | None:
    return session.scalars(
        select(AgreementAcceptance).where(AgreementAcceptance.candidate_id == candidate.candidate_id,
                                          AgreementAcceptance.program == candidate.program)
        .order_by(AgreementAcceptance.version.desc()).limit(1)
    ).first()


def agreement(session: Session, candidate: Candidate) -> AgreementView:
    now_current = current(session, candidate.program)
    accepted = _latest_acceptance(session, candidate)
    return AgreementView(
        version=now_current.version if now_current else None,
        title=now_current.title if now_current else None,
        body=now_current.body if now_current else None,
        accepted_version=accepted.version if accepted else None,
        accepted_at=accepted.accepted_at if accepted else None,
        needs_acceptance=now_current is not None and (accepted is None or accepted.version != now_current.version),
    )


def candidate_agreement(session: Session, candidate_id) -> AgreementView:
    return agreement(session, get_candidate(session, candidate_id))


def summary(session: Session, candidate: Candidate) -> AgreementSummary:
    view = agreement(session, candidate)
    accepted = view.version is not None and view.accepted_version == view.version
    return AgreementSummary(version=view.version, accepted=accepted,
                            accepted_at=view.accepted_at if accepted else None)


def require_accepted(session: Session, candidate: Candidate) -> None:
    view = agreement(session, candidate)
    if view.needs_acceptance:
        raise AgreementRequired({"version": view.version},
                                message="Accept the current certification agreement before downloading.")


def accept(session: Session, candidate_id, version, now: datetime) -> AgreementView:
    """Accepting the same version twice changes nothing (the first time stands)."""
    candidate = get_candidate(session, candidate_id)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidRequest({"version": "Give the agreement version as a number."})
    advisory_lock(session, "certs-acceptance", candidate.candidate_id)
    now_current = current(session, candidate.program)
    if now_current is None or version != now_current.version:
        raise AgreementVersionMismatch(
            {"requested_version": version, "current_version": now_current.version if now_current else None},
            message="This is not the current version of the agreement; read the current one and accept it.")
    already = session.scalars(select(AgreementAcceptance).where(
        AgreementAcceptance.candidate_id == candidate.candidate_id,
        AgreementAcceptance.program == candidate.program, AgreementAcceptance.version == version)).first()
    if already is None:
        session.add(AgreementAcceptance(candidate_id=candidate.candidate_id, program=candidate.program,
                                        version=version, accepted_at=now))
        session.flush()
    return agreement(session, candidate)


def versions(session: Session, programs) -> AgreementVersions:
    """Every loaded program's agreement versions, newest first (the staff console's page)."""
    rows = session.scalars(select(CertificationAgreement).order_by(
        CertificationAgreement.program, CertificationAgreement.version.desc())).all()
    by_program: dict[str, list[CertificationAgreement]] = {}
    for row in rows:
        by_program.setdefault(row.program, []).append(row)
    return AgreementVersions(programs=[
        ProgramAgreements(program=program, name=catalog.name,
                          current_version=by_program[program][0].version if by_program.get(program) else 0,
                          versions=[PublishedAgreement.model_validate(row) for row in by_program.get(program, [])])
        for program, catalog in sorted(programs.items())
    ])


def publish(session: Session, now: datetime, programs, **arguments) -> PublishedAgreement:
    """Staff publish the program's next version; from now on downloads ask for it."""
    request = parse(AgreementPublication, arguments, partial(InvalidRequest, message=CHECK_FIELDS), depth=1)
    if request.program not in programs:
        raise InvalidRequest({"program": "No such program."}, message="No such program.")
    advisory_lock(session, "certs-agreement", request.program)
    latest = session.scalar(select(func.max(CertificationAgreement.version))
                            .where(CertificationAgreement.program == request.program))
    row = CertificationAgreement(program=request.program, version=(latest or 0) + 1, title=request.title,
                                 body=request.body, published_at=now, published_by=request.staff)
    session.add(row)
    session.flush()
    return PublishedAgreement.model_validate(row)
