"""The staff login's second step: a TOTP code (or a recovery code) after the
password, and enrolment at the first login (docs/decisions/0019-staff-second-factor.md).

Between the two steps the browser holds a *pending* cookie of its own (salt,
`Path=/staff`, `SameSite=Strict`, 10 minutes) naming the staff member whose
password was right; it opens only the two pages below and is never a session.
At enrolment it also carries the secret on offer, so a mistyped code shows the
same QR code again (the secret is that person's own, on the page they see).
"""
from __future__ import annotations

import segno
from flask import current_app, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from nameko.exceptions import RemoteError

from ..auth import client as identity
from . import access, blueprint
from .directory import directory

PENDING_COOKIE = "certtrack_staff_pending"
_SALT = "certtrack.staff-pending"
PENDING_SECONDS = 10 * 60

_REFUSED = {
    "InvalidCredentials": (401, "That code is not right, or it was used already. Wait for the next code "
                                "of your authenticator app, or use one of your recovery codes."),
    "TooManyAttempts": (429, "Too many wrong codes. Wait a few minutes, then try again."),
}


def after_password(staff: dict, target: str):
    """The password was right: on to the code, or to enrolment for a member without a second factor."""
    step = "staff.second_factor" if staff.get("second_factor_enrolled") else "staff.enrol_second_factor"
    response = redirect(url_for(step, next=target))
    _keep(response, {"id": staff["id"], "email": staff["email"]})
    return response


@blueprint.route("/login/code", methods=["GET", "POST"])
def second_factor():
    pending, target = _pending(), access.safe_next(request.values.get("next"))
    if pending is None:
        return redirect(url_for("staff.login", next=target))
    if request.method == "GET":
        return render_template("staff/login_code.html", next=target)
    try:
        staff = identity.staff_verify_second_factor(staff_id=pending["id"],
                                                    code=request.form.get("code", ""), client_address=request.remote_addr)
    except RemoteError as error:
        if error.exc_type == "NotAuthorized":  # deactivated, or the second factor was reset meanwhile
            return _start_again(target)
        status, problem = _refusal(error)
        return render_template("staff/login_code.html", next=target, problem=problem), status
    return _logged_in(redirect(target), staff)


@blueprint.route("/login/enrol", methods=["GET", "POST"])
def enrol_second_factor():
    pending, target = _pending(), access.safe_next(request.values.get("next"))
    if pending is None:
        return redirect(url_for("staff.login", next=target))
    if request.method == "GET" or not pending.get("secret"):
        try:
            offer = identity.staff_start_second_factor_enrolment(staff_id=pending["id"])
        except RemoteError as error:
            if error.exc_type != "NotAuthorized":
                raise
            return _start_again(target)
        pending = dict(pending, secret=offer["secret"], uri=offer["provisioning_uri"])
        response = current_app.make_response(_enrol_page(pending, target))
        _keep(response, pending)
        return response
    try:
        enrolled = identity.staff_confirm_second_factor_enrolment(staff_id=pending["id"],
                                                                  code=request.form.get("code", ""), client_address=request.remote_addr)
    except RemoteError as error:
        if error.exc_type == "NotAuthorized":
            return _start_again(target)
        status, problem = _refusal(error)
        return _enrol_page(pending, target, problem), status
    page = render_template("staff/recovery_codes.html", codes=enrolled["recovery_codes"], next=target)
    return _logged_in(current_app.make_response(page), enrolled["staff"])


def _enrol_page(pending: dict, target: str, problem: str | None = None) -> str:
    qr = segno.make(pending["uri"], error="m").svg_inline(scale=5, dark="#111", light="#fff")
    secret = " ".join(pending["secret"][i:i + 4] for i in range(0, len(pending["secret"]), 4))
    return render_template("staff/login_enrol.html", qr=qr, secret=secret, email=pending["email"],
                           next=target, problem=problem)


def _refusal(error: RemoteError) -> tuple[int, str]:
    if error.exc_type not in _REFUSED:
        raise error
    return _REFUSED[error.exc_type]


def _logged_in(response, staff: dict):
    access.log_in(response, staff)
    _forget(response)
    try:
        directory().record(staff_id=staff["id"], area="session", action="login", target=f"staff {staff['email']}",
                           details={}, client_address=request.remote_addr)
    except Exception:  # noqa: BLE001 - a login is not refused for want of its audit line
        current_app.logger.exception("could not record the staff login of %s", staff["id"])
    return response


def _start_again(target: str):
    response = redirect(url_for("staff.login", next=target))
    _forget(response)
    return response


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _pending() -> dict | None:
    raw = request.cookies.get(PENDING_COOKIE)
    if not raw:
        return None
    try:
        pending = _serializer().loads(raw, max_age=PENDING_SECONDS)
    except BadSignature:  # also SignatureExpired
        return None
    return pending if isinstance(pending, dict) and isinstance(pending.get("id"), int) else None


def _keep(response, pending: dict) -> None:
    response.set_cookie(
        PENDING_COOKIE, _serializer().dumps(pending), max_age=PENDING_SECONDS, path=blueprint.url_prefix,
        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Strict",
    )


def _forget(response) -> None:
    response.delete_cookie(
        PENDING_COOKIE, path=blueprint.url_prefix,
        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Strict",
    )
