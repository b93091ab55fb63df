"""Personal Info: the candidate's Settings, Identification, Attributes and name change."""
from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("profile", __name__, url_prefix="/personal-info")

from . import views  # noqa: E402,F401 - the views register themselves on the blueprint
