"""The staff audit: every write a staff member makes in the console, with who,
what and when (docs/decisions/0019-staff-second-factor.md).

The gateway records one entry after each successful state-changing staff
request (gateway/staff/audit.py) and has already left out anything secret;
identity keeps the entries short (target and each detail cut to a few hundred
characters, a few dozen details at most) and names the staff member from its
own table, not from what the caller says.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from math import ceil

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from identity import schemas
from identity.exceptions import InvalidProfile, NotAuthorized
from identity.handlers.staff import contains_pattern
from identity.models import StaffAuditEntry, StaffUser

PAGE_SIZE = 50
MAX_DETAILS = 30
MAX_VALUE = 300


def _short(value, limit: int) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record(session: Session, clock, *, staff_id, area, action, target, details=None,
           client_address=None) -> None:
    try:
        staff = session.get(StaffUser, int(staff_id))
    except (TypeError, ValueError):
        staff = None
    if staff is None:
        raise NotAuthorized()
    kept = {}
    for key, value in (details or {}).items() if isinstance(details, dict) else ():
        if len(kept) == MAX_DETAILS:
            break
        kept[_short(key, 60)] = _short(value, MAX_VALUE)
    session.add(StaffAuditEntry(
        recorded_at=clock(), staff_id=staff.id, staff_email=staff.email,
        area=_short(area or "", 40), action=_short(action or "", 80), target=_short(target or "", 200),
        details=kept, client_address=_short(client_address, 64) if client_address else None,
    ))


def _day(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InvalidProfile({field: "Give a date as YYYY-MM-DD."}) from None


def list_entries(session: Session, *, staff=None, area=None, action=None, target=None, since=None,
                 until=None, page=1) -> schemas.AuditPage:
    """Entries newest first, `PAGE_SIZE` a page. `staff` matches the email (part of it) or the id;
    `area` and `action` exactly; `target` a part of it; `since`/`until` are days, both included."""
    conditions = []
    if isinstance(staff, str) and staff.strip():
        wanted = staff.strip()
        conditions.append(or_(StaffAuditEntry.staff_email.ilike(contains_pattern(wanted.lower()), escape="\\"),
                              StaffAuditEntry.staff_id == (int(wanted) if wanted.isdigit() else -1)))
    if area:
        conditions.append(StaffAuditEntry.area == str(area))
    if action:
        conditions.append(StaffAuditEntry.action == str(action))
    if isinstance(target, str) and target.strip():
        conditions.append(StaffAuditEntry.target.ilike(contains_pattern(target.strip()), escape="\\"))
    first, last = _day(since, "since"), _day(until, "until")
    if first:
        conditions.append(StaffAuditEntry.recorded_at >= datetime.combine(first, time(), timezone.utc))
    if last:
        conditions.append(StaffAuditEntry.recorded_at
                          < datetime.combine(last + timedelta(days=1), time(), timezone.utc))
    total = session.execute(select(func.count()).select_from(StaffAuditEntry).where(*conditions)).scalar_one()
    pages = max(1, ceil(total / PAGE_SIZE))
    try:
        page = min(max(1, int(page)), pages)
    except (TypeError, ValueError):
        page = 1
    found = session.execute(
        select(StaffAuditEntry).where(*conditions)
        .order_by(StaffAuditEntry.recorded_at.desc(), StaffAuditEntry.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).scalars()
    return schemas.AuditPage(entries=[schemas.AuditEntry.model_validate(entry) for entry in found],
                             page=page, pages=pages, total=total, areas=_areas_and_actions(session))


def _areas_and_actions(session: Session) -> dict[str, list[str]]:
    """Every area with the actions recorded in it, for the page's filters."""
    rows = session.execute(
        select(StaffAuditEntry.area, StaffAuditEntry.action).distinct()
        .order_by(StaffAuditEntry.area, StaffAuditEntry.action)
    ).all()
    found: dict[str, list[str]] = {}
    for area, action in rows:
        found.setdefault(area, []).append(action)
    return found
