"""First-time login: by email, by score report, and the link that completes it.

Asking by email answers `None` whatever happens (unknown address, mail quota
used up) so the page cannot tell who has an account; mail goes through the
outbox, so the answer does not take longer when a mail is sent either.

First-time login is for records without a password (docs/decisions/
0018-account-security.md). For a record that has one, asking by email mails
the password-reset link to the record's own address instead, and a score
report never moves that record's email: the answer is the same as for any
record, and the mail to the requested address says to open a support ticket,
where staff check an ID document. A first-time link of a record that got a
password since counts as used. Matching a score report compares identity's
own last name of the candidate, never the one a later vendor message gave.

A link never carries a single sign-on identity any more: the gateway links
one only for a logged-in candidate or for the browser session that began
with that sign-on and then proved the password or a mailed link
(`link_external_identity`).
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certtrack_shared.contracts.identity import ExternalIdentityLinkedV1
from certtrack_shared.validation import parse

from identity import mails, schemas
from identity.handlers import tokens
from identity.exceptions import (
    EmailBelongsToAnotherCandidate,
    ExternalIdentityTaken,
    InvalidProfile,
    LinkTokenInvalid,
    ScoreReportNotMatched,
)
from identity.handlers.common import (
    candidates_by_email,
    credentials_changed,
    email_owner,
    get_candidate,
    mask_email,
    new_event,
    normalize_email,
    profile,
    publish_profile_updated,
    set_password,
    summary,
)
from identity.handlers.recovery import send_password_reset_link
from identity.models import Candidate, ExternalIdentity, Registration
from identity.handlers.passwords import check_password_rules
from identity.handlers.programs import get_program
from identity.handlers.ratelimit import allow_mail, score_report_throttle

log = logging.getLogger(__name__)


def parse_external(external_identity) -> dict:
    parsed = parse(schemas.ExternalIdentityIn, external_identity, InvalidProfile, otherwise=schemas.NOT_VALID)
    email = normalize_email(parsed.email) if parsed.email else None
    return {"issuer": parsed.issuer, "subject": parsed.subject, "email": email}


def send_first_time_link(session: Session, outbox, now, candidate: Candidate) -> None:
    token = tokens.issue(session, candidate.candidate_id, tokens.FIRST_TIME, now)
    mails.send(
        outbox, "first_time_link", candidate.email, token=token,
        valid_hours=int(tokens.VALIDITY[tokens.FIRST_TIME].total_seconds() // 3600),
        **mails.candidate_context(candidate),
    )


def start_first_time_by_email(session: Session, outbox, clock, *, email, program=None) -> None:
    """Mail a first-time link to the candidate record of `program` with this email, or, with
    no program (the site and the API: a person does not know which program's record they
    have), to each program's record with it, as password resets do; a record that has a
    password gets the password-reset link instead. Silent either way."""
    now = clock()
    address = normalize_email(email)
    if address is None or (program is not None and get_program(program) is None):
        return None
    if not allow_mail(session, address, "first_time", now):
        return None
    for candidate in candidates_by_email(session, address, program)[:5]:
        if candidate.password_hash is None:
            send_first_time_link(session, outbox, now, candidate)
        else:
            send_password_reset_link(session, outbox, now, candidate)
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
        # identity's own name: a vendor message's (registration.last_name) is only
        # what some vendor key holder sent.
        if _same_name(last_name, candidate.last_name):
            return candidate
    return None


def start_first_time_by_score_report(session: Session, outbox, clock, *, last_name,
                                     registration_number, new_email,
                                     client_address=None) -> schemas.SentTo:
    """Match last name + registration number; move the email to `new_email`
    (unless another candidate has it) and mail the set-password link there.
    A record that has a password keeps its email: `new_email` is told by mail
    to open a support ticket, and the record's own address that someone asked.

    Failed matches are limited per registration number and per client address
    (`identity.handlers.ratelimit`): past the limit, `TooManyAttempts` before any lookup.
    """
    now = clock()
    throttle = score_report_throttle(session, now)
    account = f"registration:{_registration_number(registration_number)[:60].casefold()}"
    throttle.check(account, client_address)
    address = normalize_email(new_email)
    if address is None:
        raise InvalidProfile({"new_email": "Enter a valid email address."})
    matched = match_score_report(session, last_name, registration_number)
    if matched is None:
        throttle.record_failure(account, client_address)  # committed: survives the rollback
        raise ScoreReportNotMatched()
    throttle.clear_account(account)
    candidate = get_candidate(session, matched.candidate_id, lock=True)
    if candidate.password_hash is not None:
        _refer_to_support(session, outbox, now, candidate, address)
        return schemas.SentTo(sent_to=mask_email(address))
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
        credentials_changed(candidate)
        publish_profile_updated(outbox, candidate, ["email"], now)
        mails.send(outbox, "email_changed", old_email, new_email_masked=mask_email(address),
                   **mails.candidate_context(candidate))
    if allow_mail(session, address, "first_time", now):
        send_first_time_link(session, outbox, now, candidate)
    return schemas.SentTo(sent_to=mask_email(address))


def _refer_to_support(session: Session, outbox, now, candidate: Candidate, address: str) -> None:
    """A score report of a record that has a login: nothing moves. The requested
    address learns how to get the record moved (a support ticket with an ID
    document); the record's own address learns that someone asked."""
    if allow_mail(session, address, "first_time", now):
        mails.send(outbox, "score_report_has_login", address, **mails.candidate_context(candidate))
    if address != candidate.email and allow_mail(session, candidate.email, "score_report_notice", now):
        mails.send(outbox, "score_report_used", candidate.email,
                   requested_email_masked=mask_email(address), **mails.candidate_context(candidate))
    log.info("score report of %s, which has a password: referred to support",
             candidate.candidate_id)


