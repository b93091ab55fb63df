"""First-time login: by email, by score report, and the link that completes it.

Asking by email answers `None` whatever happens (unknown address, mail quota
used up) so the page cannot tell who has an account; mail goes through the
outbox, so the answer does not take longer when a mail is sent either.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certtrack_shared.contracts.identity import ExternalIdentityLinkedV1

from identity import mails, schemas, tokens
from identity.exceptions import (
    EmailBelongsToAnotherCandidate,
    InvalidProfile,
    ScoreReportNotMatched,
)
from identity.handlers.common import (
    candidates_by_email,
    email_owner,
    get_candidate,
    mask_email,
    new_event,
    normalize_email,
    publish_profile_updated,
    set_password,
    summary,
)
from identity.models import Candidate, ExternalIdentity, Registration
from identity.passwords import check_password_rules
from identity.programs import get_program
from identity.ratelimit import allow_mail, score_report_throttle

log = logging.getLogger(__name__)


def parse_external(external_identity) -> dict | None:
    if external_identity is None:
        return None
    parsed = schemas.parse(schemas.ExternalIdentityIn, external_identity)
    email = normalize_email(parsed.email) if parsed.email else None
    return {"issuer": parsed.issuer, "subject": parsed.subject, "email": email}


def send_first_time_link(session: Session, outbox, now, candidate: Candidate,
                         external: dict | None) -> None:
    token = tokens.issue(session, candidate.candidate_id, tokens.FIRST_TIME, now, external=external)
    mails.send(
        outbox, "first_time_link", candidate.email, token=token,
        valid_hours=int(tokens.VALIDITY[tokens.FIRST_TIME].total_seconds() // 3600),
        links_identity=external is not None, **mails.candidate_context(candidate),
    )


def start_first_time_by_email(session: Session, outbox, clock, *, email,
                              program=None, external_identity=None) -> None:
    """Mail a first-time link to the candidate record of `program` with this email, or, with
    no program (the site and the API: a person does not know which program's record they
    have), to each program's record with it, as password resets do. Silent either way."""
    now = clock()
    external = parse_external(external_identity)
    address = normalize_email(email)
    if address is None or (program is not None and get_program(program) is None):
        return None
    if not allow_mail(session, address, "first_time", now):
        return None
    for candidate in candidates_by_email(session, address, program)[:5]:
        send_first_time_link(session, outbox, now, candidate, external)
    return None


def _same_name(a: str | None, b: str | None) -> bool:
    def fold(value):
        return re.sub(r"\s+", " ", (value or "").strip()).casefold()

    return bool(fold(a)) and fold(a) == fold(b)


def _registration_number(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def match_score_report(session: Session, last_name, registration_number) -> Candidate | None:
    if not isinstance(last_name, str):
        return None
    number = _registration_number(registration_number)
    if not number or len(number) > 60:
        return None
    registrations = session.execute(
        select(Registration).where(Registration.registration_number == number)
    ).scalars().all()
    for registration in registrations:
        candidate = session.get(Candidate, registration.candidate_id)
        if _same_name(last_name, registration.last_name) or _same_name(last_name, candidate.last_name):
            return candidate
    return None


def start_first_time_by_score_report(session: Session, outbox, clock, *, last_name,
                                     registration_number, new_email, external_identity=None,
                                     client_address=None) -> schemas.SentTo:
    """Match last name + registration number; move the email to `new_email`
    (unless another candidate has it) and mail the set-password link there.

    Failed matches are limited per registration number and per client address
    (`identity.ratelimit`): past the limit, `TooManyAttempts` before any lookup.
    """
    now = clock()
    throttle = score_report_throttle(session, now)
    account = f"registration:{_registration_number(registration_number)[:60].casefold()}"
    throttle.check(account, client_address)
    external = parse_external(external_identity)
    address = normalize_email(new_email)
    if address is None:
        raise InvalidProfile({"new_email": "Enter a valid email address."})
    matched = match_score_report(session, last_name, registration_number)
    if matched is None:
        throttle.record_failure(account, client_address)  # committed: survives the rollback
        raise ScoreReportNotMatched()
    throttle.clear_account(account)
    candidate = get_candidate(session, matched.candidate_id, lock=True)
    if address != candidate.email:
        owner = email_owner(session, candidate.program, address)
        if owner is not None and owner.candidate_id != candidate.candidate_id:
            raise EmailBelongsToAnotherCandidate({
                "new_email": "This email address belongs to another candidate record. "
                             "Please open a support ticket so we can sort it out."
            })
        old_email = candidate.email
        candidate.email = address
        if candidate.pending_email == address:
            candidate.pending_email = None
        candidate.updated_at = now
        publish_profile_updated(outbox, candidate, ["email"], now)
        mails.send(outbox, "email_changed", old_email, new_email_masked=mask_email(address),
                   **mails.candidate_context(candidate))
    if allow_mail(session, address, "first_time", now):
        send_first_time_link(session, outbox, now, candidate, external)
    return schemas.SentTo(sent_to=mask_email(address))


def inspect_link_token(session: Session, clock, *, token, purpose) -> schemas.LinkTokenInfo:
    """Whether a mailed link can still be used; says nothing about whose it is unless it can."""
    if purpose not in tokens.VALIDITY:
        return schemas.LinkTokenInfo(valid=False, reason="unknown")
    row, reason = tokens.look_up(session, token, purpose, clock())
    if reason is not None:
        return schemas.LinkTokenInfo(valid=False, reason=reason)
    candidate = session.get(Candidate, row.candidate_id)
    return schemas.LinkTokenInfo(
        valid=True,
        candidate_id=candidate.candidate_id,
        first_name=candidate.first_name,
        links_identity=row.external_issuer is not None,
    )


def complete_first_time(session: Session, outbox, hasher, clock, *, token,
                        password) -> schemas.FirstTimeCompleted:
    """Set the password from a first-time link (and map the SSO identity it carries)."""
    now = clock()
    row = tokens.require(session, token, tokens.FIRST_TIME, now)
    candidate = get_candidate(session, row.candidate_id, lock=True)
    check_password_rules(password, candidate_id=candidate.candidate_id, email=candidate.email)
    set_password(candidate, hasher, password, now)
    tokens.mark_used(session, row, now)
    linked = False
    if row.external_issuer and row.external_subject:
        linked = link_identity(session, outbox, now, candidate, row.external_issuer,
                               row.external_subject, row.external_email)
    return schemas.FirstTimeCompleted(**summary(candidate).model_dump(), identity_linked=linked)


def link_identity(session: Session, outbox, now, candidate: Candidate, issuer: str,
                  subject: str, email: str | None) -> bool:
    """Map (issuer, subject) to the candidate; False if another candidate has it."""
    existing = session.execute(
        select(ExternalIdentity).where(
            ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject
        )
    ).scalar_one_or_none()
    if existing is not None:
        if existing.candidate_id != candidate.candidate_id:
            log.warning("external identity already mapped to another candidate; not linked to %s",
                        candidate.candidate_id)
            return False
        return True
    try:
        with session.begin_nested():
            session.add(ExternalIdentity(candidate_id=candidate.candidate_id, issuer=issuer,
                                         subject=subject, email=email, linked_at=now))
    except IntegrityError:
        return False  # mapped by a concurrent request a moment ago
    outbox.publish(new_event(ExternalIdentityLinkedV1, now, candidate_id=candidate.candidate_id,
                             issuer=issuer, subject=subject))
    return True
