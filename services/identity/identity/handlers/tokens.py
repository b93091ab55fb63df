"""Single-use mailed link tokens (first-time login, password reset, email
confirmation).

The token mailed is `secrets.token_urlsafe(32)` (256 bits, URL-safe); only
its SHA-256 is stored, so a copy of the database opens no account. Using a
token marks every unused token of the same purpose of that candidate used:
an older mail stops working once any link of its kind was followed.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from identity.exceptions import LinkTokenInvalid
from identity.models import LinkToken

FIRST_TIME = "first_time"
PASSWORD_RESET = "password_reset"
EMAIL_CONFIRMATION = "email_confirmation"

VALIDITY: dict[str, timedelta] = {
    FIRST_TIME: timedelta(hours=6),
    PASSWORD_RESET: timedelta(hours=1),
    EMAIL_CONFIRMATION: timedelta(hours=24),
}

MAX_TOKEN_LENGTH = 200


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(session: Session, candidate_id: str, purpose: str, now: datetime, *,
          email: str | None = None, external: dict | None = None) -> str:
    """Store a new token's hash and return the token itself (to be mailed)."""
    token = new_token()
    external = external or {}
    session.add(
        LinkToken(
            token_hash=hash_token(token),
            purpose=purpose,
            candidate_id=candidate_id,
            email=email,
            external_issuer=external.get("issuer"),
            external_subject=external.get("subject"),
            external_email=external.get("email"),
            created_at=now,
            expires_at=now + VALIDITY[purpose],
        )
    )
    return token


def look_up(session: Session, token: str, purpose: str, now: datetime,
            lock: bool = False) -> tuple[LinkToken | None, str | None]:
    """(the token row, None) when usable, else (row or None, reason).

    `reason` is `unknown`, `used` or `expired`. With `lock` the row is held
    FOR UPDATE, so two uses of one token at the same moment cannot both win.
    """
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None, "unknown"
    query = select(LinkToken).where(
        LinkToken.token_hash == hash_token(token), LinkToken.purpose == purpose
    )
    if lock:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        return None, "unknown"
    if row.used_at is not None:
        return row, "used"
    if row.expires_at <= now:
        return row, "expired"
    return row, None


def require(session: Session, token: str, purpose: str, now: datetime) -> LinkToken:
    """The usable token row, locked; LinkTokenInvalid(reason) otherwise."""
    row, reason = look_up(session, token, purpose, now, lock=True)
    if reason is not None:
        raise LinkTokenInvalid(reason)
    return row


def mark_used(session: Session, row: LinkToken, now: datetime) -> None:
    """Use this token and every other unused one of its purpose and candidate."""
    session.execute(
        update(LinkToken)
        .where(
            LinkToken.candidate_id == row.candidate_id,
            LinkToken.purpose == row.purpose,
            LinkToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session="fetch")
    )
