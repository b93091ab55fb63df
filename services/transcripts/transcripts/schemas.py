"""Requests and replies of the transcripts service's RPC methods."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

CandidateId = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=20)]
CertificationId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80,
                                                   pattern=r"^[a-z0-9_]+$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class CandidateQuery(BaseModel):
    """The candidate every candidate method acts for (the gateway takes it from the session)."""

    candidate_id: CandidateId


class Display(BaseModel):
    """What the third party sees besides the candidate's name.

    `certifications`: "all_active" (every certification active when viewed)
    or a list of catalog ids (exactly those, whatever else the candidate holds).
    `include_expired`: also certifications no longer held (expired or revoked),
    with that status. `include_exams`: the passed exams. `show_email`: the
    candidate's email address.
    """

    model_config = ConfigDict(extra="forbid")

    certifications: Union[Literal["all_active"], Annotated[list[CertificationId], Field(min_length=1, max_length=50)]]
    include_expired: bool = False
    include_exams: bool = False
    show_email: bool = False


class TranscriptRequest(BaseModel):
    """Creating or editing a transcript (an edit sends every field again)."""

    model_config = ConfigDict(extra="forbid")

    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    valid_through: date
    display: Display
    remarks: Text = ""


class TranscriptSummary(BaseModel):
    """A transcript as its candidate sees it; never the access code (only its hash is kept)."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    description: str
    valid_through: date
    display: Display
    remarks: str
    state: Literal["active", "expired", "deactivated"]
    created_at: datetime
    updated_at: datetime
    deactivated_at: Optional[datetime]
    views: int
    last_viewed_at: Optional[datetime]


class TranscriptList(BaseModel):
    items: list[TranscriptSummary]


class TranscriptWithAccessCode(BaseModel):
    """The reply to creating a transcript or regenerating its access code: the only
    times the access code is ever given out."""

    transcript: TranscriptSummary
    access_code: str


class HeldCertification(BaseModel):
    """A certification the candidate holds or held, for choosing a transcript's list."""

    id: str
    name: str
    status: str
    expires_on: Optional[date]


class TranscriptOptions(BaseModel):
    """What a transcript can show: `name` as third parties will see it (null until
    identity's event about the candidate arrived) and the certifications to choose from."""

    name: Optional[str]
    certifications: list[HeldCertification]


# -- sharing by mail ----------------------------------------------------------------------
class ShareMailRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    access_code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    to: EmailStr
    message: Text = ""


class RenderedMail(BaseModel):
    to: list[str]
    subject: str
    text: str
    html: str


# -- verification -------------------------------------------------------------------------
class VerifiedCandidate(BaseModel):
    name: str
    email: Optional[str] = None  # set only when the transcript shows it


class VerifiedCertification(BaseModel):
    id: str
    name: str
    status: Literal["active", "expired", "revoked"]
    active_on: Optional[date]
    expires_on: Optional[date]


class VerifiedExam(BaseModel):
    exam_code: str
    exam_title: str
    taken_at: datetime
    result: Literal["pass"]


class VerifiedTranscript(BaseModel):
    """CONTRACTS.md §5. Dumped with `exclude_unset`, so `candidate.email` and
    `exams` are absent (not null) unless the display options show them."""

    candidate: VerifiedCandidate
    certifications: list[VerifiedCertification]
    exams: Optional[list[VerifiedExam]] = None
    generated_at: datetime
