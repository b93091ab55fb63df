"""Public verification: `/verify/<code>` (a page) and `GET /api/v1/verify/<code>` (JSON).

Both are served by the transcripts service's own web app
(services/transcripts/transcripts/public_web.py), the one implementation of
verification. Production routes the two paths to it at the ingress
(deploy/k8s/base/ingress.yaml), so the gateway never sees them; where everything
shares one port (`make run`, the e2e stack, Docker Compose) the gateway passes
them on to it (`TRANSCRIPTS_WEB_URL`): a link as links are made in front of
Flask (passthrough.py), anything else through these views (forwarding.py).

They stay routes of the gateway so that the site's one port answers them and
the OpenAPI document describes the API (transcripts' published
`VerifiedTranscript` is its contract: CONTRACTS.md §5).
"""
from __future__ import annotations

from flask import Blueprint

from certtrack_shared.interfaces.transcripts import VerifiedTranscript

from ..openapi import api_operation
from . import forwarding

blueprint = Blueprint("verify", __name__, url_prefix="/verify")
api_blueprint = Blueprint("verify_api", __name__, url_prefix="/api/v1/verify")


@blueprint.get("/<code>")
def page(code):
    return forwarding.forward()


# -- the API ---------------------------------------------------------------------------------
@api_blueprint.get("/<code>")
@api_operation(response=VerifiedTranscript, tags=("verification",),
               summary="Verify a transcript with its access code (`?access_code=`); counts a view. "
                       "404 for an unknown code or a wrong access code alike, 429 after too many wrong "
                       "ones, 410 `transcript_inactive` for an expired or deactivated transcript.")
def verify_api(code):
    return forwarding.forward()
