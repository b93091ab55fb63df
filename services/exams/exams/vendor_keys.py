"""Vendor API keys for `POST /api/v1/vendor/events` (created and revoked by staff).

A key is `ctv_` followed by `secrets.token_urlsafe(32)` (256 bits). It is
returned once, by `create_vendor_key`; the database keeps only its SHA-256
(`key_hash`) and its first 8 characters (`key_prefix`) so staff can tell keys
apart. A plain SHA-256 is enough for a 256-bit random secret: there is
nothing to guess, so no slow password hash is needed, and the lookup is by
the hash itself. Nothing here logs a key.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from exams.exceptions import InvalidVendorKey, InvalidVendorKeyRequest, VendorKeyNotFound
from exams.models import VendorApiKey
from exams.schemas import AuthenticatedVendor, CreatedVendorKey, VendorKeyView

log = logging.getLogger(__name__)

KEY_PREFIX = "ctv_"
SHOWN_CHARACTERS = 8
# `last_used_at` is refreshed at most this often: not a write per vendor post.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_VENDOR = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
_KEY = re.compile(r"^ctv_[A-Za-z0-9_-]{40,64}$")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_vendor_key(session: Session, vendor: str, label: str, staff: str,
                      now: datetime) -> CreatedVendorKey:
    vendor, label, staff = (str(value or "").strip() for value in (vendor, label, staff))
    problems = {}
    if not _VENDOR.match(vendor):
        problems["vendor"] = ("Give the vendor as it appears in its messages' `vendor` field, "
                              "e.g. pearson_vue (letters, digits, _ . -).")
    if not label or len(label) > 200:
        problems["label"] = "Describe the key in a few words (at most 200 characters)."
    if not staff or len(staff) > 254:
        problems["staff"] = "Name the staff member creating the key."
    if problems:
        raise InvalidVendorKeyRequest(problems)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = VendorApiKey(vendor=vendor, label=label, key_prefix=key[:SHOWN_CHARACTERS],
                       key_hash=key_hash(key), created_by=staff, created_at=now)
    session.add(row)
    session.flush()
    log.info("vendor key %s (%s…) for %s created by %s", row.id, row.key_prefix, vendor, staff)
    return CreatedVendorKey(key=key, vendor_key=_view(row))


def list_vendor_keys(session: Session) -> list[VendorKeyView]:
    """Active keys first, then revoked ones; newest first within each."""
    rows = session.scalars(select(VendorApiKey).order_by(VendorApiKey.id.desc())).all()
    return sorted((_view(row) for row in rows), key=lambda view: not view.active)


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
        log.info("vendor key %s (%s…) of %s revoked by %s", row.id, row.key_prefix, row.vendor, staff)
    return _view(row)


def authenticate_vendor_key(session: Session, key: str, now: datetime) -> AuthenticatedVendor:
    """The vendor whose active key this is, or InvalidVendorKey (unknown and revoked alike)."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise InvalidVendorKey()
    row = session.scalars(select(VendorApiKey).where(
        VendorApiKey.key_hash == key_hash(key), VendorApiKey.revoked_at.is_(None))).first()
    if row is None:
        raise InvalidVendorKey()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
    return AuthenticatedVendor(vendor=row.vendor, key_id=row.id)


def _view(row: VendorApiKey) -> VendorKeyView:
    return VendorKeyView(
        id=row.id, vendor=row.vendor, label=row.label, key_prefix=row.key_prefix,
        created_by=row.created_by, created_at=row.created_at, revoked_by=row.revoked_by,
        revoked_at=row.revoked_at, last_used_at=row.last_used_at, active=row.revoked_at is None,
    )
