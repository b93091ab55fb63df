"""Certification agreements: each program's versioned text, accepted once per version.

The rules are the shared ones of certtrack_shared.agreements (also exams'
exam agreements): the current agreement is the program's highest version,
only it can be accepted, and every acceptance is kept. What is certs' own is
here: downloads (logos, certificates) wait until the candidate has accepted
exactly the current version, so a new version published by staff asks
everyone again; and the replies and errors of certs' RPCs.
"""
from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from certtrack_shared import view_generations
from certtrack_shared.agreements import VersionedAgreements, VersionNotCurrent
from certtrack_shared.validation import parse

from certs.exceptions import CHECK_FIELDS, AgreementRequired, AgreementVersionMismatch, InvalidRequest
from certs.handlers.standings import get_candidate
from certs import models
from certs.models import Candidate
from certs.schemas import (
    AgreementPublication, AgreementState, AgreementVersions, CertificationAgreement, ProgramAgreements,
    PublishedAgreement,
)

AGREEMENTS = VersionedAgreements(models.CertificationAgreement, models.AgreementAcceptance)


def agreement(session: Session, candidate: Candidate) -> CertificationAgreement:
    standing = AGREEMENTS.standing(session, candidate.candidate_id, candidate.program)
    current, accepted = standing.current, standing.accepted
    return CertificationAgreement(
        version=current.version if current else None,
        title=current.title if current else None,
        body=current.body if current else None,
        accepted_version=accepted.version if accepted else None,
        accepted_at=accepted.accepted_at if accepted else None,
        needs_acceptance=standing.needs_acceptance,
    )


def candidate_agreement(session: Session, candidate_id) -> CertificationAgreement:
    return agreement(session, get_candidate(session, candidate_id))


def summary(session: Session, candidate: Candidate) -> AgreementState:
    view = agreement(session, candidate)
    accepted = view.version is not None and view.accepted_version == view.version
    return AgreementState(version=view.version, accepted=accepted,
                            accepted_at=view.accepted_at if accepted else None)


def require_accepted(session: Session, candidate: Candidate) -> None:
    view = agreement(session, candidate)
    if view.needs_acceptance:
        raise AgreementRequired({"version": view.version},
                                message="Accept the current certification agreement before downloading.")


def accept(session: Session, candidate_id, version, now: datetime) -> CertificationAgreement:
    """Accepting the same version twice changes nothing (the first time stands)."""
    candidate = get_candidate(session, candidate_id)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidRequest({"version": "Give the agreement version as a number."})
    try:
        AGREEMENTS.accept(session, candidate.candidate_id, candidate.program, version, now)
    except VersionNotCurrent as refused:
        raise AgreementVersionMismatch(
            {"requested_version": refused.requested, "current_version": refused.current},
            message="This is not the current version of the agreement; read the current one and accept it.",
        ) from None
    return agreement(session, candidate)


def versions(session: Session, programs) -> AgreementVersions:
    """Every loaded program's agreement versions, newest first (the staff console's page)."""
    by_program = AGREEMENTS.versions(session)
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
    # Every candidate's pages ask for the new version: none may show a kept reply.
    view_generations.everyone_changed(session)
    return PublishedAgreement.model_validate(
        AGREEMENTS.publish(session, request.program, request.title, request.body, request.staff, now))
