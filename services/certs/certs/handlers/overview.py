"""What a candidate sees: certifications, one certification, continuing education.

Every view reads the candidate's evaluation as certs last made and
announced it (`standings.current`, decision 0021), never evaluating the
rules on a page view: what a candidate sees is what was announced. The
published standings add the certificate code.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from certtrack_shared.clock import Clock

from certs import schemas
from certs.catalog import Catalog, Certification
from certs.catalog.expressions import LEVEL_RANK, CeCredits, walk
from certs.catalog.loaded import LoadedCatalogs
from certs.exceptions import CertificationNotFound
from certs.handlers import agreements
from certs.handlers.continuing_education import course_certifications
from certs.handlers.standings import current, get_candidate, published
from certs.models import Activity, Candidate
from certs.rules import CertificationStanding, Evaluation
from certs.schemas import ActivityView, CandidateCertifications, CeBalanceView, ContinuingEducation, CourseOption

STATUS_ORDER = {"active": 0, "in_progress": 1, "expired": 2, "revoked": 3}


def standing_view(standing: CertificationStanding, certificate_code: str | None,
                  accepted: bool) -> schemas.Certification:
    """The standing as the candidate sees it: the published model, without the rules' evidence."""
    return schemas.Certification.model_validate({
        **standing.model_dump(), "certificate_code": certificate_code,
        "downloads": standing.status == "active" and accepted})


def certifications(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock,
                   candidate_id) -> CandidateCertifications:
    candidate = get_candidate(session, candidate_id)
    evaluation = current(session, outbox, catalogs, clock, candidate)
    codes = {cid: row.certificate_code for cid, row in published(session, candidate.candidate_id).items()}
    agreement = agreements.summary(session, candidate)
    shown = [s for s in evaluation.certifications if s.touched or s.id in codes]
    order = {s.id: index for index, s in enumerate(evaluation.certifications)}
    shown.sort(key=lambda s: (STATUS_ORDER[s.status], -LEVEL_RANK[s.level], order[s.id]))
    return CandidateCertifications(
        candidate_id=candidate.candidate_id, program=candidate.program, as_of=evaluation.as_of,
        agreement=agreement, items=[standing_view(s, codes.get(s.id), agreement.accepted) for s in shown])


def certification_of(catalog: Catalog, certification_id) -> Certification:
    try:
        return catalog.certification(str(certification_id))
    except KeyError:
        raise CertificationNotFound({"certification_id": str(certification_id)[:100]},
                                    message="No such certification in your program.") from None


def standing_of(evaluation: Evaluation, certification_id: str) -> CertificationStanding:
    """One certification of the kept evaluation (a certification added to the
    catalog since, until the reload that evaluates everyone, is not in it)."""
    try:
        return evaluation.certification(certification_id)
    except KeyError:
        raise CertificationNotFound({"certification_id": certification_id[:100]},
                                    message="No such certification in your program.") from None


def certification(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock, candidate_id,
                  certification_id) -> schemas.Certification:
    candidate = get_candidate(session, candidate_id)
    certification_of(catalogs.program(candidate.program), certification_id)
    evaluation = current(session, outbox, catalogs, clock, candidate)
    row = published(session, candidate.candidate_id).get(certification_id)
    agreement = agreements.summary(session, candidate)
    return standing_view(standing_of(evaluation, certification_id),
                         row.certificate_code if row else None, agreement.accepted)


def takes_ce(certification: Certification) -> bool:
    return any(isinstance(node, CeCredits)
               for path in certification.recertification for _, node in walk(path.requires))


def renewal_view(standing: CertificationStanding, certification: Certification) -> CeBalanceView:
    """What every recertification path of an active certification still needs.

    A certification that renews only by exam or course (Juniper's) is shown
    too, with no credit balance: the page answers "what renews it", not only
    "what do my credits do".
    """
    renews_with_ce = takes_ce(certification)
    return CeBalanceView(
        certification_id=standing.id, name=standing.name, status=standing.status,
        active_on=standing.active_on, expires_on=standing.expires_on, renews_with_ce=renews_with_ce,
        credits_available=standing.ce_credits_available if renews_with_ce else None,
        recertification_summary=standing.recertification_summary,
        recertification=standing.recertification, covered_by=standing.covered_by,
    )


def continuing_education(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock,
                         candidate_id) -> ContinuingEducation:
    candidate = get_candidate(session, candidate_id)
    catalog = catalogs.program(candidate.program)
    evaluation = current(session, outbox, catalogs, clock, candidate)
    in_catalog = {c.id: c for c in catalog.certifications}  # the kept evaluation may predate a catalog change
    balances = [renewal_view(s, in_catalog[s.id])
                for s in evaluation.certifications if s.status == "active" and s.id in in_catalog]
    by_course = course_certifications(catalogs, candidate.program)
    courses = [CourseOption(certification_id=s.id, name=s.name) for s in evaluation.certifications
               if s.status == "active" and s.id in by_course]
    return ContinuingEducation(balances=balances, items=activities_of(session, candidate),
                               course_certifications=courses)


def activities_of(session: Session, candidate: Candidate) -> list[ActivityView]:
    rows = session.scalars(
        select(Activity).where(Activity.candidate_id == candidate.candidate_id)
        .order_by(Activity.submitted_at.desc(), Activity.id.desc())
    ).all()
    return [ActivityView.model_validate(row) for row in rows]
