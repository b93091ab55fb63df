"""Vendor API keys for `POST /api/v1/vendor/events` (created and revoked by staff).

A key is `ctv_` followed by `secrets.token_urlsafe(32)` (256 bits). It is
returned once, by `create_vendor_key`; the database keeps only its SHA-256
(`key_hash`) and its first 8 characters (`key_prefix`) so staff can tell keys
apart. A plain SHA-256 is enough for a 256-bit random secret: there is
nothing to guess, so no slow password hash is needed, and the lookup is by
the hash itself. Nothing here logs a key.

A key is scoped to one vendor and a non-empty set of programs, and expires:
at most `MAX_LIFETIME` after its creation (the console offers a year). The
gateway refuses a message outside the scope; this module refuses an expired
key, as `VendorKeyExpired`, apart from unknown and revoked ones
(docs/decisions/0013-vendor-key-scope.md). Every creation and revocation is
added to the key's audit (`VendorKeyAudit`) with who and when.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from exams.exceptions import InvalidVendorKey, InvalidVendorKeyRequest, VendorKeyExpired, VendorKeyNotFound
from exams.models import VendorApiKey, VendorKeyAudit
from exams.schemas import AuthenticatedVendor, CreatedVendorKey, VendorKeyAuditEntry, VendorKeyView

log = logging.getLogger(__name__)

KEY_PREFIX = "ctv_"
SHOWN_CHARACTERS = 8
MAX_LIFETIME = timedelta(days=730)
# `last_used_at` is refreshed at most this often: not a write per vendor post.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_VENDOR = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
_PROGRAM = re.compile(r"^[a-z0-9_]{1,60}$")  # a program's code, as in messages: cisco, juniper
_KEY = re.compile(r"^ctv_[A-Za-z0-9_-]{40,64}$")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_vendor_key(session: Session, vendor: str, label: str, programs: list[str], expires_at: str,
                      staff: str, now: datetime) -> CreatedVendorKey:
    """A new key of `vendor` for `programs` until `expires_at` (ISO 8601 with its time zone)."""
    vendor, label, staff = (str(value or "").strip() for value in (vendor, label, staff))
    problems = {}
    problems["vendor"] = vendor_problem(vendor)
    if not label or len(label) > 200:
        problems["label"] = "Describe the key in a few words (at most 200 characters)."
    programs, problems["programs"] = scope_problem(programs)
    expires_at, problems["expires_at"] = _expiry(expires_at, now)
    if not staff or len(staff) > 254:
        problems["staff"] = "Name the staff member creating the key."
    problems = {field: problem for field, problem in problems.items() if problem}
    if problems:
        raise InvalidVendorKeyRequest(problems)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = VendorApiKey(vendor=vendor, label=label, key_prefix=key[:SHOWN_CHARACTERS], key_hash=key_hash(key),
                       programs=programs, expires_at=expires_at, created_by=staff, created_at=now)
    row.history.append(VendorKeyAudit(action="created", staff=staff, at=now, programs=programs,
                                      expires_at=expires_at))
    session.add(row)
    session.flush()
    log.info("vendor key %s (%s…) for %s, programs %s, expiring %s, created by %s",
             row.id, row.key_prefix, vendor, ",".join(programs), expires_at.isoformat(), staff)
    return CreatedVendorKey(key=key, vendor_key=_view(row, now))


def vendor_problem(vendor: str) -> str | None:
    if _VENDOR.match(vendor):
        return None
    return ("Give the vendor as it appears in its messages' `vendor` field, "
            "e.g. pearson_vue (letters, digits, _ . -).")


def scope_problem(programs) -> tuple[list[str] | None, str | None]:
    """The programs as sorted distinct codes, or the problem with them."""
    if not isinstance(programs, (list, tuple)) or not programs:
        return None, "Choose at least one program it may post messages for."
    if not all(isinstance(program, str) and _PROGRAM.match(program.strip().lower()) for program in programs):
        return None, "Give each program by its code, as in messages' `program` field, e.g. cisco."
    return sorted({program.strip().lower() for program in programs}), None


def _expiry(expires_at, now: datetime) -> tuple[datetime | None, str | None]:
    """`expires_at` as a UTC datetime within `MAX_LIFETIME` of `now`, or the problem with it."""
    try:
        moment = datetime.fromisoformat(str(expires_at or ""))
    except ValueError:
        return None, "Give the expiry as a date and time with its time zone, e.g. 2027-12-01T00:00:00Z."
    if moment.tzinfo is None:
        return None, "Give the expiry's time zone (e.g. 2027-12-01T00:00:00Z): without it the moment is unclear."
    if moment <= now:
        return None, "Choose an expiry in the future."
    if moment - now > MAX_LIFETIME:
        latest = (now + MAX_LIFETIME).astimezone(timezone.utc)
        return None, f"A key may live at most 2 years: choose an expiry no later than {latest:%Y-%m-%d %H:%M} UTC."
    return moment.astimezone(timezone.utc), None


def list_vendor_keys(session: Session, now: datetime) -> list[VendorKeyView]:
    """Active keys first, then expired ones, then revoked ones; newest first within each."""
    rows = session.scalars(select(VendorApiKey).options(selectinload(VendorApiKey.history))
                           .order_by(VendorApiKey.id.desc())).all()
    order = {"active": 0, "expired": 1, "revoked": 2}
    return sorted((_view(row, now) for row in rows), key=lambda view: order[view.status])


def revoke_vendor_key(session: Session, key_id: int, staff: str, now: datetime) -> VendorKeyView:
    staff = str(staff or "").strip()
    if not staff or len(staff) > 254:
        raise InvalidVendorKeyRequest({"staff": "Name the staff member revoking the key."})
    try:
        key_id = int(key_id)
    except (TypeError, ValueError):
        raise VendorKeyNotFound({"key_id": str(key_id)[:40]}) from None
    row = session.scalars(
        select(VendorApiKey).where(VendorApiKey.id == key_id).with_for_update()).first()
    if row is None:
        raise VendorKeyNotFound({"key_id": key_id})
    if row.revoked_at is None:  # revoking twice changes nothing
        row.revoked_at = now
        row.revoked_by = staff
        row.history.append(VendorKeyAudit(action="revoked", staff=staff, at=now))
        log.info("vendor key %s (%s…) of %s revoked by %s", row.id, row.key_prefix, row.vendor, staff)
    return _view(row, now)


def authenticate_vendor_key(session: Session, key: str, now: datetime) -> AuthenticatedVendor:
    """The vendor and programs of this active key; InvalidVendorKey when it is unknown or
    revoked (alike), VendorKeyExpired from its expiry on."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise InvalidVendorKey()
    row = session.scalars(select(VendorApiKey).where(
        VendorApiKey.key_hash == key_hash(key), VendorApiKey.revoked_at.is_(None))).first()
    if row is None:
        raise InvalidVendorKey()
    if now >= row.expires_at:
        raise VendorKeyExpired({"expired_at": row.expires_at.astimezone(timezone.utc).isoformat()})
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
    return AuthenticatedVendor(vendor=row.vendor, key_id=row.id, programs=row.programs,
                               expires_at=row.expires_at)


def _status(row: VendorApiKey, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if now >= row.expires_at else "active"


def _view(row: VendorApiKey, now: datetime) -> VendorKeyView:
    status = _status(row, now)
    return VendorKeyView(
        id=row.id, vendor=row.vendor, label=row.label, key_prefix=row.key_prefix, programs=row.programs,
        expires_at=row.expires_at, created_by=row.created_by, created_at=row.created_at,
        revoked_by=row.revoked_by, revoked_at=row.revoked_at, last_used_at=row.last_used_at,
        status=status, active=status == "active", expired=status == "expired",
        history=[VendorKeyAuditEntry.model_validate(entry) for entry in row.history],
    )
