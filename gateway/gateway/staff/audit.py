"""The staff audit: every staff write, recorded with who, what and when, and
the administrators' page that shows them (`/staff/audit`).

Recording is not a list of views: after every state-changing request of the
staff blueprint that succeeded (status below 400, and no error flashed), one
entry goes to identity: the staff member, the area (the view's module:
candidates, orders, vendor_keys…), the action (the view's name), the target
(the URL's arguments: `candidate_id=CSCO10000001`) and the form's fields, cut
short, without the CSRF token and without any field whose name says it is a
secret. A view added later is recorded without anyone editing this file;
gateway/tests/test_staff_audit.py walks the URL map to prove it. The login's
own steps are not writes (the login itself is recorded by second_factor.py).
"""
from __future__ import annotations

import re

from flask import current_app, flash, g, message_flashed, render_template, request
from nameko.exceptions import RemoteError

from ..auth import client as identity
from . import access, blueprint
from .directory import directory
from .forms import problems_of

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The steps of a staff session, not writes of its own.
NOT_AUDITED = frozenset({"staff.login", "staff.second_factor", "staff.enrol_second_factor", "staff.logout"})
# Form fields never recorded: the CSRF token, where to go next, and anything named like a secret.
_LEFT_OUT = frozenset({"csrf_token", "next"})
_SECRET = re.compile(r"password|secret|token|key|code|card|cvc|pan", re.I)
MAX_VALUE = 200
FILTERS = ("staff", "area", "action", "target", "since", "until")


def _error_flashed(app, message, category):
    g.staff_error_flashed = g.get("staff_error_flashed", False) or category == "error"


message_flashed.connect(_error_flashed)


def _short(value: str) -> str:
    return value if len(value) <= MAX_VALUE else value[: MAX_VALUE - 1] + "…"


def entry_of_request() -> dict:
    """What the current request did, as an audit entry (without who)."""
    view = current_app.view_functions[request.endpoint]
    details = {}
    for name in request.form:
        if name in _LEFT_OUT or _SECRET.search(name):
            continue
        details[name] = _short(", ".join(request.form.getlist(name)))
    for name, upload in request.files.items():
        if upload.filename:
            details[name] = _short(f"file {upload.filename}")
    return {
        "area": view.__module__.rsplit(".", 1)[-1],
        "action": request.endpoint.split(".", 1)[-1],
        "target": _short(" ".join(f"{key}={value}" for key, value in (request.view_args or {}).items())),
        "details": details,
    }


@blueprint.after_request
def record_staff_write(response):
    if (request.method not in STATE_CHANGING or request.endpoint in NOT_AUDITED or request.endpoint is None
            or response.status_code >= 400 or g.get("staff_error_flashed")):
        return response
    staff = access.current_staff()
    if staff is None:
        return response
    try:
        directory().record(staff_id=staff["id"], client_address=request.remote_addr, **entry_of_request())
    except Exception:  # noqa: BLE001 - the write is done; losing its line must be loud, not fatal
        current_app.logger.exception("could not record the staff audit entry of %s %s by %s",
                                     request.method, request.path, staff["email"])
    return response


@blueprint.get("/audit")
def audit():
    filters = {name: request.args.get(name, "").strip() for name in FILTERS}
    asked = {name: value or None for name, value in filters.items()}
    try:
        found = identity.staff_list_audit(page=request.args.get("page", 1, type=int), **asked)
        problems = {}
    except RemoteError as error:
        problems = problems_of(error)
        if problems is None:
            raise
        found = {"entries": [], "page": 1, "pages": 1, "total": 0, "areas": {}}
        flash("Some filters are not valid.", "error")
    return render_template("staff/audit.html", found=found, filters=filters, problems=problems)
