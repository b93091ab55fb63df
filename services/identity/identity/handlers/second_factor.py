"""The staff second factor: TOTP (RFC 6238) at every staff login, with one-time
recovery codes (docs/decisions/0019-staff-second-factor.md).

- A staff member without a confirmed secret enrols at their next login, after
  the password: `start_enrolment` offers a fresh secret (each call replaces the
  one offered before, so a secret seen by someone who only had the password is
  worthless once the owner starts again), `confirm_enrolment` makes it active
  once a code from it is right, and hands out `RECOVERY_CODES` recovery codes,
  shown this once and kept as SHA-256 only.
- `verify` takes a 6-digit code of the current time step (one step either side
  for clock drift), or an unused recovery code, which is then used up.
- A code is accepted once: its time step must be later than the last one
  accepted (`staff_users.totp_last_step`), so a code seen over a shoulder or
  replayed within its 30 seconds is refused. The staff row is locked while a
  code is checked, so two requests with one code cannot both pass.
- Wrong codes count like wrong passwords (`LoginThrottle`, scope `staff`, an
  account key of their own so a right password never forgives them).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from identity import schemas
from identity.exceptions import InvalidCredentials, NotAuthorized
from identity.handlers.staff import require_staff, staff_reply
from identity.models import StaffRecoveryCode, StaffUser
from identity.handlers.ratelimit import LoginThrottle

ISSUER = "CertTrack staff"
RECOVERY_CODES = 10
# Clock drift tolerated: one 30-second step before and after the server's.
DRIFT_STEPS = 1
_DIGITS = re.compile(r"^[0-9]{6}$")
_RECOVERY = re.compile(r"^[0-9a-f]{10}$")


def _locked(session: Session, staff_id) -> StaffUser:
    """The active staff user, row-locked until the transaction ends."""
    staff = require_staff(session, staff_id)
    session.refresh(staff, with_for_update=True)
    if not staff.active:
        raise NotAuthorized()
    return staff


def _normalise(code) -> str:
    return re.sub(r"[\s-]", "", code).lower()[:40] if isinstance(code, str) else ""


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code is `code` (within the drift), or None."""
    if not _DIGITS.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_step(staff: StaffUser, secret: str, code: str, now: datetime) -> bool:
    step = _matching_step(secret, code, now)
    if step is None or (staff.totp_last_step is not None and step <= staff.totp_last_step):
        return False
    staff.totp_last_step = step
    return True


def _use_recovery_code(session: Session, staff: StaffUser, code: str, now: datetime) -> bool:
    if not _RECOVERY.match(code):
        return False
    used = session.execute(
        update(StaffRecoveryCode)
        .where(StaffRecoveryCode.staff_id == staff.id, StaffRecoveryCode.code_hash == _hash(code),
               StaffRecoveryCode.used_at.is_(None))
        .values(used_at=now)
    )
    return used.rowcount == 1


def _throttled(session: Session, now: datetime, staff: StaffUser, client_address, accepted) -> None:
    """Check the limit, then record a failure (and refuse) unless `accepted()` is true."""
    throttle = LoginThrottle(session, now, scope="staff")
    account = f"staff-code:{staff.id}"
    throttle.check(account, client_address)
    if not accepted():
        throttle.record_failure(account, client_address)  # commits, which ends the row lock
        raise InvalidCredentials()
    throttle.clear_account(account)


def _new_recovery_codes(session: Session, staff: StaffUser, now: datetime) -> list[str]:
    session.execute(StaffRecoveryCode.__table__.delete().where(StaffRecoveryCode.staff_id == staff.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 40 bits each, 10 of them, usable once, behind the password
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(StaffRecoveryCode(staff_id=staff.id, code_hash=_hash(raw), created_at=now))
    return codes


def start_enrolment(session: Session, *, staff_id) -> schemas.SecondFactorEnrolment:
    """A fresh secret to enrol; refused once a second factor is active."""
    staff = _locked(session, staff_id)
    if staff.totp_secret is not None:
        raise NotAuthorized()
    staff.totp_pending_secret = pyotp.random_base32(32)  # 160 bits
    session.flush()
    uri = pyotp.TOTP(staff.totp_pending_secret).provisioning_uri(name=staff.email, issuer_name=ISSUER)
    return schemas.SecondFactorEnrolment(secret=staff.totp_pending_secret, provisioning_uri=uri)


def confirm_enrolment(session: Session, clock, *, staff_id, code,
                      client_address=None) -> schemas.SecondFactorEnrolled:
    """Activate the offered secret once `code` is right; the recovery codes, shown once."""
    now = clock()
    staff = _locked(session, staff_id)
    if staff.totp_secret is not None or staff.totp_pending_secret is None:
        raise NotAuthorized()
    pending = staff.totp_pending_secret
    _throttled(session, now, staff, client_address,
               lambda: _accept_step(staff, pending, _normalise(code), now))
    staff.totp_secret, staff.totp_pending_secret, staff.totp_enrolled_at = pending, None, now
    codes = _new_recovery_codes(session, staff, now)
    session.flush()
    return schemas.SecondFactorEnrolled(staff=staff_reply(staff), recovery_codes=codes)


def verify(session: Session, clock, *, staff_id, code, client_address=None) -> schemas.StaffSummary:
    """The staff member, when `code` is a fresh TOTP code or an unused recovery code."""
    now = clock()
    staff = _locked(session, staff_id)
    if staff.totp_secret is None:
        raise NotAuthorized()
    given = _normalise(code)
    _throttled(session, now, staff, client_address,
               lambda: _accept_step(staff, staff.totp_secret, given, now)
               or _use_recovery_code(session, staff, given, now))
    session.flush()
    return staff_reply(staff)


def reset(session: Session, staff: StaffUser) -> None:
    """Forget `staff`'s second factor: they enrol again at their next login."""
    staff.totp_secret = staff.totp_pending_secret = staff.totp_enrolled_at = None
    staff.totp_last_step = None
    session.execute(StaffRecoveryCode.__table__.delete().where(StaffRecoveryCode.staff_id == staff.id))


def recovery_codes_left(session: Session, staff_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(StaffRecoveryCode)
        .where(StaffRecoveryCode.staff_id == staff_id, StaffRecoveryCode.used_at.is_(None))
    ).scalar_one()
