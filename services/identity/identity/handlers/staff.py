"""Staff accounts, staff login, and what staff do with candidates."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from identity import schemas
from identity.exceptions import EmailTaken, InvalidCredentials, InvalidProfile, NotAuthorized
from identity.handlers.candidates import create_candidate, lock_program
from identity.handlers.common import email_owner, normalize_email, summary
from identity.models import Candidate, StaffUser
from identity.handlers.passwords import MAX_LENGTH, check_password_rules
from identity.handlers.programs import get_program
from identity.handlers.ratelimit import LoginThrottle

ROLES = ("admin", "support")
SEARCH_LIMIT = 50


def staff_reply(staff: StaffUser) -> schemas.StaffSummary:
    return schemas.StaffSummary(id=staff.id, email=staff.email, name=staff.name, role=staff.role,
                                second_factor_enrolled=staff.totp_secret is not None)


def require_staff(session: Session, staff_id, roles=ROLES) -> StaffUser:
    """The active staff user with one of `roles`, or NotAuthorized."""
    try:
        wanted = int(staff_id)
    except (TypeError, ValueError):
        raise NotAuthorized() from None
    staff = session.get(StaffUser, wanted)
    if staff is None or not staff.active or staff.role not in roles:
        raise NotAuthorized()
    return staff


def staff_create(session: Session, hasher, clock, *, email, name, role, password) -> schemas.StaffSummary:
    now = clock()
    address = normalize_email(email)
    name = name.strip() if isinstance(name, str) else ""
    errors = {}
    if address is None:
        errors["email"] = "Enter a valid email address."
    if not name or len(name) > 200:
        errors["name"] = "Enter a name of at most 200 characters."
    if role not in ROLES:
        errors["role"] = "Choose admin or support."
    if errors:
        raise InvalidProfile(errors)
    check_password_rules(password, email=address)
    if session.execute(select(StaffUser.id).where(StaffUser.email == address)).first():
        raise EmailTaken({"email": "A staff user with this email address already exists."})
    staff = StaffUser(email=address, name=name, role=role, password_hash=hasher.hash(password),
                      active=True, created_at=now)
    session.add(staff)
    session.flush()
    return staff_reply(staff)


def staff_authenticate(session: Session, hasher, clock, *, email, password,
                       client_address) -> schemas.StaffSummary:
    now = clock()
    address = normalize_email(email) or (email.strip().lower()[:250] if isinstance(email, str) else "")
    password = password if isinstance(password, str) else ""
    account = f"staff:{address}"
    throttle = LoginThrottle(session, now, scope="staff")
    throttle.check(account, client_address)
    staff = session.execute(select(StaffUser).where(StaffUser.email == address)).scalar_one_or_none()
    usable = staff is not None and staff.active and len(password) <= MAX_LENGTH * 4
    # verify(None, …) costs the same as a real check and is always False.
    if not hasher.verify(staff.password_hash if usable else None, password):
        throttle.record_failure(account, client_address)
        raise InvalidCredentials()
    throttle.clear_account(account)
    return staff_reply(staff)


def contains_pattern(text: str) -> str:
    """An ILIKE pattern (escape `\\`) matching any text that contains `text`."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def staff_search_candidates(session: Session, *, query) -> list[schemas.CandidateSummary]:
    """Candidates whose ID, email or name contains the query (at most 50)."""
    text = " ".join(query.split()) if isinstance(query, str) else ""
    if len(text) < 2:
        return []
    pattern = contains_pattern(text[:200])
    full_name = Candidate.first_name + " " + Candidate.last_name
    found = session.execute(
        select(Candidate)
        .where(or_(
            Candidate.candidate_id.ilike(pattern, escape="\\"),
            Candidate.email.ilike(pattern, escape="\\"),
            full_name.ilike(pattern, escape="\\"),
            (Candidate.last_name + " " + Candidate.first_name).ilike(pattern, escape="\\"),
        ))
        .order_by(Candidate.last_name, Candidate.first_name, Candidate.candidate_id)
        .limit(SEARCH_LIMIT)
    ).scalars()
    return [summary(candidate) for candidate in found]


def staff_create_candidate(session: Session, outbox, clock, *, program, first_name, last_name,
                           email) -> schemas.CandidateSummary:
    now = clock()
    found = get_program(program) if isinstance(program, str) else None
    address = normalize_email(email)
    errors = {}
    if found is None:
        errors["program"] = "Choose a program from the list."
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if not isinstance(value, str) or not value.strip():
            errors[field] = "This field is required."
        elif len(value.strip()) > 120:
            errors[field] = "Use at most 120 characters."
    if address is None:
        errors["email"] = "Enter a valid email address."
    if errors:
        raise InvalidProfile(errors)
    lock_program(session, found)
    if email_owner(session, found.code, address) is not None:
        raise EmailTaken({"email": "This email address is already used by another candidate."})
    candidate = create_candidate(session, outbox, now, program=found, first_name=first_name,
                                 last_name=last_name, email=address, source="staff")
    return summary(candidate)
