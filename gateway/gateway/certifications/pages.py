"""The Certifications page, a certification's detail page, and their downloads.

The profile is loaded first (`load_profile`), as on every candidate page: it
ends a session whose password changed since the login.

Downloads need an active certification and the current certification
agreement; the certs service refuses otherwise (`CertificationNotActive`,
`AgreementRequired`, both 409), and the error page says which. The page only
offers the links when the service says `downloads`.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, url_for
from nameko.exceptions import RemoteError

from ..auth.session import login_required
from ..profile.pages import SessionEnded, load_profile, session_ended
from . import client
from .documents import download
from .forms import AcceptAgreementForm

blueprint = Blueprint("certifications", __name__, url_prefix="/certifications")

SECTIONS = (("active", "Active Certifications"), ("in_progress", "In progress"),
            ("expired", "Expired"), ("revoked", "Revoked"))
STATUS_NAMES = {"active": "Active", "in_progress": "In progress", "expired": "Expired", "revoked": "Revoked"}


@blueprint.errorhandler(SessionEnded)
def _session_ended(error):
    return session_ended(error)


@blueprint.get("")
@login_required
def overview():
    profile = load_profile()
    candidate_id = profile["candidate_id"]
    try:
        standing = client.certifications(candidate_id=candidate_id)
        agreement = client.certification_agreement(candidate_id=candidate_id)
    except RemoteError as error:
        # certs learns of a candidate from identity's event: a candidate
        # registered a moment ago may not be known there yet.
        if not client.refused(error, "CandidateNotFound"):
            raise
        standing, agreement = {"items": [], "as_of": None}, None
    sections = {status: [item for item in standing["items"] if item["status"] == status] for status, _ in SECTIONS}
    return render_template(
        "certifications/overview.html", profile=profile, standing=standing, sections=sections,
        section_titles=dict(SECTIONS), agreement=agreement,
        form=AcceptAgreementForm(data={"version": agreement["version"] if agreement else None}),
    )


@blueprint.get("/<certification_id>")
@login_required
def detail(certification_id: str):
    profile = load_profile()
    certification = client.certification(candidate_id=profile["candidate_id"],
                                         certification_id=client.certification_id(certification_id))
    # A standing names related certifications by ID (`covered_by`, `renewed_by`,
    # `deferred_to`); they are always ones the candidate holds, so in this list.
    names = {item["id"]: item["name"]
             for item in client.certifications(candidate_id=profile["candidate_id"])["items"]}
    return render_template("certifications/detail.html", profile=profile, certification=certification, names=names)


@blueprint.post("/agreement")
@login_required
def accept_agreement():
    profile = load_profile()
    form = AcceptAgreementForm()
    if not form.validate():
        # Only a tampered form gets here (a stale CSRF token is answered before).
        flash("Your acceptance could not be recorded. Please read the agreement and try again.", "error")
        return redirect(url_for("certifications.overview") + "#agreement", 303)
    version = int(form.version.data)
    try:
        client.accept_certification_agreement(candidate_id=profile["candidate_id"], version=version)
    except RemoteError as error:
        if not client.refused(error, "AgreementVersionMismatch"):
            raise
        flash("A newer version of the certification agreement was published while you were reading. "
              "Please read it and accept it.", "error")
    else:
        flash(f"Thank you: you accepted version {version} of the certification agreement. "
              "Your logos and certificates can now be downloaded.", "success")
    return redirect(url_for("certifications.overview") + "#agreement", 303)


# -- downloads --------------------------------------------------------------------------------
@blueprint.get("/<certification_id>/logo.svg")
@login_required
def logo_svg(certification_id: str):
    return _logo(certification_id, "svg")


@blueprint.get("/<certification_id>/logo.png")
@login_required
def logo_png(certification_id: str):
    return _logo(certification_id, "png")


@blueprint.get("/<certification_id>/certificate.pdf")
@login_required
def certificate_pdf(certification_id: str):
    profile = load_profile()
    return download(client.certificate_pdf(candidate_id=profile["candidate_id"],
                                           certification_id=client.certification_id(certification_id)))


def _logo(certification_id: str, format: str):
    profile = load_profile()
    return download(client.logo(candidate_id=profile["candidate_id"],
                                certification_id=client.certification_id(certification_id), format=format))


# -- how the pages show things -----------------------------------------------------------------
@blueprint.app_template_filter("long_date")
def long_date(value: str | None, never: str = "") -> str:
    """`2029-03-05` → `5 Mar 2029`; an empty date reads `never` (e.g. "Never expires")."""
    if not value:
        return never
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{day.day} {day:%b %Y}"


@blueprint.app_template_filter("certification_status")
def certification_status(value: str) -> str:
    return STATUS_NAMES.get(value, value)
