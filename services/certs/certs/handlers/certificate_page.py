"""A certification's public page, found by the code printed (and QR-coded) on its certificate.

One page per certification, the same across renewals: the certificate code
is made the first time the certification is active and never changes, and
the PDF's QR code, every digital badge and the LinkedIn link point here. It
shows the status certs announced last, the original award, every validity
period a badge was issued for, and whether the current badge's signature
holds (docs/decisions/0024).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from certtrack_shared import config
from certtrack_shared.clock import Clock

from certs.catalog.loaded import LoadedCatalogs
from certs.credentials.issuing import Issuing
from certs.credentials.openbadges import Site
from certs.exceptions import CertificateNotFound
from certs.handlers import credentials
from certs.handlers.overview import standing_of
from certs.handlers.standings import current
from certs.models import Candidate, PublishedStanding
from certs.schemas import BadgeCheck, CertificateVerification, ValidityPeriod


def verify_url(code: str) -> str:
    return Site(config.site_url()).certificate(code)


def verify_certificate(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock, issuing: Issuing,
                       code) -> CertificateVerification:
    row = None
    if isinstance(code, str) and 0 < len(code) <= 40:
        row = session.scalars(select(PublishedStanding).where(PublishedStanding.certificate_code == code)).first()
    if row is None:
        raise CertificateNotFound({}, message="No certificate has this code.")
    candidate = session.get(Candidate, row.candidate_id)
    standing = standing_of(current(session, outbox, catalogs, clock, candidate), row.certification_id)
    periods = [ValidityPeriod(**period) for period in credentials.history(session, row.candidate_id, row.certification_id)]
    badge = credentials.current_token(session, row.candidate_id, row.certification_id)
    check = credentials.check(session, issuing, badge, None, clock()) if badge else None
    awarded = [period.active_on for period in periods] + ([standing.active_on] if standing.active_on else [])
    return CertificateVerification(
        certificate_code=row.certificate_code, candidate_name=candidate.display_name,
        certification_id=standing.id, certification_name=standing.name, status=standing.status,
        active_on=standing.active_on, expires_on=standing.expires_on, generated_at=clock.now(),
        first_awarded_on=min(awarded) if awarded else None, periods=periods,
        badge=BadgeCheck(verified=check.verified, status=check.status, errors=check.errors) if check else None)
