"""The candidate site's pages."""
from __future__ import annotations

from flask import Blueprint, render_template

blueprint = Blueprint("site", __name__)


@blueprint.get("/")
def home():
    return render_template("home.html")
