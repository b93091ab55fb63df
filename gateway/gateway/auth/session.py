"""The candidate's browser session: logging in and out, and who is logged in.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure except on
a plain-http development or test site; gateway/settings.py). It holds the
candidate ID and what the page header shows, nothing secret. Logging in
clears whatever the session held before and starts a new one (no session
fixation, and the CSRF secret is renewed too); logging out clears it.

A session lasts `PERMANENT_SESSION_LIFETIME` without a request (idle) and
`ABSOLUTE_LIFETIME_SECONDS` at most. It carries the candidate's credential
version of its login and ends, at its next request, once a credential change
moved that on (`credentials.py`), unless this session made the change
(`credentials_changed_here`). Each session has a random ID; logging out
records it in gateway/ended_sessions.py, so a copy of the cookie taken before
the logout is refused too. A cookie without an ID (made before IDs existed)
is no session.

`recently_logged_in` is the proof of a login in the last 5 minutes that
changing the email, the password or unlinking single sign-on accept instead
of the current password.

Single sign-on (auth/sso.py) uses `log_in` for a mapped identity and
`remember_pending_external_identity` for one not mapped yet. It is linked
only in this same browser session, once it also logged in by password or a
mailed link (`log_in(..., keep_pending=True)`), and the candidate confirmed it
(docs/decisions/0018-account-security.md).
"""
from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import flash, redirect, request, session, url_for

from .. import ended_sessions
from . import credentials

CANDIDATE_ID = "candidate_id"  # also read by gateway/staff/access.py
CANDIDATE = "candidate"
LOGGED_IN_AT = "logged_in_at"
SESSION_ID = "session_id"
CREDENTIAL_VERSION = "credential_version"
PENDING_EXTERNAL_IDENTITY = "pending_external_identity"

ABSOLUTE_LIFETIME_SECONDS = 12 * 3600
RECENT_LOGIN_SECONDS = 5 * 60
_SHOWN = ("program", "first_name", "last_name")


def log_in(candidate: Mapping, keep_pending: bool = False) -> None:
    """Start a new session for identity's CandidateSummary `candidate`. With
    `keep_pending`, a single sign-on identity this browser brought stays, for
    the candidate to connect it."""
    pending = session.get(PENDING_EXTERNAL_IDENTITY) if keep_pending else None
    session.clear()
    session.permanent = True  # idle expiry: PERMANENT_SESSION_LIFETIME, refreshed on each request
    session[CANDIDATE_ID] = candidate["candidate_id"]
    session[CANDIDATE] = {key: candidate.get(key) for key in _SHOWN}
    session[CREDENTIAL_VERSION] = candidate.get("credential_version")
    session[LOGGED_IN_AT] = int(time.time())
    session[SESSION_ID] = secrets.token_urlsafe(24)
    if pending:
        session[PENDING_EXTERNAL_IDENTITY] = pending


def log_out() -> None:
    session_id, logged_in_at = session.get(SESSION_ID), session.get(LOGGED_IN_AT)
    if isinstance(session_id, str) and isinstance(logged_in_at, int):
        ended_sessions.end(session_id, ABSOLUTE_LIFETIME_SECONDS - (int(time.time()) - logged_in_at))
    session.clear()


def current_candidate() -> dict | None:
    """`{candidate_id, program, first_name, last_name, …}` of the logged-in candidate, or None.

    Asks identity whether the session's credentials are still current (once a
    request); raises what the RPC raises when identity cannot answer.
    """
    candidate_id = session.get(CANDIDATE_ID)
    if not isinstance(candidate_id, str) or not candidate_id:
        return None
    logged_in_at, session_id = session.get(LOGGED_IN_AT), session.get(SESSION_ID)
    if not isinstance(logged_in_at, int) or time.time() - logged_in_at > ABSOLUTE_LIFETIME_SECONDS \
            or not isinstance(session_id, str) or ended_sessions.has_ended(session_id, candidate_id):
        session.clear()
        return None
    if not credentials.is_current(candidate_id, session.get(CREDENTIAL_VERSION)):
        session.clear()
        flash("Your session has ended because your password, email address or single sign-on "
              "accounts changed. Please log in again.", "info")
        return None
    shown = session.get(CANDIDATE)
    return {**(shown if isinstance(shown, dict) else {}), "candidate_id": candidate_id}


def recently_logged_in() -> bool:
    """A login in this session within the last 5 minutes."""
    logged_in_at = session.get(LOGGED_IN_AT)
    return isinstance(logged_in_at, int) and time.time() - logged_in_at <= RECENT_LOGIN_SECONDS


def credentials_changed_here(candidate: Mapping) -> None:
    """This session changed the candidate's credentials (identity's answer,
    with the new version, is `candidate`): it stays logged in, every other
    session and token of the candidate ends."""
    credentials.changed(candidate["candidate_id"])
    if session.get(CANDIDATE_ID) == candidate["candidate_id"]:
        session[CREDENTIAL_VERSION] = candidate.get("credential_version")


def current_candidate_id() -> str:
    """The logged-in candidate's ID; only call it behind `login_required`."""
    candidate = current_candidate()
    if candidate is None:
        raise RuntimeError("no candidate is logged in")
    return candidate["candidate_id"]


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
