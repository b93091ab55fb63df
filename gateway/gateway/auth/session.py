"""The candidate's browser session: logging in and out, and who is logged in.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure except on
a plain-http development or test site; gateway/settings.py). It holds the
candidate ID and what the page header shows, nothing secret. Logging in
clears whatever the session held before and starts a new one (no session
fixation, and the CSRF secret is renewed too); logging out clears it.

A session lasts `PERMANENT_SESSION_LIFETIME` without a request (idle) and
`ABSOLUTE_LIFETIME_SECONDS` at most. Pages that load the profile also end it
when the password changed since the login (`still_valid_for`). Each session
has a random ID; logging out records it in gateway/ended_sessions.py, so a
copy of the cookie taken before the logout is refused too. A cookie without
an ID (made before IDs existed) is no session.

Single sign-on (gateway/sso.py) uses `log_in` for a mapped identity and
`remember_pending_external_identity` for one not mapped yet; the first-time
login pages pass `pending_external_identity()` on to identity, whose mailed
link then maps it.
"""
from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import flash, redirect, request, session, url_for

from .. import ended_sessions

CANDIDATE_ID = "candidate_id"  # also read by gateway/staff/access.py
CANDIDATE = "candidate"
LOGGED_IN_AT = "logged_in_at"
SESSION_ID = "session_id"
PENDING_EXTERNAL_IDENTITY = "pending_external_identity"

ABSOLUTE_LIFETIME_SECONDS = 12 * 3600
_SHOWN = ("program", "first_name", "last_name", "password_changed_at")


def log_in(candidate: Mapping) -> None:
    """Start a new session for identity's CandidateSummary `candidate`."""
    session.clear()
    session.permanent = True  # idle expiry: PERMANENT_SESSION_LIFETIME, refreshed on each request
    session[CANDIDATE_ID] = candidate["candidate_id"]
    session[CANDIDATE] = {key: candidate.get(key) for key in _SHOWN}
    session[LOGGED_IN_AT] = int(time.time())
    session[SESSION_ID] = secrets.token_urlsafe(24)


def log_out() -> None:
    session_id, logged_in_at = session.get(SESSION_ID), session.get(LOGGED_IN_AT)
    if isinstance(session_id, str) and isinstance(logged_in_at, int):
        ended_sessions.end(session_id, ABSOLUTE_LIFETIME_SECONDS - (int(time.time()) - logged_in_at))
    session.clear()


def current_candidate() -> dict | None:
    """`{candidate_id, program, first_name, last_name, …}` of the logged-in candidate, or None."""
    candidate_id = session.get(CANDIDATE_ID)
    if not isinstance(candidate_id, str) or not candidate_id:
        return None
    logged_in_at, session_id = session.get(LOGGED_IN_AT), session.get(SESSION_ID)
    if not isinstance(logged_in_at, int) or time.time() - logged_in_at > ABSOLUTE_LIFETIME_SECONDS \
            or not isinstance(session_id, str) or ended_sessions.has_ended(session_id):
        session.clear()
        return None
    shown = session.get(CANDIDATE)
    return {**(shown if isinstance(shown, dict) else {}), "candidate_id": candidate_id}


def current_candidate_id() -> str:
    """The logged-in candidate's ID; only call it behind `login_required`."""
    candidate = current_candidate()
    if candidate is None:
        raise RuntimeError("no candidate is logged in")
    return candidate["candidate_id"]


def still_valid_for(profile: Mapping) -> bool:
    """False when `profile` (fresh from identity) shows a password change since this login."""
    shown = session.get(CANDIDATE) or {}
    return shown.get("password_changed_at") == profile.get("password_changed_at")


def refresh_shown(profile: Mapping) -> None:
    """Keep the header's name in step with identity (after an approved name change)."""
    shown = dict(session.get(CANDIDATE) or {})
    fresh = {key: profile.get(key) for key in _SHOWN}
    if shown != fresh:
        session[CANDIDATE] = fresh


def login_required(view):
    """Send a browser without a candidate session to the login page, and back afterwards."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if current_candidate() is None:
            flash("Please log in to see that page.", "info")
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("auth.login", next=target))
        return view(*args, **kwargs)

    return guarded


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site, else `default` (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return default


# -- single sign-on: an external identity waiting to be mapped ------------------
def remember_pending_external_identity(issuer: str, subject: str, email: str | None) -> None:
    """Keep an unmapped external identity until a first-time login maps it."""
    session[PENDING_EXTERNAL_IDENTITY] = {"issuer": issuer, "subject": subject, "email": email}


def pending_external_identity() -> dict | None:
    """`{issuer, subject, email}` of an external identity waiting to be mapped, or None."""
    pending = session.get(PENDING_EXTERNAL_IDENTITY)
    if not isinstance(pending, dict):
        return None
    issuer, subject, email = pending.get("issuer"), pending.get("subject"), pending.get("email")
    if not (isinstance(issuer, str) and issuer and isinstance(subject, str) and subject):
        return None
    return {"issuer": issuer, "subject": subject, "email": email if isinstance(email, str) else None}


def forget_pending_external_identity() -> None:
    session.pop(PENDING_EXTERNAL_IDENTITY, None)
