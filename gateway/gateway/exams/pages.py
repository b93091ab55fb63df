"""The Testing History page: every exam the candidate sat, and the exam agreement.

The profile is loaded first (`load_profile`), as on Personal Info: it ends a
session whose password changed since the login, and names the program whose
agreement applies.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, flash, redirect, render_template, url_for
from markupsafe import Markup, escape
from nameko.exceptions import RemoteError

from ..auth.session import login_required
from ..profile.pages import SessionEnded, load_profile, session_ended
from . import client
from .forms import AcceptAgreementForm

blueprint = Blueprint("exams", __name__, url_prefix="/testing-history")


@blueprint.errorhandler(SessionEnded)
def _session_ended(error):
    return session_ended(error)


@blueprint.get("")
@login_required
def history():
    profile = load_profile()
    candidate_id, program = profile["candidate_id"], profile["program"]
    sittings = client.testing_history(candidate_id=candidate_id)["items"]
    agreement = client.exam_agreement(candidate_id=candidate_id, program=program)
    return render_template(
        "exams/history.html", profile=profile, sittings=sittings, agreement=agreement,
        form=AcceptAgreementForm(data={"version": (agreement["current"] or {}).get("version")}),
    )


@blueprint.post("/agreement")
@login_required
def accept_agreement():
    profile = load_profile()
    form = AcceptAgreementForm()
    if not form.validate():
        # Only a tampered form gets here (a stale CSRF token is answered before).
        flash("Your acceptance could not be recorded. Please read the agreement and try again.", "error")
        return redirect(url_for("exams.history"), 303)
    version = int(form.version.data)
    try:
        client.accept_exam_agreement(candidate_id=profile["candidate_id"],
                                     program=profile["program"], version=version)
    except RemoteError as error:
        if not client.refused(error, "AgreementVersionNotCurrent", "AgreementNotFound"):
            raise
        current = client.current_version(error)
        if current is None:
            flash("There is no exam agreement for your program to accept.", "error")
        else:
            flash(f"A newer version of the exam agreement (version {current}) was published while you "
                  "were reading. Please read it and accept it.", "error")
    else:
        flash(f"Thank you: you accepted version {version} of the exam agreement.", "success")
    return redirect(url_for("exams.history") + "#agreement", 303)


# -- how the page shows things -----------------------------------------------------------
@blueprint.app_template_filter("exam_datetime")
def exam_datetime(value: str | None, with_time: bool = True) -> str:
    """`2026-12-01T11:42:00Z` → `1 Dec 2026, 11:42 UTC` (the vendors report UTC)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    day = f"{moment.day} {moment:%b %Y}"
    if not with_time:
        return day
    return f"{day}, {moment:%H:%M} UTC"


@blueprint.app_template_filter("paragraphs")
def paragraphs(text: str | None) -> Markup:
    """Plain text with blank lines between paragraphs, as escaped `<p>` elements."""
    blocks = [block.strip() for block in (text or "").replace("\r\n", "\n").split("\n\n")]
    return Markup("\n").join(Markup("<p>{}</p>").format(escape(block)) for block in blocks if block)
