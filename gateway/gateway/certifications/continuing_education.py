"""The Continuing Education page: credit balances, activities, and submitting one.

A submission carries its certificate of completion (PDF, JPEG or PNG, at
most 5 MB). The form checks what it can (required fields, the file's name
and size) before anything is sent; the certs service checks the rest (the
file by its content, the 90 days, the certification a course is for) and
its `InvalidSubmission` messages are shown beside their fields.
"""
from __future__ import annotations

import base64

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from nameko.exceptions import RemoteError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from ..auth.session import login_required
from ..errors import render_error
from ..profile.pages import SessionEnded, load_profile, session_ended
from . import client
from .forms import CeActivityForm

blueprint = Blueprint("continuing_education", __name__, url_prefix="/continuing-education")

INVALID_FORM = 422


@blueprint.errorhandler(SessionEnded)
def _session_ended(error):
    return session_ended(error)


@blueprint.url_value_preprocessor
def _allow_document_uploads(endpoint, _values):
    # Runs before any before_request (the CSRF check reads the form), so the
    # larger limit applies when the multipart body is parsed.
    if endpoint == "continuing_education.page":
        request.max_content_length = current_app.config["UPLOAD_MAX_CONTENT_LENGTH"]


@blueprint.errorhandler(RequestEntityTooLarge)
def _document_too_large(error):
    if request.endpoint != "continuing_education.page":
        return render_error(error)
    flash("That file is too large: the certificate of completion must be at most 5 MB.", "error")
    return redirect(url_for("continuing_education.page") + "#submit", 303)


@blueprint.route("", methods=["GET", "POST"])
@login_required
def page():
    profile = load_profile()
    candidate_id = profile["candidate_id"]
    try:
        certifications = client.certifications(candidate_id=candidate_id)["items"]
        education = client.continuing_education(candidate_id=candidate_id)
    except RemoteError as error:
        # Not known to certs yet (identity's event still on its way): nothing to show.
        if not client.refused(error, "CandidateNotFound"):
            raise
        certifications, education = [], {"balances": [], "items": [], "course_certifications": []}
    form = CeActivityForm()
    courses = education["course_certifications"]
    # Only where a course renews something (Juniper): a Cisco candidate is not asked what it is.
    form.certification_id.choices = [("", "Choose the certification")] + [
        (course["certification_id"], course["name"]) for course in courses]
    if not courses:
        form.kind.data = "ce"
    problems: list[str] = []
    if request.method == "POST" and form.validate():
        upload = form.document.data
        try:
            activity = client.submit_ce_activity(candidate_id=candidate_id, title=form.title.data,
                provider=form.provider.data, completed_on=form.completed_on.data.isoformat(),
                kind=form.kind.data,
                certification_id=(form.certification_id.data or None) if form.kind.data == "course" else None,
                document={"filename": secure_filename(upload.filename or "") or "certificate",
                          "data_b64": base64.b64encode(upload.read()).decode("ascii")},
            )
        except RemoteError as error:
            if not client.refused(error, "InvalidSubmission"):
                raise
            problems = _place(form, client.field_messages(error))
        else:
            flash(f"“{activity['title']}” is submitted. Our team reviews it, usually within five business "
                  "days, and emails you the decision.", "success")
            return redirect(url_for("continuing_education.page"), 303)
    status = INVALID_FORM if request.method == "POST" else 200
    names = {item["id"]: item["name"] for item in certifications}
    return render_template("certifications/continuing_education.html", profile=profile, education=education,
                           form=form, problems=problems, names=names, offers_courses=bool(courses)), status


def _place(form, fields: dict[str, str]) -> list[str]:
    """Put the service's messages beside their fields; return the ones no field shows."""
    unplaced = []
    for name, text in fields.items():
        field = getattr(form, name, None) if name != "csrf_token" else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), text]
        else:
            unplaced.append(text)
    return unplaced
