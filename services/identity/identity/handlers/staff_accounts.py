"""Staff accounts as the console sees them: who is signed in right now (asked on
every staff request, so a role change or a deactivation applies at the next
click), and what an administrator changes (role, active, second factor).
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identity import schemas
from identity.exceptions import InvalidProfile, NotAuthorized, NotFound
from identity.handlers import second_factor
from identity.handlers.staff import ROLES, require_staff, staff_reply
from identity.models import StaffRecoveryCode, StaffUser


def current(session: Session, *, staff_id) -> schemas.StaffSummary | None:
    """The staff member as they are now, or None once deactivated (or unknown)."""
    try:
        staff = session.get(StaffUser, int(staff_id))
    except (TypeError, ValueError):
        return None
    if staff is None or not staff.active:
        return None
    return staff_reply(staff)


def _account(staff: StaffUser, codes_left: int) -> schemas.StaffAccount:
    return schemas.StaffAccount(
        **staff_reply(staff).model_dump(), active=staff.active,
        created_at=staff.created_at, second_factor_enrolled_at=staff.totp_enrolled_at,
        recovery_codes_left=codes_left,
    )


def list_accounts(session: Session) -> list[schemas.StaffAccount]:
    left = dict(session.execute(
        select(StaffRecoveryCode.staff_id, func.count())
        .where(StaffRecoveryCode.used_at.is_(None)).group_by(StaffRecoveryCode.staff_id)
    ).all())
    found = session.execute(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.email)).scalars()
    return [_account(staff, left.get(staff.id, 0)) for staff in found]


def _other_account(session: Session, staff_id, acting_staff_id) -> StaffUser:
    """The account an administrator (`acting_staff_id`, active admin) changes; never their own,
    so nobody locks themselves out and the last administrator stays one."""
    actor = require_staff(session, acting_staff_id, roles=("admin",))
    try:
        staff = session.get(StaffUser, int(staff_id), with_for_update=True)
    except (TypeError, ValueError):
        staff = None
    if staff is None:
        raise NotFound("staff")
    if staff.id == actor.id:
        raise NotAuthorized()
    return staff


def update_account(session: Session, *, staff_id, acting_staff_id, role=None,
                   active=None) -> schemas.StaffAccount:
    """Change another account's role and/or active status (None leaves it)."""
    staff = _other_account(session, staff_id, acting_staff_id)
    if role is not None and role not in ROLES:
        raise InvalidProfile({"role": "Choose admin or support."})
    if active is not None and not isinstance(active, bool):
        raise InvalidProfile({"active": "Choose active or deactivated."})
    if role is not None:
        staff.role = role
    if active is not None:
        staff.active = active
    session.flush()
    return _account(staff, second_factor.recovery_codes_left(session, staff.id))


def reset_second_factor(session: Session, *, staff_id, acting_staff_id) -> schemas.StaffAccount:
    """Forget another account's second factor (a lost phone): they enrol at their next login."""
    staff = _other_account(session, staff_id, acting_staff_id)
    second_factor.reset(session, staff)
    session.flush()
    return _account(staff, 0)
