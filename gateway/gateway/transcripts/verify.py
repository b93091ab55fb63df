"""Public verification: `/verify/<code>` (a page) and `GET /api/v1/verify/<code>` (JSON).

Both are served by the transcripts service's own web app
(services/transcripts/transcripts/public_web.py), the one implementation of
verification. Production routes the two paths to it at the ingress
(deploy/k8s/base/ingress.yaml), so the gateway never sees them; where everything
shares one port (`make run`, the e2e stack, Docker Compose) these views pass
them on to it (forwarding.py, `TRANSCRIPTS_WEB_URL`).

They stay routes of the gateway so that the site's one port answers them and
the OpenAPI document describes the API (the models below are its contract:
CONTRACTS.md §5).
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from flask import Blueprint
from pydantic import BaseModel, Field

from ..openapi import api_operation
from . import forwarding

blueprint = Blueprint("verify", __name__, url_prefix="/verify")
api_blueprint = Blueprint("verify_api", __name__, url_prefix="/api/v1/verify")


@blueprint.get("/<code>")
def page(code):
    return forwarding.forward()


# -- the API ---------------------------------------------------------------------------------
class VerifiedCandidate(BaseModel):
    name: str
    email: Optional[str] = Field(default=None, description="Present only when the transcript shows it.")


class VerifiedCertification(BaseModel):
    id: str = Field(description="Catalog id, e.g. `ccna`.")
    name: str
    status: str = Field(description="`active`, `expired` or `revoked`, as of the moment of viewing.")
    active_on: Optional[date]
    expires_on: Optional[date] = Field(description="First day no longer active; null: never expires.")


class VerifiedExam(BaseModel):
    exam_code: str
    exam_title: str
    taken_at: str
    result: str


class VerifiedTranscript(BaseModel):
    """Only what the transcript's display options show: `candidate.email` and `exams` are
    absent (not null) unless shown."""

    candidate: VerifiedCandidate
    certifications: list[VerifiedCertification]
    exams: Optional[list[VerifiedExam]] = Field(default=None, description="Present only when the transcript shows exams.")
    generated_at: str


@api_blueprint.get("/<code>")
@api_operation(response=VerifiedTranscript, tags=("verification",),
               summary="Verify a transcript with its access code (`?access_code=`); counts a view. "
                       "404 for an unknown code or a wrong access code alike, 429 after too many wrong "
                       "ones, 410 `transcript_inactive` for an expired or deactivated transcript.")
def verify_api(code):
    return forwarding.forward()
