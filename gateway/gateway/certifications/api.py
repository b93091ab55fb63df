"""`/api/v1/me/certifications`, `/api/v1/me/continuing-education`,
`/api/v1/me/certification-agreement` and `/api/v1/me/credentials`: the token's candidate's
certifications, CE activities, certification agreement (CONTRACTS.md §5), digital badges
(§8), and downloads.

A CE activity is submitted as JSON with its document in base64
(`document: {filename, data_b64}`), so the API stays one JSON contract; the
body may therefore be up to a third larger than the 5 MB document.

The replies and the CE submission are certs' published models
(certtrack_shared.interfaces.certs, decision 0023); only the request bodies
certs has no model for are defined here.
"""
from __future__ import annotations

from flask import Blueprint, current_app, request
from nameko.exceptions import RemoteError
from pydantic import BaseModel, ConfigDict, Field

from certtrack_shared.interfaces.certs import (
    ActivityView, CandidateCredential, CeSubmission, Certification, CertificationAgreement, CertificationList,
    ContinuingEducation,
)

from ..auth.tokens import AccessToken, bearer_required
from ..openapi import api_operation
from . import client
from .documents import download

blueprint = Blueprint("certifications_api", __name__, url_prefix="/api/v1/me")

TAGS = ("certifications",)


# -- certifications -------------------------------------------------------------------------
@blueprint.get("/certifications")
@bearer_required
@api_operation(response=CertificationList, tags=TAGS, summary="The candidate's certifications and their progress.")
def list_certifications(candidate: AccessToken):
    try:
        return client.certifications(candidate_id=candidate.candidate_id)
    except RemoteError as error:
        if not client.refused(error, "CandidateNotFound"):
            raise
        # certs has not heard of this candidate yet (identity's event is on its way): nothing to list.
        return {"items": [], "agreement": None}


@blueprint.get("/certifications/<certification_id>")
@bearer_required
@api_operation(response=Certification, tags=TAGS,
               summary="One certification of the candidate's program (also one not started); "
                       "404 `certification_not_found` for another program's.")
def get_certification(candidate: AccessToken, certification_id: str):
    return client.certification(candidate_id=candidate.candidate_id,
                                certification_id=client.certification_id(certification_id))


_DOWNLOAD_REFUSALS = ("409 `certification_not_active` unless active, 409 `agreement_required` "
                      "until the current certification agreement is accepted.")


@blueprint.get("/certifications/<certification_id>/logo.svg")
@bearer_required
@api_operation(tags=TAGS, summary="The certification's logo as `image/svg+xml`. " + _DOWNLOAD_REFUSALS)
def logo_svg(candidate: AccessToken, certification_id: str):
    return download(client.logo(candidate_id=candidate.candidate_id,
                                certification_id=client.certification_id(certification_id), format="svg"))


@blueprint.get("/certifications/<certification_id>/logo.png")
@bearer_required
@api_operation(tags=TAGS, summary="The certification's logo as `image/png`. " + _DOWNLOAD_REFUSALS)
def logo_png(candidate: AccessToken, certification_id: str):
    return download(client.logo(candidate_id=candidate.candidate_id,
                                certification_id=client.certification_id(certification_id), format="png"))


@blueprint.get("/certifications/<certification_id>/certificate.pdf")
@bearer_required
@api_operation(tags=TAGS, summary="The PDF certificate (`application/pdf`). " + _DOWNLOAD_REFUSALS)
def certificate_pdf(candidate: AccessToken, certification_id: str):
    return download(client.certificate_pdf(candidate_id=candidate.candidate_id,
                                           certification_id=client.certification_id(certification_id)))


# -- digital badges (CONTRACTS §8) ----------------------------------------------------------
class CredentialList(BaseModel):
    items: list[CandidateCredential] = Field(description="One per active certification.")


@blueprint.get("/credentials")
@bearer_required
@api_operation(response=CredentialList, tags=TAGS,
               summary="The candidate's digital badges: an Open Badges 3.0 credential per active certification.")
def list_credentials(candidate: AccessToken):
    try:
        return {"items": client.candidate_credentials(candidate_id=candidate.candidate_id)}
    except RemoteError as error:
        if not client.refused(error, "CandidateNotFound"):
            raise
        return {"items": []}


# -- the certification agreement ------------------------------------------------------------
class AcceptCertificationAgreement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(strict=True, ge=1, description="The current version, as read; another answers 409.")


@blueprint.get("/certification-agreement")
@bearer_required
@api_operation(response=CertificationAgreement, tags=TAGS,
               summary="The current certification agreement and whether the candidate accepted it.")
def get_certification_agreement(candidate: AccessToken):
    return client.certification_agreement(candidate_id=candidate.candidate_id)


@blueprint.post("/certification-agreement")
@bearer_required
@api_operation(request=AcceptCertificationAgreement, response=CertificationAgreement, tags=TAGS,
               summary="Accept the current certification agreement; another version answers 409 "
                       "`agreement_version_mismatch`.")
def accept_certification_agreement(candidate: AccessToken, body: AcceptCertificationAgreement):
    return client.accept_certification_agreement(candidate_id=candidate.candidate_id,
                                                 version=body.version)


# -- continuing education -------------------------------------------------------------------
@blueprint.url_value_preprocessor
def _allow_document_uploads(endpoint, _values):
    # A 5 MB document is about 6.7 MB in base64.
    if endpoint == "certifications_api.submit_continuing_education" and request.method == "POST":
        request.max_content_length = current_app.config["UPLOAD_MAX_CONTENT_LENGTH"] * 4 // 3 + 64 * 1024


@blueprint.get("/continuing-education")
@bearer_required
@api_operation(response=ContinuingEducation, tags=TAGS,
               summary="The candidate's CE activities (newest first) and credit balance per certification.")
def get_continuing_education(candidate: AccessToken):
    try:
        return client.continuing_education(candidate_id=candidate.candidate_id)
    except RemoteError as error:
        if not client.refused(error, "CandidateNotFound"):
            raise
        return {"items": [], "balances": [], "course_certifications": []}


@blueprint.post("/continuing-education")
@bearer_required
@api_operation(request=CeSubmission, response=ActivityView, status=201, tags=TAGS,
               summary="Submit a CE activity or course completion with its certificate (JSON, document in "
                       "base64); it waits for staff review. 422 `invalid_submission` with `fields`.")
def submit_continuing_education(candidate: AccessToken, body: CeSubmission):
    return client.submit_ce_activity(candidate_id=candidate.candidate_id, title=body.title, provider=body.provider,
        completed_on=body.completed_on.isoformat(), kind=body.kind,
        certification_id=body.certification_id if body.kind == "course" else None,
        document=body.document.model_dump(),
    )
