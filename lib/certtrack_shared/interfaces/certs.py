"""The certs service's published RPC models (services/certs/certs/schemas.py re-exports
them): a candidate's certifications and their agreement, continuing education, digital
badges, and the public verification of a certificate or a badge.

A certification is the standing certs announced last (decision 0021) as the candidate
sees it: the rules' evidence (which sittings, courses and CE activities counted) stays
inside certs. The field descriptions are those of the gateway's API documentation
(/api/v1/openapi.json).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Status = Literal["in_progress", "active", "expired", "revoked"]
BadgeStatus = Literal["active", "revoked", "suspended", "expired"]
Text300 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class Reply(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Request(BaseModel):
    """A request: unknown fields refused, text stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# -- a candidate's certifications -----------------------------------------------------------
class Requirement(Reply):
    description: str = Field(description="E.g. `Pass one of 300-410, 300-415, …`.")
    met: bool
    still_needed: Optional[str] = Field(default=None, description="What remains; null when met.")
    met_on: Optional[date] = Field(default=None, description="The day its last counted sitting or course happened.")


class RecertificationPath(Reply):
    name: str
    description: str
    met: bool
    still_needed: str = Field(description="E.g. `12 more CE credits`.")
    ce_credits_counted: int
    deferred_to: Optional[str] = Field(
        default=None, description="A CE path whose credits go to this higher certification, which renews this one.")


class HistoryEntry(Reply):
    event: Literal["achieved", "recertified", "expired", "revoked"]
    on: Optional[date] = Field(description="Null only for `revoked`.")
    expires_on: Optional[date] = None
    path: Optional[str] = Field(default=None, description="The recertification path used.")
    renewed_by: Optional[str] = Field(default=None, description="The certification whose renewal renewed this one.")


class Certification(Reply):
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


class AgreementState(Reply):
    version: Optional[int] = Field(description="Null when the program has no certification agreement.")
    accepted: bool
    accepted_at: Optional[datetime]


class CertificationList(Reply):
    items: list[Certification] = Field(
        description="Certifications the candidate has anything toward: active (highest level first), "
                    "in progress, expired, revoked.")
    agreement: Optional[AgreementState] = Field(
        description="Downloads need the current certification agreement; null until CertTrack holds a "
                    "certification record for the candidate.")


class CandidateCertifications(CertificationList):
    """The list as certs answers it: whose it is and the day of the standings, for the site's pages."""

    candidate_id: str
    program: str
    as_of: date


# -- the certification agreement --------------------------------------------------------------
class CertificationAgreement(Reply):
    """The current agreement (all three null when the program has none: downloads need nothing then)."""

    version: Optional[int]
    title: Optional[str]
    body: Optional[str] = Field(description="Plain text; paragraphs are separated by a blank line.")
    accepted_version: Optional[int]
    accepted_at: Optional[datetime]
    needs_acceptance: bool = Field(description="True until the current version is accepted.")


# -- continuing education ---------------------------------------------------------------------
class ActivityView(Reply):
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


class CeBalanceView(Reply):
    """An active certification on the Continuing Education page: what renews it. Every active
    certification is listed, whether or not it renews with CE credits (a Juniper one renews by
    exam or course)."""

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


class CourseOption(Reply):
    """A certification a course completion certificate can be submitted for."""

    certification_id: str
    name: str


class ContinuingEducation(Reply):
    items: list[ActivityView] = Field(description="Newest first.")
    balances: list[CeBalanceView] = Field(
        description="Every active certification: each recertification path, and the CE balance where a path takes "
                    "credits.")
    course_certifications: list[CourseOption] = Field(
        description="Active certifications a course completion certificate can renew (empty where the "
                    "program renews by no course, e.g. Cisco).")


class Document(Request):
    filename: str = Field(min_length=1, max_length=255)
    data_b64: str = Field(description="The file in base64: PDF, JPEG or PNG, at most 5 MB.")


class CeSubmission(Request):
    title: Text300
    provider: Text300
    completed_on: date = Field(description="Not in the future, and within the last 90 days.")
    kind: Literal["ce", "course"]
    certification_id: Optional[str] = Field(
        default=None, max_length=100,
        description="Required for a `course`: a certification of the program that renews by course.")
    document: Document


# -- files ------------------------------------------------------------------------------------
class BinaryPayload(Reply):
    """A file certs makes or keeps (logo, certificate, badge, CE document)."""

    filename: str
    content_type: str
    data_b64: str


# -- digital badges and public verification (docs/decisions/0024) -----------------------------
class CandidateCredential(Reply):
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


class CredentialCheck(Reply):
    verified: bool = Field(description="The signature, the issuer and the structure hold: a genuine credential.")
    status: Optional[BadgeStatus] = Field(description="Whether it still holds; null when it could not be verified.")
    errors: list[str] = Field(description="Why it is not verified, in words; empty when it is.")


class BadgeCheck(CredentialCheck):
    """The certification's current digital badge, checked as a verifier would."""


class ValidityPeriod(Reply):
    """One period a digital badge was issued for."""

    active_on: date
    expires_on: Optional[date] = Field(description="The first day it is no longer active; null: never expires.")
    revoked: bool


class CertificateVerification(Reply):
    certificate_code: str
    candidate_name: str
    certification_id: str
    certification_name: str
    status: Status = Field(description="Live, at `generated_at`.")
    active_on: Optional[date]
    expires_on: Optional[date] = Field(description="The first day it is no longer active; null: never expires.")
    generated_at: datetime
    first_awarded_on: Optional[date] = Field(default=None, description="The original award, kept across renewals.")
    periods: list[ValidityPeriod] = Field(
        default=[], description="Every validity period a digital badge was issued for, oldest first.")
    badge: Optional[BadgeCheck] = Field(
        default=None, description="The current digital badge checked as a verifier would; null when none is issued.")
