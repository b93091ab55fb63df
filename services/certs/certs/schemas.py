"""Requests and replies of the certs RPC interface (the entrypoints of service.py): the
published ones (certtrack_shared.interfaces.certs) and those only certs and staff use."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# The models the gateway reads too are published in the shared package; re-exported here.
from certtrack_shared.interfaces.certs import (  # noqa: F401
    ActivityView,
    AgreementState,
    BadgeCheck,
    BinaryPayload,
    CandidateCertifications,
    CandidateCredential,
    CeBalanceView,
    CeSubmission,
    Certification,
    CertificationAgreement,
    CertificationList,
    CertificateVerification,
    ContinuingEducation,
    CourseOption,
    CredentialCheck,
    Document,
    HistoryEntry,
    RecertificationPath,
    Requirement,
    Text300,
    ValidityPeriod,
)

CandidateId = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=20)]
Staff = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]


# -- requests -----------------------------------------------------------------
class CandidateCeSubmission(CeSubmission):
    """`submit_ce_activity`'s arguments: the published submission and whose it is (the gateway
    takes the candidate from the session, never from the body)."""

    candidate_id: CandidateId


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


# -- replies (staff and the daily run: read by no other part as a model) ---------
class StaffActivityView(ActivityView):
    candidate_id: str
    candidate_name: str
    document_filename: str
    reviewed_by: Optional[str] = None


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


class CatalogReload(BaseModel):
    programs: list[str]
    candidates_reevaluated: int
    changes: int


class DailyRunReport(BaseModel):
    day: date
    expired: int
    reminders: int
    candidates_reevaluated: int
