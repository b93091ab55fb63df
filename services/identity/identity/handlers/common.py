"""Lookups and small helpers the rule modules share."""
from __future__ import annotations

import uuid
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from certtrack_shared.contracts.identity import CandidateProfileUpdatedV1

from identity import schemas
from identity.exceptions import CandidateNotFound
from identity.models import Candidate, ExternalIdentity


def new_event(model, now: datetime, **fields):
    """An identity event envelope with a fresh id, stamped with `now`."""
    return model(schema_version=1, event_id=f"identity-{uuid.uuid4()}", occurred_at=now, **fields)


def normalize_email(value) -> str | None:
    """The address lower-cased when it is a valid email, else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > 254:
        return None
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.normalized.lower()


def mask_email(email: str) -> str:
    """`john.doe@example.com` → `j******e@example.com`."""
    local, _, domain = email.partition("@")
    if len(local) <= 2:
        masked = local[:1] + "*" * max(1, len(local) - 1)
    else:
        masked = local[0] + "*" * (len(local) - 2) + local[-1]
    return f"{masked}@{domain}"


def get_candidate(session: Session, candidate_id, lock: bool = False) -> Candidate:
    """The candidate, or CandidateNotFound (also for a malformed id)."""
    if not isinstance(candidate_id, str) or not candidate_id or len(candidate_id) > 20:
        raise CandidateNotFound(str(candidate_id)[:40])
    query = select(Candidate).where(Candidate.candidate_id == candidate_id.strip().upper())
    if lock:
        query = query.with_for_update()
    candidate = session.execute(query).scalar_one_or_none()
    if candidate is None:
        raise CandidateNotFound(candidate_id)
    return candidate


def candidates_by_email(session: Session, email: str, program: str | None = None) -> list[Candidate]:
    query = select(Candidate).where(Candidate.email == email)
    if program is not None:
        query = query.where(Candidate.program == program)
    return list(session.execute(query.order_by(Candidate.candidate_id)).scalars())


def email_owner(session: Session, program: str, email: str) -> Candidate | None:
    return session.execute(
        select(Candidate).where(Candidate.program == program, Candidate.email == email)
    ).scalar_one_or_none()


def summary(candidate: Candidate) -> schemas.CandidateSummary:
    return schemas.CandidateSummary(
        candidate_id=candidate.candidate_id,
        program=candidate.program,
        first_name=candidate.first_name,
        last_name=candidate.last_name,
        email=candidate.email,
        has_password=candidate.password_hash is not None,
        password_changed_at=candidate.password_changed_at,
        credential_version=candidate.credential_version or 0,
    )


def profile(session: Session, candidate: Candidate) -> schemas.CandidateProfile:
    identities = session.execute(
        select(ExternalIdentity)
        .where(ExternalIdentity.candidate_id == candidate.candidate_id)
        .order_by(ExternalIdentity.id)
    ).scalars()
    return schemas.CandidateProfile(
        **summary(candidate).model_dump(),
        phone=candidate.phone,
        address=schemas.Address(
            line1=candidate.address_line1,
            line2=candidate.address_line2,
            city=candidate.city,
            region=candidate.region,
            postal_code=candidate.postal_code,
            country=candidate.country,
        ),
        company=candidate.company,
        job_title=candidate.job_title,
        preferred_language=candidate.preferred_language,
        netacad_id=candidate.netacad_id,
        ccie_number=candidate.ccie_number,
        ccde_number=candidate.ccde_number,
        pending_email=candidate.pending_email,
        external_identities=[schemas.ExternalIdentity.model_validate(i) for i in identities],
    )


def publish_profile_updated(outbox, candidate: Candidate, changed: list[str], now: datetime) -> None:
    outbox.publish(
        new_event(
            CandidateProfileUpdatedV1,
            now,
            candidate_id=candidate.candidate_id,
            changed=sorted(set(changed)),
            first_name=candidate.first_name,
            last_name=candidate.last_name,
            email=candidate.email,
            country=candidate.country,
        )
    )


def set_password(candidate: Candidate, hasher, password: str, now: datetime) -> None:
    """Store the new password's hash; every other session and token ends."""
    candidate.password_hash = hasher.hash(password)
    candidate.password_changed_at = now
    candidate.updated_at = now
    credentials_changed(candidate)


def credentials_changed(candidate: Candidate) -> None:
    """A change of how the candidate logs in (password, email, single sign-on):
    the gateway ends every session and token issued at an older version."""
    candidate.credential_version = (candidate.credential_version or 0) + 1