def inspect_link_token(session: Session, clock, *, token, purpose) -> schemas.LinkTokenInfo:
    """Whether a mailed link can still be used; says nothing about whose it is unless it can."""
    if purpose not in tokens.VALIDITY:
        return schemas.LinkTokenInfo(valid=False, reason="unknown")
    row, reason = tokens.look_up(session, token, purpose, clock())
    if reason is not None:
        return schemas.LinkTokenInfo(valid=False, reason=reason)
    candidate = session.get(Candidate, row.candidate_id)
    if purpose == tokens.FIRST_TIME and candidate.password_hash is not None:
        return schemas.LinkTokenInfo(valid=False, reason="used")
    return schemas.LinkTokenInfo(
        valid=True,
        candidate_id=candidate.candidate_id,
        first_name=candidate.first_name,
    )


def complete_first_time(session: Session, outbox, hasher, clock, *, token,
                        password) -> schemas.CandidateSummary:
    """Set the password from a first-time link of a record that has none."""
    now = clock()
    row = tokens.require(session, token, tokens.FIRST_TIME, now)
    candidate = get_candidate(session, row.candidate_id, lock=True)
    if candidate.password_hash is not None:  # set since the link was mailed: a reset's job
        raise LinkTokenInvalid("used")
    check_password_rules(password, candidate_id=candidate.candidate_id, email=candidate.email)
    set_password(candidate, hasher, password, now)
    tokens.mark_used(session, row, now)
    return summary(candidate)


def link_external_identity(session: Session, outbox, clock, *, candidate_id,
                           external_identity) -> schemas.CandidateProfile:
    """Map a single sign-on identity to the candidate, for the gateway once the
    candidate proved both sides (a login of this record, and the sign-on in the
    same browser). Mails the candidate; ends their other sessions and tokens.
    ExternalIdentityTaken when another candidate has it."""
    now = clock()
    external = parse_external(external_identity)
    candidate = get_candidate(session, candidate_id, lock=True)
    if not link_identity(session, outbox, now, candidate, external["issuer"],
                         external["subject"], external["email"]):
        raise ExternalIdentityTaken()
    return profile(session, candidate)


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
    credentials_changed(candidate)
    candidate.updated_at = now
    mails.send(outbox, "sso_linked", candidate.email, issuer=issuer,
               account=email or subject, **mails.candidate_context(candidate))
    return True
