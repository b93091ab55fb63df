"""Staff login and logout (`/staff/login`, `/staff/logout`).

The password is the first step only: it leads to the second factor
(staff/second_factor.py), which alone starts a staff session.
"""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from nameko.exceptions import RemoteError

from ..auth import client as identity
from . import access, blueprint, second_factor

# identity's refusals, as the login form says them.
_REFUSED = {
    "InvalidCredentials": (401, "That email address and password do not match a staff account."),
    "TooManyAttempts": (429, "Too many failed attempts. Wait a few minutes, then try again."),
}


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    target = access.safe_next(request.values.get("next"))
    if access.current_staff() is not None:
        return redirect(target)
    if request.method == "GET":
        return render_template("staff/login.html", next=target, email="")

    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    if not email or not password:
        status, problem = 400, "Enter your staff email address and password."
    else:
        try:
            staff = identity.staff_authenticate(email=email, password=password, client_address=request.remote_addr)
        except RemoteError as error:
            if error.exc_type not in _REFUSED:
                raise
            status, problem = _REFUSED[error.exc_type]
        else:
            return second_factor.after_password(staff, target)
    return render_template("staff/login.html", next=target, email=email, problem=problem), status


@blueprint.post("/logout")
def logout():
    response = redirect(url_for("staff.login"))
    access.log_out(response)
    return response
