"""Personal information: reading and updating the profile, confirming a new
email, changing the password, unlinking SSO identities, and the attributes
only staff set.

Changing the email, the password or unlinking a single sign-on account needs
the candidate to prove it is them again (`reauthenticate`): their current
password, or a login in the last 5 minutes, which the gateway vouches for
(`recently_logged_in`). Each of them, once done, is a credential change: the
candidate's other sessions and tokens end (docs/decisions/0018-account-security.md).
"""
from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certtrack_shared.validation import parse

from identity import mails, schemas
from identity.handlers import tokens
from identity.exceptions import (
    CannotUnlinkLastLogin,
    EmailTaken,
    InvalidProfile,
    NotFound,
    ReauthenticationRequired,
)
from identity.handlers.common import (
    credentials_changed,
    email_owner,
    get_candidate,
    mask_email,
    normalize_email,
    profile,
    publish_profile_updated,
    set_password,
    summary,
)
from identity.models import Candidate, ExternalIdentity
from identity.handlers.passwords import MAX_LENGTH, check_password_rules
from identity.handlers.ratelimit import LoginThrottle, allow_mail
from identity.handlers.reference import country_code, language_code

REQUIRED = "This field is required."
PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
ATTRIBUTE = re.compile(r"^[A-Za-z0-9:-]{1,20}$")

# Profile field (dotted as in the reply) → Candidate column.
COLUMNS = {
    "email": "email",
    "phone": "phone",
    "address.line1": "address_line1",
    "address.line2": "address_line2",
    "address.city": "city",
    "address.region": "region",
    "address.postal_code": "postal_code",
    "address.country": "country",
    "company": "company",
    "job_title": "job_title",
    "preferred_language": "preferred_language",
    "netacad_id": "netacad_id",
}
REQUIRED_FIELDS = ("email", "phone", "address.line1", "address.city", "address.country",
                   "preferred_language")


def get_profile(session: Session, *, candidate_id) -> schemas.CandidateProfile:
    return profile(session, get_candidate(session, candidate_id))


def _flatten(changes: schemas.ProfileChanges) -> dict[str, str | None]:
    given = changes.model_dump(exclude_unset=True)
    flat = {key: value for key, value in given.items() if key != "address"}
    for key, value in (given.get("address") or {}).items():
        flat[f"address.{key}"] = value
    # An emptied field is a missing one.
    return {key: (value or None) for key, value in flat.items()}


def _check(field: str, value: str) -> tuple[str | None, str | None]:
    """(normalised value, error message) of one given field."""
    if field == "email":
        email = normalize_email(value)
        return (email, None) if email else (None, "Enter a valid email address, e.g. name@example.com.")
    if field == "phone":
        if PHONE.match(value) and 6 <= sum(ch.isdigit() for ch in value) <= 20:
            return value, None
        return None, "Enter a phone number with its country code, e.g. +1 408 555 0100."
    if field == "address.country":
        code = country_code(value)
        return (code, None) if code else (None, "Choose a country from the list (ISO code such as US).")
    if field == "preferred_language":
        code = language_code(value)
        return (code, None) if code else (None, "Choose a language from the list.")
    return value, None


