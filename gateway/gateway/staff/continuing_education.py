"""The CE review queue: pending continuing-education activities and course
completions, each with its certificate, approved with credits or rejected
with a reason.

The certs service records who decided (the staff email), emails the
candidate, and re-evaluates them on an approval (it may renew a
certification at once). A course completion is approved without credits:
it renews the certification it was submitted for.
"""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from nameko.exceptions import RemoteError

from ..certifications import client as certs
from ..certifications.client import field_messages
from ..certifications.documents import download
from . import access, blueprint

# Framed by the activity page only; never a page in its own right.
_DOCUMENT_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
_SHOWN_INLINE = {"application/pdf", "image/jpeg", "image/png"}
_CREDITS = re.compile(r"^[0-9]{1,3}$")


@blueprint.get("/continuing-education")
def ce_queue():
    return render_template("staff/ce_queue.html", activities=certs.ce_review_queue())


@blueprint.get("/continuing-education/<int:activity_id>")
def ce_activity(activity_id: int):
    return _page(activity_id, {})


@blueprint.get("/continuing-education/<int:activity_id>/document")
def ce_document(activity_id: int):
    payload = certs.ce_activity_document(activity_id=activity_id)
    response = download(payload, inline=payload.get("content_type") in _SHOWN_INLINE
                        and request.args.get("download") is None)
    response.headers["Content-Security-Policy"] = _DOCUMENT_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@blueprint.post("/continuing-education/<int:activity_id>/approve")
def approve_ce_activity(activity_id: int):
    credits = request.form.get("credits", "").strip()
    activity = certs.ce_activity(activity_id=activity_id)
    if activity["kind"] == "ce" and not _CREDITS.match(credits):
        return _page(activity_id, {"credits": "Give the number of CE credits, a whole number from 1 to 200."},
                     credits=credits), 400
    return _decide(activity_id, certs.approve_ce_activity,
                   credits=int(credits) if activity["kind"] == "ce" else None, typed={"credits": credits})


@blueprint.post("/continuing-education/<int:activity_id>/reject")
def reject_ce_activity(activity_id: int):
    reason = request.form.get("reason", "").strip()
    if not reason:
        return _page(activity_id, {"reason": "Say why it is rejected: the candidate receives this reason by email."}), 400
    return _decide(activity_id, certs.reject_ce_activity, reason=reason, typed={"reason": reason})


def _decide(activity_id: int, decide, typed: dict, **arguments):
    try:
        decided = decide(activity_id=activity_id, staff=access.current_staff()["email"], **arguments)
    except RemoteError as error:
        if error.exc_type == "ActivityAlreadyReviewed":
            flash("This activity was already reviewed, perhaps by a colleague; nothing was changed.", "error")
            return redirect(url_for("staff.ce_activity", activity_id=activity_id))
        if error.exc_type != "InvalidReview":
            raise
        return _page(activity_id, field_messages(error), **typed), 422
    if decided["status"] == "approved":
        what = f"with {decided['credits']} CE credits" if decided["kind"] == "ce" else "as a course completion"
        flash(f"Approved {what}; the candidate was told by email and their certifications re-evaluated.", "success")
    else:
        flash("Rejected: the candidate was told the reason by email.", "success")
    return redirect(url_for("staff.ce_queue"))


def _page(activity_id: int, problems: dict, credits: str = "", reason: str = ""):
    return render_template("staff/ce_activity.html", activity=certs.ce_activity(activity_id=activity_id),
                           problems=problems, credits=credits, reason=reason)
