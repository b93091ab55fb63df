"""Forgotten password and forgotten candidate ID.

Both answer `None` whether or not the account exists, and mail at most
3 times per address per hour.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from identity import mails, schemas
from identity.handlers import tokens
from identity.handlers.common import (
    candidates_by_email,
    get_candidate,
    normalize_email,
    set_password,
    summary,
)
from identity.handlers.login import resolve_login
from identity.handlers.passwords import check_password_rules
from identity.handlers.ratelimit import LoginThrottle, allow_mail


def request_password_reset(session: Session, outbox, clock, *, login) -> None:
    now = clock()
    login = login.strip() if isinstance(login, str) else ""
    if not login or len(login) > 254:
        return None
    candidates = resolve_login(session, login)[:5]
    address = candidates[0].email if candidates else login.lower()
    if not allow_mail(session, address, "password_reset", now):
        return None
    for candidate in candidates:
        send_password_reset_link(session, outbox, now, candidate)
    return None


def send_password_reset_link(session: Session, outbox, now, candidate) -> None:
    """To the record's own address, always."""
    token = tokens.issue(session, candidate.candidate_id, tokens.PASSWORD_RESET, now)
    mails.send(
        outbox, "password_reset", candidate.email, token=token,
        valid_hours=int(tokens.VALIDITY[tokens.PASSWORD_RESET].total_seconds() // 3600),
        **mails.candidate_context(candidate),
    )


def reset_password(session: Session, hasher, clock, *, token, password) -> schemas.CandidateSummary:
    now = clock()
    row = tokens.require(session, token, tokens.PASSWORD_RESET, now)
    candidate = get_candidate(session, row.candidate_id, lock=True)
    check_password_rules(password, candidate_id=candidate.candidate_id, email=candidate.email)
    set_password(candidate, hasher, password, now)
    tokens.mark_used(session, row, now)
    # Whoever can read the mail may log in again at once.
    LoginThrottle(session, now).clear_account(candidate.candidate_id)
    return summary(candidate)


def remind_candidate_id(session: Session, outbox, clock, *, email) -> None:
    now = clock()
    address = normalize_email(email)
    if address is None:
        return None
    if not allow_mail(session, address, "candidate_id_reminder", now):
        return None
    candidates = candidates_by_email(session, address)
    if candidates:
        mails.send(outbox, "candidate_id_reminder", address,
                   candidates=[mails.candidate_context(c) for c in candidates])
    return None
