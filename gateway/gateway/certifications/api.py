"""`/api/v1/me/certifications`, `/api/v1/me/continuing-education`,
`/api/v1/me/certification-agreement` and `/api/v1/me/credentials`: the token's candidate's
certifications, CE activities, certification agreement (CONTRACTS.md §5), digital badges
(§8), and downloads.

A CE activity is submitted as JSON with its document in base64
(`document: {filename, data_b64}`), so the API stays one JSON contract; the
body may therefore be up to a third larger than the 5 MB document.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Optional

from flask import Blueprint, current_app, request
from nameko.exceptions import RemoteError
from pydantic import BaseModel, ConfigDict, Field

from ..auth.tokens import AccessToken, bearer_required
from ..openapi import api_operation
from . import client
from .documents import download

blueprint = Blueprint("certifications_api", __name__, url_prefix="/api/v1/me")

TAGS = ("certifications",)
Status = Literal["in_progress", "active", "expired", "revoked"]


# -- certifications -------------------------------------------------------------------------
class Requirement(BaseModel):
    description: str = Field(description="E.g. `Pass one of 300-410, 300-415, …`.")
    met: bool
    still_needed: Optional[str] = Field(default=None, description="What remains; null when met.")
    met_on: Optional[date] = Field(default=None, description="The day its last counted sitting or course happened.")


class RecertificationPath(BaseModel):
    name: str
    description: str
    met: bool
    still_needed: str = Field(description="E.g. `12 more CE credits`.")
    ce_credits_counted: int
    deferred_to: Optional[str] = Field(
        default=None, description="A CE path whose credits go to this higher certification, which renews this one.")


class HistoryEntry(BaseModel):
    event: Literal["achieved", "recertified", "expired", "revoked"]
    on: Optional[date] = Field(description="Null only for `revoked`.")
    expires_on: Optional[date] = None
    path: Optional[str] = Field(default=None, description="The recertification path used.")
    renewed_by: Optional[str] = Field(default=None, description="The certification whose renewal renewed this one.")


class Certification(BaseModel):
    id: str = Field(description="Catalog ID, e.g. `ccna`, `ccnp_enterprise`, `jncia_junos`.")
    name: str
    level: str
    track: str
    status: Status
    started_on: Optional[date] = Field(description="The first sitting counted toward it.")
    active_on: Optional[date] = Field(description="Start of the current (expired: the last) period.")
    expires_on: Optional[date] = Field(
        description="The first day it is no longer active (the same calendar day 3 years later); "
                    "null while in progress or when it never expires.")
    progress: list[Requirement]
    recertification: list[RecertificationPath] = Field(description="Only while active and expiring.")
    recertification_summary: Optional[str] = Field(description="What every path still needs, joined by `, or `.")
    ce_credits_available: int
    covered_by: Optional[str] = Field(description="The active higher certification whose renewal renews this one.")
    history: list[HistoryEntry]
    certificate_code: Optional[str] = Field(description="For `/verify/certificate/{code}`; null if never active.")
    downloads: bool = Field(description="Logos and certificate can be downloaded (active, agreement accepted).")


class AgreementState(BaseModel):
    version: Optional[int] = Field(description="Null when the program has no certification agreement.")
    accepted: bool
    accepted_at: Optional[datetime]


class CertificationList(BaseModel):
    items: list[Certification] = Field(
        description="Certifications the candidate has anything toward: active (highest level first), "
                    "in progress, expired, revoked.")
    agreement: Optional[AgreementState] = Field(
        description="Downloads need the current certification agreement; null until CertTrack holds a "
                    "certification record for the candidate.")


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
class CandidateCredential(BaseModel):
    certification_id: str = Field(description="Catalog ID, e.g. `ccna`.")
    certification_name: str
    program: str
    issuer_name: str
    format: Literal["vc+jwt"]
    credential: str = Field(description="The Open Badges 3.0 `OpenBadgeCredential`, signed as a compact JWS.")
    credential_id: str = Field(description="The credential's `id` (`urn:uuid:…`).")
    verification_url: str = Field(description="The certification's public page, the same across renewals.")
    valid_from: date
    valid_until: Optional[date] = Field(description="The first day it is no longer valid; null: never expires.")
    linkedin_url: str = Field(description="LinkedIn's add-to-profile link for this certification.")


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
class CertificationAgreement(BaseModel):
    """The current agreement (all three null when the program has none: downloads need nothing then)."""

    version: Optional[int]
    title: Optional[str]
    body: Optional[str] = Field(description="Plain text; paragraphs are separated by a blank line.")
    accepted_version: Optional[int]
    accepted_at: Optional[datetime]
    needs_acceptance: bool = Field(description="True until the current version is accepted.")


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
class CeActivity(BaseModel):
    id: int
    kind: Literal["ce", "course"] = Field(description="`course`: a course completion mapped to a certification.")
    title: str
    provider: str
    completed_on: date
    certification_id: Optional[str] = Field(description="For a course: the certification it renews.")
    credits: Optional[int] = Field(description="Set by staff when a CE activity is approved.")
    status: Literal["pending", "approved", "rejected"]
    reason: Optional[str] = Field(description="Why it was rejected.")
    submitted_at: datetime
    reviewed_at: Optional[datetime]


class CeBalance(BaseModel):
    certification_id: str
    name: str
    status: Status
    active_on: Optional[date]
    expires_on: Optional[date] = Field(description="Null when it never expires (nothing to renew).")
    renews_with_ce: bool = Field(description="Whether a recertification path takes CE credits.")
    credits_available: Optional[int] = Field(
        description="Credits earned since its active date and not yet consumed; null when no path takes CE credits.")
    recertification_summary: Optional[str] = Field(description="What every recertification path still needs.")
    recertification: list[RecertificationPath] = Field(description="Every path and what it still needs.")
    covered_by: Optional[str] = Field(description="The active higher certification whose renewal renews this one.")


class CourseOption(BaseModel):
    certification_id: str
    name: str


class ContinuingEducation(BaseModel):
    items: list[CeActivity] = Field(description="Newest first.")
    balances: list[CeBalance] = Field(
        description="Every active certification: each recertification path, and the CE balance where a path takes "
                    "credits.")
    course_certifications: list[CourseOption] = Field(
        description="Active certifications a course completion certificate can renew (empty where the "
                    "program renews by no course, e.g. Cisco).")


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=200)
    data_b64: str = Field(min_length=1, description="The file in base64: PDF, JPEG or PNG, at most 5 MB.")


class CeSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    provider: str = Field(min_length=1, max_length=200)
    completed_on: date = Field(description="Not in the future, and within the last 90 days.")
    kind: Literal["ce", "course"]
    certification_id: Optional[str] = Field(
        default=None, description="Required for a `course`: a certification of the program that renews by course.")
    document: Document


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
@api_operation(request=CeSubmission, response=CeActivity, status=201, tags=TAGS,
               summary="Submit a CE activity or course completion with its certificate (JSON, document in "
                       "base64); it waits for staff review. 422 `invalid_submission` with `fields`.")
def submit_continuing_education(candidate: AccessToken, body: CeSubmission):
    return client.submit_ce_activity(candidate_id=candidate.candidate_id, title=body.title, provider=body.provider,
        completed_on=body.completed_on.isoformat(), kind=body.kind,
        certification_id=body.certification_id if body.kind == "course" else None,
        document=body.document.model_dump(),
    )
