"""Who may see a staff page: the staff session and the guard in front of every view.

The staff session is its own cookie, not a key in the candidate's Flask
session: signed with a salt of its own (a candidate's session cookie cannot be
replayed as it), sent only to `/staff` (`Path=/staff`) and `SameSite=Strict`,
and it lasts a working day. Logging in or out as a candidate never touches
it, and the reverse. Like the candidate's, it carries a random ID that
logging out records (gateway/ended_sessions.py), so a copied staff cookie
dies at logout too.

Every view of the blueprint passes the guard:
- a browser in a candidate session gets 403 at every staff page, the login
  included: staff work is never done from a candidate's session;
- a browser without a staff session is sent to the staff login, which
  brings it back afterwards;
- a staff member whose role is not `admin` gets 403 at every page outside
  `SUPPORT_ENDPOINTS`.

Roles (identity's `staff_users.role`): `support` does the daily work with
candidates (tickets, candidate records, CE review, orders); `admin` also runs
the program's configuration and the system's plumbing (catalog, agreements,
vendor keys, dead letters, staff accounts, the audit) and gives money back
(refunds). The list is of what support *may* do, so a view added later is for
administrators until someone decides otherwise
(docs/decisions/0009-staff-roles.md).

The cookie only says *which* staff member and session it is: their role and
whether they are still active are asked of identity on every staff request
(`directory.StaffDirectory.current`, no cache), so a role change applies at
the next request and a deactivated member is out at the next click
(docs/decisions/0019-staff-second-factor.md). The cookie is set only once the
password and the second factor are both proved (staff/second_factor.py).
"""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .. import ended_sessions
from ..auth.session import CANDIDATE_ID
from ..errors import AdminOnly, StaffOnly
from . import blueprint
from .directory import directory

COOKIE = "certtrack_staff"
# ".2": sessions are made only after the second factor; older cookies (password only) are void.
_SALT = "certtrack.staff-session.2"
MAX_AGE_SECONDS = 8 * 3600
# Views a browser without a staff session may reach: the password, then the second factor.
OPEN_ENDPOINTS = {"staff.login", "staff.second_factor", "staff.enrol_second_factor"}
ADMIN = "admin"
# Everything a staff member of the `support` role may reach; the rest is for ADMIN.
SUPPORT_ENDPOINTS = frozenset({
    "staff.logout", "staff.index",
    "staff.queue", "staff.ticket", "staff.document", "staff.approve", "staff.reject",
    "staff.search", "staff.candidate", "staff.create", "staff.set_attributes",
    "staff.ce_queue", "staff.ce_activity", "staff.ce_document", "staff.approve_ce_activity",
    "staff.reject_ce_activity",
    "staff.orders", "staff.order", "staff.correct_order_status", "staff.payment_declines",
})


def current_staff() -> dict | None:
    """The signed-in staff member as identity has them now: `{id, email, name, role, session_id}`,
    or None (no session, or a member deactivated since: see `guard`)."""
    if "staff_member" not in g:
        g.staff_member = None
        signed = _read(request.cookies.get(COOKIE))
        if signed is not None:
            now = directory().current(signed["id"])
            if now is None:
                g.staff_session_refused = signed["session_id"]
            else:
                g.staff_member = {key: now[key] for key in ("id", "email", "name", "role")}
                g.staff_member["session_id"] = signed["session_id"]
    return g.staff_member


def log_in(response, staff: dict) -> None:
    """Start a staff session on `response` for identity's StaffSummary `staff`."""
    keep = {key: staff[key] for key in ("id", "email", "name", "role")}
    keep["session_id"] = secrets.token_urlsafe(24)
    response.set_cookie(
        COOKIE, _serializer().dumps(keep), max_age=MAX_AGE_SECONDS, path=blueprint.url_prefix,
        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Strict",
    )


def log_out(response) -> None:
    staff = current_staff()
    _end(response, staff["session_id"] if staff is not None else None)


def _end(response, session_id: str | None) -> None:
    if session_id is not None:
        # Remembered for the longest the cookie could still be accepted.
        ended_sessions.end(session_id, MAX_AGE_SECONDS)
    response.delete_cookie(
        COOKIE, path=blueprint.url_prefix,
        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Strict",
    )


def may_reach(staff: dict | None, endpoint: str | None) -> bool:
    """Whether `staff` (a staff session) may use the view `endpoint`."""
    if staff is None:
        return False
    return staff.get("role") == ADMIN or endpoint in SUPPORT_ENDPOINTS


def safe_next(target: str | None) -> str:
    """`target` when it is a staff page of this site, else the queue (no open redirects)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith(blueprint.url_prefix + "/") \
                and "\\" not in target:
            return target
    return url_for("staff.queue")


@blueprint.before_request
def guard():
    # Any candidate session in this browser, current or not: no identity call
    # needed to refuse it (decision 0018 checks credentials on candidate pages).
    if session.get(CANDIDATE_ID):
        raise StaffOnly()
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    staff = current_staff()
    if staff is not None:
        if not may_reach(staff, request.endpoint) and request.endpoint is not None:
            raise AdminOnly()
        return None
    # Back to the page after logging in; a form's POST cannot be replayed as a GET.
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    response = redirect(url_for("staff.login", next=target))
    if "staff_session_refused" in g:  # deactivated since they logged in: the session ends here
        _end(response, g.staff_session_refused)
    return response


@blueprint.after_request
def private(response):
    # Staff pages show personal data: no cache may keep them.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@blueprint.context_processor
def staff_context():
    staff = current_staff()
    return {"staff_member": staff, "staff_may_reach": lambda endpoint: may_reach(staff, endpoint)}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _read(raw: str | None) -> dict | None:
    if not raw:
        return None
    try:
        staff = _serializer().loads(raw, max_age=MAX_AGE_SECONDS)
    except BadSignature:  # also SignatureExpired
        return None
    session_id = staff.get("session_id") if isinstance(staff, dict) else None
    if not isinstance(session_id, str) or ended_sessions.has_ended(session_id):
        return None
    return staff
