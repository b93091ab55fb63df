"""Requests and replies of the certs RPC interface (the entrypoints of service.py)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from certs.rules.results import PathProgress

Text300 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
CandidateId = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=20)]
Staff = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]


# -- requests -----------------------------------------------------------------
class DocumentUpload(BaseModel):
    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    data_b64: str


class CeSubmission(BaseModel):
    candidate_id: CandidateId
    title: Text300
    provider: Text300
    completed_on: date
    kind: Literal["ce", "course"]
    certification_id: Optional[Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]] = None
    document: DocumentUpload


class Approval(BaseModel):
    activity_id: int = Field(strict=True, ge=1)
    credits: Optional[int] = None
    staff: Staff


class Rejection(BaseModel):
    activity_id: int = Field(strict=True, ge=1)
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    staff: Staff


class AgreementPublication(BaseModel):
    program: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1,
                                              max_length=60, pattern=r"^[a-z0-9_]+$")]
    title: Text300
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)]
    staff: Staff


# -- replies --------------------------------------------------------------------
class ActivityView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Literal["ce", "course"]
    title: str
    provider: str
    completed_on: date
    certification_id: Optional[str]
    credits: Optional[int]
    status: Literal["pending", "approved", "rejected"]
    reason: Optional[str]
    submitted_at: datetime
    reviewed_at: Optional[datetime]


class StaffActivityView(ActivityView):
    candidate_id: str
    candidate_name: str
    document_filename: str
    reviewed_by: Optional[str] = None


class CeBalanceView(BaseModel):
    """An active certification on the Continuing Education page: what renews it.

    Every active certification is listed, whether or not it renews with CE
    credits (a Juniper one renews by exam or course): each recertification
    path says what it still needs.
    """

    certification_id: str
    name: str
    status: str
    active_on: Optional[date]
    expires_on: Optional[date]  # None: it never expires, nothing to renew
    renews_with_ce: bool  # whether a recertification path takes CE credits
    credits_available: Optional[int]  # None when no path takes CE credits
    recertification_summary: Optional[str]
    recertification: list[PathProgress]  # every path and what it still needs
    covered_by: Optional[str]  # the active higher certification whose renewal renews this one


class CourseOption(BaseModel):
    """A certification a course completion certificate can be submitted for."""

    certification_id: str
    name: str


class ContinuingEducation(BaseModel):
    balances: list[CeBalanceView]  # every active certification, in catalog order
    items: list[ActivityView]
    # The candidate's active certifications that renew by an approved course (Juniper's);
    # empty for a program without such renewal (Cisco), so the site offers no course option.
    course_certifications: list[CourseOption]


class AgreementView(BaseModel):
    version: Optional[int]
    title: Optional[str]
    body: Optional[str]
    accepted_version: Optional[int]
    accepted_at: Optional[datetime]
    needs_acceptance: bool


class AgreementSummary(BaseModel):
    version: Optional[int]
    accepted: bool
    accepted_at: Optional[datetime]


class PublishedAgreement(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    program: str
    version: int
    title: str
    body: str
    published_at: datetime
    published_by: Optional[str]


class ProgramAgreements(BaseModel):
    program: str
    name: str
    current_version: int  # 0 while the program has none
    versions: list[PublishedAgreement]  # newest first


class AgreementVersions(BaseModel):
    programs: list[ProgramAgreements]


class BinaryPayload(BaseModel):
    filename: str
    content_type: str
    data_b64: str


class ValidityPeriod(BaseModel):
    """One period a digital badge was issued for: the renewal history, oldest first."""
    active_on: date
    expires_on: Optional[date]
    revoked: bool


class BadgeCheck(BaseModel):
    """The current digital badge's signature, issuer and status, checked as a verifier would."""
    verified: bool
    status: Optional[str]
    errors: list[str]


class CertificateVerification(BaseModel):
    certificate_code: str
    candidate_name: str
    certification_id: str
    certification_name: str
    status: str
    active_on: Optional[date]
    expires_on: Optional[date]
    generated_at: datetime
    first_awarded_on: Optional[date] = None  # the original award, kept across renewals
    periods: list[ValidityPeriod] = []
    badge: Optional[BadgeCheck] = None


class CatalogReload(BaseModel):
    programs: list[str]
    candidates_reevaluated: int
    changes: int


class DailyRunReport(BaseModel):
    day: date
    expired: int
    reminders: int
    candidates_reevaluated: int
