"""The Digital Badges page: the candidate's Open Badges 3.0 credential of
each active certification (docs/decisions/0024), with its image, its
downloads (JSON, JWT, and baked into a PNG or SVG badge), LinkedIn's
"Add to profile" link and the public verification link to copy.

As on every candidate page, the candidate is the session's; the URL names
only the catalog certification, so another candidate's badge cannot be
asked for (certs answers `CredentialNotFound`, a 404, for a certification
without an active credential of this candidate).
"""
from __future__ import annotations

from flask import Blueprint, render_template
from nameko.exceptions import RemoteError

from ..auth.session import login_required
from ..profile.pages import SessionEnded, load_profile, session_ended
from . import client
from .documents import download

blueprint = Blueprint("badges", __name__)

FORMATS = ("json", "jwt", "png", "svg")
# LinkedIn's add-to-profile link, as certs builds it; anything else is not offered as a link.
LINKEDIN = "https://www.linkedin.com/"


@blueprint.errorhandler(SessionEnded)
def _session_ended(error):
    return session_ended(error)


@blueprint.get("/digital-badges")
@login_required
def page():
    profile = load_profile()
    try:
        badges = client.candidate_credentials(candidate_id=profile["candidate_id"])
    except RemoteError as error:
        # certs has not heard of a candidate registered a moment ago: no badges yet.
        if not client.refused(error, "CandidateNotFound"):
            raise
        badges = []
    for badge in badges:
        if not str(badge.get("linkedin_url") or "").startswith(LINKEDIN):
            badge["linkedin_url"] = None
    return render_template("certifications/badges.html", profile=profile, badges=badges, formats=FORMATS)


@blueprint.get("/certifications/<certification_id>/badge.<any(json, jwt, png, svg):format>")
@login_required
def badge_download(certification_id: str, format: str):
    profile = load_profile()
    return download(client.credential_download(candidate_id=profile["candidate_id"],
                                               certification_id=client.certification_id(certification_id),
                                               format=format))
