"""The candidate site's pages."""
from __future__ import annotations

from flask import Blueprint, render_template

from .auth.session import current_candidate
from .profile.pages import candidate_home

blueprint = Blueprint("site", __name__)


@blueprint.get("/")
def home():
    """A logged-in candidate's Home; everyone else's introduction to CertTrack."""
    if current_candidate() is not None:
        return candidate_home()
    return render_template("home.html")
