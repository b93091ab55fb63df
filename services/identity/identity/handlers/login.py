"""Password login and SSO lookup.

An unknown login and a wrong password answer the same `InvalidCredentials`
and cost the same time (a dummy hash is verified for an unknown login).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity import schemas
from identity.exceptions import InvalidCredentials
from identity.handlers.common import candidates_by_email, normalize_email, summary
from identity.models import Candidate, ExternalIdentity
from identity.handlers.passwords import MAX_LENGTH
from identity.handlers.programs import looks_like_candidate_id
from identity.handlers.ratelimit import LoginThrottle


def resolve_login(session: Session, login: str) -> list[Candidate]:
    """The candidates a login names: one by candidate ID, or every program's by email."""
    if looks_like_candidate_id(login):
        candidate = session.get(Candidate, login.strip().upper())
        return [candidate] if candidate is not None else []
    email = normalize_email(login)
    return candidates_by_email(session, email) if email else []


def authenticate(session: Session, hasher, clock, *, login, password,
                 client_address) -> schemas.CandidateSummary:
    now = clock()
    login = login.strip() if isinstance(login, str) else ""
    password = password if isinstance(password, str) else ""
    candidates = resolve_login(session, login)[:5]
    # Per account: the candidate when the login names one, else the login text
    # (so an unknown login is throttled exactly like a known one).
    account = candidates[0].candidate_id if len(candidates) == 1 else f"login:{login.lower()[:250]}"
    throttle = LoginThrottle(session, now, scope="candidate")
    throttle.check(account, client_address)

    matched = None
    if len(password) <= MAX_LENGTH * 4:
        if not candidates:
            hasher.verify(None, password)
        for candidate in candidates:
            if hasher.verify(candidate.password_hash, password):
                matched = candidate
                break
    if matched is None:
        throttle.record_failure(account, client_address)
        raise InvalidCredentials()
    throttle.clear_account(account)
    if hasher.needs_rehash(matched.password_hash):
        matched.password_hash = hasher.hash(password)
    return summary(matched)


def find_by_external_identity(session: Session, *, issuer, subject) -> schemas.CandidateSummary | None:
    if not isinstance(issuer, str) or not isinstance(subject, str):
        return None
    candidate = session.execute(
        select(Candidate)
        .join(ExternalIdentity, ExternalIdentity.candidate_id == Candidate.candidate_id)
        .where(ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject)
    ).scalar_one_or_none()
    return summary(candidate) if candidate is not None else None
