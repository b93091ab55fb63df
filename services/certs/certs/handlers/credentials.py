"""Digital badges: each active certification as an Open Badges 3.0 credential.

Issued from certs' own events, consumed like any other service's
(`certification_achieved`, `certification_recertified`: a credential for the
new validity period; `certification_revoked`: every credential of that
certification revoked and its status list signed again), so a credential is
signed once per period, never on a page view, and a signing problem (a
missing key) retries and dead-letters on its own queue without holding up
the standings. The daily run issues what is still due: certifications active
before badges existed, and those of candidates whose email was not yet known.

One row per credential (`IssuedCredential`) keeps the signed token, so a
download is exactly what was signed; the rows of one certification are its
renewal history on the public page (docs/decisions/0024).
"""
from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session

from certtrack_shared import config
from certtrack_shared.locks import advisory_lock, leadership

from certs.catalog.loaded import LoadedCatalogs
from certs.credentials import baking, linkedin, openbadges, signing, status_list
from certs.credentials.issuing import Issuing, issuer
from certs.credentials.openbadges import Site
from certs.credentials.verification import Issuers, Verification, verify
from certs.documents.logo import render_logo_png, render_logo_svg
from certs.exceptions import CredentialNotFound
from certs.handlers.standings import lock_candidate as standings_lock
from certs.models import Candidate, CredentialStatusList, IssuedCredential, PublishedStanding
from certs.rules.describe import describe
from certs.schemas import BinaryPayload, CandidateCredential, CredentialCheck

STATUS_LIST_LIFETIME = timedelta(days=1)
# A list is signed again when less than this is left, so no verifier holds an expired one.
REFRESH_WHEN_LEFT = timedelta(hours=12)
BACKFILL_BATCH = 500
BACKFILL_LEAD = "certs-credential-backfill"
DOWNLOADS = {"json": "application/json", "jwt": "application/vc+jwt", "png": "image/png", "svg": "image/svg+xml"}
URN = "urn:uuid:"


def moment(day: Optional[date]) -> Optional[datetime]:
    """The first moment of a day, UTC: validUntil is the first moment no longer valid."""
    return datetime.combine(day, time.min, tzinfo=timezone.utc) if day else None


# -- issuing ------------------------------------------------------------------------------
def issue_due(session: Session, issuing: Issuing, catalogs: LoadedCatalogs, candidate_id: str,
              now: datetime) -> list[IssuedCredential]:
    """A credential for each active period of the candidate that has none yet."""
    # The lock the rules take too: a period is not read half-changed, nor issued twice by two replicas.
    standings_lock(session, candidate_id)
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or not candidate.email:
        return []  # the daily run issues them once identity has said who this is
    standings = session.scalars(select(PublishedStanding).where(
        PublishedStanding.candidate_id == candidate_id, PublishedStanding.status == "active",
        PublishedStanding.active_on.is_not(None), ~_has_credential())).all()
    return [_issue(session, issuing, catalogs, candidate, standing, now) for standing in standings]


def _has_credential():
    """An unrevoked credential for the standing's current period exists (correlated)."""
    return exists().where(
        IssuedCredential.candidate_id == PublishedStanding.candidate_id,
        IssuedCredential.certification_id == PublishedStanding.certification_id,
        IssuedCredential.active_on == PublishedStanding.active_on,
        func.coalesce(IssuedCredential.expires_on, date.max) == func.coalesce(PublishedStanding.expires_on, date.max),
        IssuedCredential.revoked_at.is_(None))


def _issue(session: Session, issuing: Issuing, catalogs: LoadedCatalogs, candidate: Candidate,
           standing: PublishedStanding, now: datetime) -> IssuedCredential:
    program = standing.program
    catalog = catalogs.program(program)
    number, index = _allocate(session, program)
    credential_id = str(uuid.uuid4())
    award = openbadges.Award(credential_id, moment(standing.active_on), moment(standing.expires_on), number, index,
                             issuing.site.certificate(standing.certificate_code))
    recipient = openbadges.Recipient(candidate.email, candidate.display_name, secrets.token_hex(16))
    document = openbadges.credential(issuing.site, issuer(catalog), achievement_facts(issuing, catalog,
                                     standing.certification_id), recipient, award)
    row = IssuedCredential(
        credential_id=credential_id, candidate_id=candidate.candidate_id, program=program,
        certification_id=standing.certification_id, active_on=standing.active_on, expires_on=standing.expires_on,
        status_list=number, status_index=index, issued_at=now,
        token=signing.sign(document, issuing.ring(program).current, issuing.key_url(program)))
    session.add(row)
    session.flush()
    return row