def update_profile(session: Session, outbox, clock, *, candidate_id, changes, hasher=None,
                   current_password=None, recently_logged_in=False,
                   client_address=None) -> schemas.CandidateProfile:
    """Apply the changes (all or nothing). A new email needs the candidate to
    prove it is them (`reauthenticate`), then waits as `pending_email` until the
    link mailed to it is followed."""
    now = clock()
    if not isinstance(changes, dict):
        raise InvalidProfile({"changes": "Send the fields to change as an object."})
    given = _flatten(parse(schemas.ProfileChanges, changes, InvalidProfile, read_only=schemas.READ_ONLY,
                           otherwise=schemas.NOT_VALID))
    candidate = get_candidate(session, candidate_id, lock=True)

    errors: dict[str, str] = {}
    merged = {field: getattr(candidate, column) for field, column in COLUMNS.items()}
    for field, value in given.items():
        if value is None:
            merged[field] = None
            continue
        merged[field], error = _check(field, value)
        if error:
            errors[field] = error
    for field in REQUIRED_FIELDS:
        if field not in errors and not merged[field]:
            errors[field] = REQUIRED
    if errors:
        raise InvalidProfile(errors)

    new_email = merged.pop("email")
    if new_email != candidate.email:
        reauthenticate(session, hasher, now, candidate, current_password, recently_logged_in,
                       client_address, "change your email address")
        owner = email_owner(session, candidate.program, new_email)
        if owner is not None:
            raise EmailTaken({"email": "This email address is already used by another candidate."})
        # Sending the pending address again mails a fresh link (a "resend").
        request_email_confirmation(session, outbox, now, candidate, new_email)

    changed = [field.split(".")[0] if field.startswith("address.") else field
               for field, value in merged.items() if getattr(candidate, COLUMNS[field]) != value]
    for field, value in merged.items():
        setattr(candidate, COLUMNS[field], value)
    if changed:
        candidate.updated_at = now
        publish_profile_updated(outbox, candidate, changed, now)
    return profile(session, candidate)


