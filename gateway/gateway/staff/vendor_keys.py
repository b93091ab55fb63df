"""Vendor API keys for `POST /api/v1/vendor/events`: create (shown once), list, revoke.

The exams service owns the keys (services/exams/exams/vendor_keys.py) and
keeps only their hashes; who created and who revoked each key is recorded
there. A new key is shown on the page that answers the creating POST and
nowhere else: it is never put in the session, a flashed message or a
redirect, and staff pages are never cached (`Cache-Control: no-store`).
"""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from nameko.exceptions import RemoteError

from . import access, blueprint
from .forms import problems_of


def _exams(method: str, **arguments):
    return current_app.extensions["rpc"].call("exams", method, **arguments)


@blueprint.get("/vendor-keys")
def vendor_keys():
    return _page({}, {"vendor": "", "label": ""}), 200


@blueprint.post("/vendor-keys")
def create_vendor_key():
    values = {name: request.form.get(name, "").strip() for name in ("vendor", "label")}
    problems = {name: "Required." for name, value in values.items() if not value}
    if problems:
        return _page(problems, values), 400
    try:
        created = _exams("create_vendor_key", staff=access.current_staff()["email"], **values)
    except RemoteError as error:
        problems = problems_of(error)
        if problems is None:
            raise
        return _page(problems, values), 422
    return render_template("staff/vendor_key_created.html", created=created), 201


@blueprint.post("/vendor-keys/<int:key_id>/revoke")
def revoke_vendor_key(key_id: int):
    revoked = _exams("revoke_vendor_key", key_id=key_id, staff=access.current_staff()["email"])
    flash(f"Key {revoked['key_prefix']}… of {revoked['vendor']} is revoked: "
          "it no longer authenticates.", "success")
    return redirect(url_for("staff.vendor_keys"))


def _page(problems: dict, values: dict):
    return render_template("staff/vendor_keys.html", keys=_exams("list_vendor_keys"),
                           problems=problems, values=values)