def _allocate(session: Session, program: str) -> tuple[int, int]:
    """A free (list, index) of the program, opening the next list when the current one is used up."""
    _lock_status_lists(session, program)
    current = session.scalars(select(CredentialStatusList).where(CredentialStatusList.program == program)
                              .order_by(CredentialStatusList.number.desc()).limit(1)).first()
    if current is None or current.allocated >= status_list.FULL_AT * current.size:
        current = CredentialStatusList(program=program, number=current.number + 1 if current else 1,
                                       size=status_list.MINIMUM_BITS, allocated=0)
        session.add(current)
        session.flush()

    def taken(index: int) -> bool:
        return session.scalar(select(exists().where(
            IssuedCredential.program == program, IssuedCredential.status_list == current.number,
            IssuedCredential.status_index == index)))

    index = status_list.allocate(taken, current.size)
    current.allocated += 1
    return current.number, index


def _lock_status_lists(session: Session, program: str) -> None:
    """Until the transaction ends, the program's lists are this transaction's to allocate in and sign."""
    advisory_lock(session, "certs-credential-status", program)


def achievement_facts(issuing: Issuing, catalog, certification_id: str) -> openbadges.Achievement:
    certification = catalog.certification(certification_id)
    description = certification.description or (
        f"The {certification.level} {certification.name} certification of the {catalog.name} program, "
        f"{certification.track} track.")
    return openbadges.Achievement(
        certification_id=certification.id, name=certification.name, description=description,
        criteria=describe(certification.requirements, catalog) + ".", human_code=certification.code or certification.name,
        image_url=issuing.site.achievement(catalog.program, certification.id) + "/image.png")


def backfill(session: Session, issuing: Issuing, catalogs: LoadedCatalogs, now: datetime,
             limit: int = BACKFILL_BATCH) -> int:
    """Issue what is due for up to `limit` candidates with an active period lacking its credential."""
    due = session.scalars(
        select(PublishedStanding.candidate_id)
        .join(Candidate, Candidate.candidate_id == PublishedStanding.candidate_id)
        .where(PublishedStanding.status == "active", PublishedStanding.active_on.is_not(None),
               Candidate.email.is_not(None), ~_has_credential())
        .distinct().limit(limit)).all()
    return sum(len(issue_due(session, issuing, catalogs, candidate_id, now)) for candidate_id in due)


def backfill_by_one_replica(session: Session, issuing: Issuing, catalogs: LoadedCatalogs,
                            now: datetime) -> Optional[int]:
    """The timer's backfill, run by one replica at a time (decision 0029); None when another
    replica is at it. `issue_due`'s candidate lock would keep each credential single anyway;
    the lead spares the other replicas the same query and the wait behind those locks."""
    with leadership(session, BACKFILL_LEAD) as leading:
        if not leading:
            return None
        issued = backfill(session, issuing, catalogs, now)
        session.commit()  # inside the lead: the next replica's query sees these credentials
    return issued


