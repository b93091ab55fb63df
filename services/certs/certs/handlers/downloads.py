"""Logos and PDF certificates of a candidate's active certifications.

Downloads exist only for an active certification and only once the
candidate accepted the current certification agreement. The documents are
drawn by the pure renderers of `certs.documents` from the catalog and the
candidate's kept evaluation (`standings.current`); the certificate's QR code
and printed link lead to the certification's public page
(`handlers/certificate_page.py`).
"""
from __future__ import annotations

import base64

from sqlalchemy.orm import Session

from certtrack_shared.clock import Clock

from certs import documents
from certs.catalog.loaded import LoadedCatalogs
from certs.exceptions import CertificationNotActive, InvalidRequest
from certs.handlers import agreements
from certs.handlers.overview import certification_of, standing_of
from certs.handlers.standings import current, get_candidate, published
from certs.handlers.certificate_page import verify_url
from certs.schemas import BinaryPayload


def _active(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock, candidate_id, certification_id):
    """(candidate, catalog certification, standing, certificate code) of a downloadable certification."""
    candidate = get_candidate(session, candidate_id)
    catalog = catalogs.program(candidate.program)
    certification = certification_of(catalog, certification_id)
    standing = standing_of(current(session, outbox, catalogs, clock, candidate), certification.id)
    if standing.status != "active":
        raise CertificationNotActive({"certification_id": certification.id, "status": standing.status},
                                     message=f"{certification.name} is not active: nothing to download.")
    agreements.require_accepted(session, candidate)
    row = published(session, candidate.candidate_id).get(certification.id)
    return candidate, catalog, certification, standing, row.certificate_code if row else None


def _payload(filename: str, content_type: str, data: bytes) -> BinaryPayload:
    return BinaryPayload(filename=filename, content_type=content_type,
                         data_b64=base64.b64encode(data).decode("ascii"))


def logo(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock, candidate_id, certification_id,
         format) -> BinaryPayload:
    if format not in ("svg", "png"):
        raise InvalidRequest({"format": "Choose svg or png."}, message="Choose svg or png.")
    _, catalog, certification, _, _ = _active(session, outbox, catalogs, clock, candidate_id, certification_id)
    if format == "svg":
        svg = documents.render_logo_svg(certification, catalog.name)
        return _payload(f"{certification.id}-logo.svg", "image/svg+xml", svg.encode("utf-8"))
    png = documents.render_logo_png(certification, catalog.name)
    return _payload(f"{certification.id}-logo.png", "image/png", png)


def certificate_pdf(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock, candidate_id,
                    certification_id) -> BinaryPayload:
    candidate, catalog, certification, standing, code = _active(
        session, outbox, catalogs, clock, candidate_id, certification_id)
    pdf = documents.render_certificate_pdf(
        candidate_name=candidate.display_name, certification_name=certification.name,
        program_name=catalog.name, active_on=standing.active_on, expires_on=standing.expires_on,
        certificate_code=code, verify_url=verify_url(code))
    return _payload(f"{certification.id}-certificate.pdf", "application/pdf", pdf)