def request_email_confirmation(session: Session, outbox, now, candidate: Candidate, email: str) -> None:
    candidate.pending_email = email
    candidate.updated_at = now
    if not allow_mail(session, email, "email_confirmation", now):
        return
    token = tokens.issue(session, candidate.candidate_id, tokens.EMAIL_CONFIRMATION, now, email=email)
    mails.send(
        outbox, "email_confirmation", email, token=token,
        valid_hours=int(tokens.VALIDITY[tokens.EMAIL_CONFIRMATION].total_seconds() // 3600),
        **mails.candidate_context(candidate),
    )


def confirm_email(session: Session, outbox, clock, *, token) -> schemas.CandidateProfile:
    now = clock()
    row = tokens.require(session, token, tokens.EMAIL_CONFIRMATION, now)
    candidate = get_candidate(session, row.candidate_id, lock=True)
    new_email = row.email
    tokens.mark_used(session, row, now)
    if new_email != candidate.email:
        owner = email_owner(session, candidate.program, new_email)
        if owner is not None:
            raise EmailTaken({"email": "This email address is already used by another candidate."})
        old_email = candidate.email
        candidate.email = new_email
        candidate.updated_at = now
        credentials_changed(candidate)
        publish_profile_updated(outbox, candidate, ["email"], now)
        mails.send(outbox, "email_changed", old_email, new_email_masked=mask_email(new_email),
                   **mails.candidate_context(candidate))
    if candidate.pending_email == new_email:
        candidate.pending_email = None
    return profile(session, candidate)


def unlink_external_identity(session: Session, outbox, clock, *, candidate_id, identity_id,
                             hasher=None, current_password=None, recently_logged_in=False,
                             client_address=None) -> schemas.CandidateProfile:
    """Remove one of the candidate's own SSO identities, never the last way in."""
    now = clock()
    candidate = get_candidate(session, candidate_id, lock=True)
    try:
        wanted = int(identity_id)
    except (TypeError, ValueError):
        raise NotFound("external_identity") from None
    identity = session.execute(
        select(ExternalIdentity).where(
            ExternalIdentity.id == wanted,
            ExternalIdentity.candidate_id == candidate.candidate_id,
        )
    ).scalar_one_or_none()
    if identity is None:
        raise NotFound("external_identity")
    others = session.execute(
        select(func.count()).select_from(ExternalIdentity).where(
            ExternalIdentity.candidate_id == candidate.candidate_id,
            ExternalIdentity.id != identity.id,
        )
    ).scalar_one()
    if candidate.password_hash is None and others == 0:
        raise CannotUnlinkLastLogin()
    reauthenticate(session, hasher, now, candidate, current_password, recently_logged_in,
                   client_address, "disconnect a single sign-on account")
    session.delete(identity)
    session.flush()
    credentials_changed(candidate)
    candidate.updated_at = now
    mails.send(outbox, "sso_unlinked", candidate.email, issuer=identity.issuer,
               account=identity.email or identity.subject, **mails.candidate_context(candidate))
    return profile(session, candidate)


def change_password(session: Session, outbox, hasher, clock, *, candidate_id, new_password,
                    current_password=None, recently_logged_in=False,
                    client_address=None) -> schemas.CandidateSummary:
    """A logged-in candidate's new password (or a first one, for a candidate who
    only signs in with single sign-on: then a recent login is the proof)."""
    now = clock()
    candidate = get_candidate(session, candidate_id, lock=True)
    reauthenticate(session, hasher, now, candidate, current_password, recently_logged_in,
                   client_address, "change your password")
    check_password_rules(new_password, candidate_id=candidate.candidate_id, email=candidate.email)
    set_password(candidate, hasher, new_password, now)
    mails.send(outbox, "password_changed", candidate.email, **mails.candidate_context(candidate))
    return summary(candidate)


def reauthenticate(session: Session, hasher, now, candidate: Candidate, current_password,
                   recently_logged_in: bool, client_address, doing: str) -> None:
    """Proof that the person is the candidate, again: a login in the last 5 minutes
    (the gateway's `recently_logged_in`), or the current password, throttled as a
    login. ReauthenticationRequired (a field problem on `current_password`) otherwise."""
    if recently_logged_in is True:
        return
    if not isinstance(current_password, str) or not current_password:
        if candidate.password_hash is None:  # single sign-on only: no password to enter
            raise ReauthenticationRequired({"current_password": f"Log in again, then {doing} "
                                                                "within 5 minutes."})
        raise ReauthenticationRequired({"current_password": f"Enter your current password to {doing}."})
    throttle = LoginThrottle(session, now, scope="candidate")
    throttle.check(candidate.candidate_id, client_address)
    if candidate.password_hash is None or len(current_password) > MAX_LENGTH * 4 \
            or not hasher.verify(candidate.password_hash, current_password):
        throttle.record_failure(candidate.candidate_id, client_address)
        raise ReauthenticationRequired({"current_password": "That is not your current password."})
    throttle.clear_account(candidate.candidate_id)


def credential_version(session: Session, *, candidate_id) -> int | None:
    """The candidate's credential version, or None for an unknown candidate."""
    if not isinstance(candidate_id, str):
        return None
    return session.execute(select(Candidate.credential_version)
                           .where(Candidate.candidate_id == candidate_id)).scalar_one_or_none()


def staff_set_attributes(session: Session, outbox, clock, *, candidate_id, ccie_number=None,
                         ccde_number=None) -> schemas.CandidateProfile:
    """Set (or, with "", clear) the CCIE and CCDE numbers; `None` leaves one as is."""
    now = clock()
    candidate = get_candidate(session, candidate_id, lock=True)
    errors, changed = {}, []
    for field, value in (("ccie_number", ccie_number), ("ccde_number", ccde_number)):
        if value is None:
            continue
        value = str(value).strip() or None
        if value is not None and not ATTRIBUTE.match(value):
            errors[field] = "Use up to 20 letters, digits, ':' or '-'."
            continue
        if getattr(candidate, field) != value:
            setattr(candidate, field, value)
            changed.append(field)
    if errors:
        raise InvalidProfile(errors)
    if changed:
        candidate.updated_at = now
        publish_profile_updated(outbox, candidate, changed, now)
    return profile(session, candidate)


def record_expert_number(session: Session, outbox, clock, event) -> schemas.CandidateProfile:
    """certs assigned a first CCIE/CCDE number: it becomes the read-only attribute.

    A number already on record is kept: it was set before (the same event
    redelivered under another id, or staff entering a holder's historical
    number), and a person's expert number never changes. Staff can clear it
    (`staff_set_attributes`) if it must be replaced.
    """
    from certtrack_shared.consumer import PoisonMessage

    from identity.exceptions import CandidateNotFound

    try:
        candidate = get_candidate(session, event.candidate_id, lock=True)
    except CandidateNotFound:
        raise PoisonMessage(f"no candidate {event.candidate_id!r}") from None
    field = "ccie_number" if event.series == "CCIE" else "ccde_number"
    if getattr(candidate, field) is None:
        now = clock()
        setattr(candidate, field, event.number)
        candidate.updated_at = now
        publish_profile_updated(outbox, candidate, [field], now)
    return profile(session, candidate)