# -- revoking -----------------------------------------------------------------------------
def revoke(session: Session, issuing: Issuing, catalogs: LoadedCatalogs, candidate_id: str,
           certification_id: str, now: datetime) -> int:
    """Revoke every credential of the certification and sign again the lists they sit in."""
    revoked = session.execute(
        update(IssuedCredential)
        .where(IssuedCredential.candidate_id == candidate_id, IssuedCredential.certification_id == certification_id,
               IssuedCredential.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(IssuedCredential.program, IssuedCredential.status_list)).all()
    for program, number in sorted(set(revoked)):
        publish_list(session, issuing, catalogs, program, number, now)
    return len(revoked)


def publish_list(session: Session, issuing: Issuing, catalogs: LoadedCatalogs, program: str, number: int,
                 now: datetime) -> str:
    # Two revocations signing at once would each read the revoked bits without the
    # other's, and the later commit would publish a list missing a revocation: wait
    # for the other to commit, then read.
    _lock_status_lists(session, program)
    row = _status_list(session, program, number)
    revoked = session.scalars(select(IssuedCredential.status_index).where(
        IssuedCredential.program == program, IssuedCredential.status_list == number,
        IssuedCredential.revoked_at.is_not(None))).all()
    document = openbadges.status_list_credential(
        issuing.site, issuer(catalogs.program(program)), number, status_list.encode(revoked, row.size), now,
        int(STATUS_LIST_LIFETIME.total_seconds()))
    row.token = signing.sign(document, issuing.ring(program).current, issuing.key_url(program))
    row.published_at, row.valid_until = now, now + STATUS_LIST_LIFETIME
    return row.token


def status_list_token(session: Session, issuing: Issuing, catalogs: LoadedCatalogs, program: str, number: int,
                      now: datetime) -> str:
    """The signed list, signed again when it nears its end."""
    row = _status_list(session, program, number)
    if row.token is None or row.valid_until - now < REFRESH_WHEN_LEFT:
        return publish_list(session, issuing, catalogs, program, number, now)
    return row.token


def _status_list(session: Session, program: str, number: int) -> CredentialStatusList:
    row = session.get(CredentialStatusList, (program, number))
    if row is None:
        raise CredentialNotFound({"status_list": f"{program} has no status list {number}"})
    return row


# -- what the candidate sees --------------------------------------------------------------
def _current(session: Session, candidate_id: str) -> list[tuple[IssuedCredential, PublishedStanding]]:
    """The credential of each active certification's current period."""
    return list(session.execute(
        select(IssuedCredential, PublishedStanding)
        .join(PublishedStanding, and_(PublishedStanding.candidate_id == IssuedCredential.candidate_id,
                                      PublishedStanding.certification_id == IssuedCredential.certification_id,
                                      PublishedStanding.active_on == IssuedCredential.active_on,
                                      func.coalesce(PublishedStanding.expires_on, date.max)
                                      == func.coalesce(IssuedCredential.expires_on, date.max)))
        .where(IssuedCredential.candidate_id == candidate_id, IssuedCredential.revoked_at.is_(None),
               PublishedStanding.status == "active")
        .order_by(IssuedCredential.certification_id)).tuples())


def credentials(session: Session, catalogs: LoadedCatalogs, candidate_id: str) -> list[CandidateCredential]:
    items = []
    for row, standing in _current(session, candidate_id):
        catalog = catalogs.program(row.program)
        certification = catalog.certification(row.certification_id)
        url, credential_id = Site(config.site_url()).certificate(standing.certificate_code), URN + row.credential_id
        items.append(CandidateCredential(
            certification_id=row.certification_id, certification_name=certification.name,
            program=row.program, issuer_name=catalog.name,
            format="vc+jwt", credential=row.token, credential_id=credential_id, verification_url=url,
            valid_from=row.active_on, valid_until=row.expires_on,
            linkedin_url=linkedin.add_to_profile(
                name=certification.name, organization=catalog.name, issued_on=row.active_on,
                valid_through=row.expires_on - timedelta(days=1) if row.expires_on else None,
                verification_url=url, credential_id=credential_id),
        ))
    return items


def download(session: Session, catalogs: LoadedCatalogs, candidate_id: str, certification_id: str,
             format: str) -> BinaryPayload:
    """One credential as JSON, JWT, or baked into the certification's logo (PNG, SVG)."""
    if format not in DOWNLOADS:
        raise CredentialNotFound({"format": "Choose json, jwt, png or svg."})
    found = next((row for row, _ in _current(session, candidate_id) if row.certification_id == certification_id), None)
    if found is None:
        raise CredentialNotFound({"certification_id": "This certification has no active credential."})
    catalog = catalogs.program(found.program)
    certification = catalog.certification(found.certification_id)
    if format == "jwt":
        content = found.token.encode()
    elif format == "json":
        content = json.dumps(signing.document_of(signing.unverified_parts(found.token)[1]), indent=2).encode()
    elif format == "png":
        content = baking.bake_png(render_logo_png(certification, catalog.name), found.token)
    else:
        content = baking.bake_svg(render_logo_svg(certification, catalog.name).encode(), found.token)
    return BinaryPayload(filename=f"{found.certification_id}-badge.{format}", content_type=DOWNLOADS[format],
                         data_b64=base64.b64encode(content).decode())


def current_token(session: Session, candidate_id: str, certification_id: str) -> Optional[str]:
    """The signed credential of the certification's newest unrevoked period, if any."""
    return session.scalar(select(IssuedCredential.token).where(
        IssuedCredential.candidate_id == candidate_id, IssuedCredential.certification_id == certification_id,
        IssuedCredential.revoked_at.is_(None)).order_by(IssuedCredential.active_on.desc()).limit(1))


def history(session: Session, candidate_id: str, certification_id: str) -> list[dict]:
    """Every validity period a credential stated, oldest first: the renewal history."""
    rows = session.scalars(select(IssuedCredential).where(
        IssuedCredential.candidate_id == candidate_id, IssuedCredential.certification_id == certification_id)
        .order_by(IssuedCredential.active_on, IssuedCredential.issued_at)).all()
    return [{"active_on": row.active_on, "expires_on": row.expires_on, "revoked": row.revoked_at is not None}
            for row in rows]


# -- what anyone may fetch ----------------------------------------------------------------
def issuer_profile(issuing: Issuing, catalogs: LoadedCatalogs, program: str) -> dict:
    return openbadges.profile(issuing.site, issuer(_catalog(catalogs, program)), issuing.ring(program).public_keys())


def public_key(issuing: Issuing, program: str, key_id: str) -> dict:
    key = issuing.ring(program).find(key_id)
    if key is None:
        raise CredentialNotFound({"key": "No such key."})
    return openbadges.public_jwk(key)


def achievement(issuing: Issuing, catalogs: LoadedCatalogs, program: str, certification_id: str) -> dict:
    catalog = _catalog(catalogs, program)
    if certification_id not in {certification.id for certification in catalog.certifications}:
        raise CredentialNotFound({"certification_id": "No such achievement."})
    facts = achievement_facts(issuing, catalog, certification_id)
    return {"@context": [openbadges.VC_CONTEXT, openbadges.OB_CONTEXT],
            **openbadges.achievement(issuing.site, program, facts)}


def achievement_image(catalogs: LoadedCatalogs, program: str, certification_id: str) -> bytes:
    catalog = _catalog(catalogs, program)
    if certification_id not in {certification.id for certification in catalog.certifications}:
        raise CredentialNotFound({"certification_id": "No such achievement."})
    return render_logo_png(catalog.certification(certification_id), catalog.name)


def _catalog(catalogs: LoadedCatalogs, program: str):
    if program not in catalogs.by_program:
        raise CredentialNotFound({"program": "No such issuer."})
    return catalogs.program(program)


def check(session: Session, issuing: Issuing, credential: Optional[str], image_base64: Optional[str],
          now: datetime) -> CredentialCheck:
    """A pasted credential (JWS, JSON) or an uploaded badge image (base64) checked."""
    if image_base64:
        try:
            submitted: bytes | str = base64.b64decode(image_base64, validate=True)
        except (ValueError, TypeError):
            return CredentialCheck(verified=False, status=None, errors=["the image did not arrive as base64"])
    else:
        submitted = credential if isinstance(credential, str) else ""
    verification = _check(session, issuing, submitted, now)
    return CredentialCheck(verified=verification.verified, status=verification.status, errors=verification.errors)


def _check(session: Session, issuing: Issuing, submitted: bytes | str, now: datetime) -> Verification:
    def is_revoked(program: str, number: int, index: int) -> bool:
        return session.scalar(select(exists().where(
            IssuedCredential.program == program, IssuedCredential.status_list == number,
            IssuedCredential.status_index == index, IssuedCredential.revoked_at.is_not(None))))

    def issued_token(credential_id: str) -> Optional[str]:
        if not credential_id.startswith(URN) or len(credential_id) != len(URN) + 36:
            return None
        row = session.get(IssuedCredential, credential_id[len(URN):])
        return row.token if row else None

    return verify(submitted, Issuers(issuing.site, issuing.rings, is_revoked, issued_token), now)
