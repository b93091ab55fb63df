"""Vendor API keys for `POST /api/v1/vendor/events`: create (shown once), list, revoke.

The exams service owns the keys (services/exams/exams/handlers/vendor_keys.py) and
keeps only their hashes; who created and who revoked each key is recorded
in its audit there. A key is for one vendor and the programs ticked here
(those the console knows, as when creating a candidate), until the date
chosen at 00:00 UTC: a year away unless changed, at most two years as exams
holds it (docs/decisions/0013-vendor-key-scope.md). A new key is shown on
the page that answers the creating POST and nowhere else: it is never put in
the session, a flashed message or a redirect, and staff pages are never
cached (`Cache-Control: no-store`).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import flash, redirect, render_template, request, url_for
from nameko.exceptions import RemoteError

from ..profile.pages import PROGRAMS  # the programs identity knows, by code
from ..vendor import client as vendor
from . import access, blueprint
from .forms import problems_of

DEFAULT_LIFETIME = timedelta(days=365)


@blueprint.get("/vendor-keys")
def vendor_keys():
    default_expiry = datetime.now(timezone.utc).date() + DEFAULT_LIFETIME
    values = {"vendor": "", "label": "", "programs": [], "expires_on": default_expiry.isoformat()}
    return _page({}, values), 200


@blueprint.post("/vendor-keys")
def create_vendor_key():
    values = {name: request.form.get(name, "").strip() for name in ("vendor", "label", "expires_on")}
    values["programs"] = request.form.getlist("programs")
    expires_on = _date(values["expires_on"])
    problems = _form_problems(values, expires_on)
    if problems:
        return _page(problems, values), 400
    expires_at = datetime.combine(expires_on, time(0), timezone.utc).isoformat()
    try:
        created = vendor.create_vendor_key(vendor=values["vendor"], label=values["label"],
                         programs=values["programs"], expires_at=expires_at,
                         staff=access.current_staff()["email"])
    except RemoteError as error:
        problems = problems_of(error)
        if problems is None:
            raise
        if "expires_at" in problems:  # the form asks for a date: its problem goes beside it
            problems["expires_on"] = problems.pop("expires_at")
        return _page(problems, values), 422
    return render_template("staff/vendor_key_created.html", created=created), 201


def _form_problems(values: dict, expires_on: date | None) -> dict[str, str]:
    problems = {name: "Required." for name in ("vendor", "label") if not values[name]}
    if not values["programs"]:
        problems["programs"] = "Choose at least one program the key may post messages for."
    elif not set(values["programs"]) <= set(PROGRAMS):
        problems["programs"] = "Choose among the programs listed."
    if expires_on is None:
        problems["expires_on"] = "Give the date the key stops working (YYYY-MM-DD)."
    return problems


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@blueprint.post("/vendor-keys/<int:key_id>/revoke")
def revoke_vendor_key(key_id: int):
    revoked = vendor.revoke_vendor_key(key_id=key_id, staff=access.current_staff()["email"])
    flash(f"Key {revoked['key_prefix']}… of {revoked['vendor']} is revoked: "
          "it no longer authenticates.", "success")
    return redirect(url_for("staff.vendor_keys"))


def _page(problems: dict, values: dict):
    return render_template("staff/vendor_keys.html", keys=vendor.list_vendor_keys(),
                           programs=PROGRAMS, problems=problems, values=values)
