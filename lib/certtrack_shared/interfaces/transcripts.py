"""The transcripts service's published RPC models (services/transcripts/transcripts/schemas.py
re-exports them): a candidate's transcripts and their share mail, and what a third party
sees when verifying one.

The field descriptions are those of the gateway's API documentation (/api/v1/openapi.json).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

CertificationId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80,
                                                   pattern=r"^[a-z0-9_]+$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class Display(BaseModel):
    """What the third party sees besides the candidate's name.

    `certifications`: "all_active" (every certification active when viewed)
    or a list of catalog ids (exactly those, whatever else the candidate holds).
    `include_expired`: also certifications no longer held (expired or revoked),
    with that status. `include_exams`: the passed exams. `show_email`: the
    candidate's email address.
    """

    model_config = ConfigDict(extra="forbid")

    certifications: Union[Literal["all_active"], Annotated[list[CertificationId], Field(min_length=1, max_length=50)]] = \
        Field(description='"all_active", or catalog ids of certifications the candidate holds or held (exactly '
                          'those are shown).')
    include_expired: bool = Field(default=False,
                                  description="Also show expired and revoked certifications, with that status.")
    include_exams: bool = Field(default=False, description="Show the passed exams.")
    show_email: bool = Field(default=False, description="Show the candidate's email address.")


class TranscriptRequest(BaseModel):
    """Creating or editing a transcript (an edit sends every field again)."""

    model_config = ConfigDict(extra="forbid")

    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    valid_through: date = Field(description="The last day the transcript can be viewed (today to five years ahead).")
    display: Display
    remarks: Text = Field(default="", description="The candidate's own note; never shown to the third party.")


class TranscriptSummary(BaseModel):
    """A transcript as its candidate sees it; never the access code (only its hash is kept)."""

    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="The public code, in the verification URL.")
    description: str
    valid_through: date
    display: Display
    remarks: str
    state: Literal["active", "expired", "deactivated"]
    created_at: datetime
    updated_at: datetime
    deactivated_at: Optional[datetime]
    views: int = Field(description="Successful verifications so far.")
    last_viewed_at: Optional[datetime]


class TranscriptList(BaseModel):
    items: list[TranscriptSummary] = Field(description="Newest first.")


# -- sharing by mail ----------------------------------------------------------------------
class ShareMailRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    access_code: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="The transcript's access code (the link carries it).")
    to: EmailStr
    message: Text = ""


class RenderedMail(BaseModel):
    to: list[str]
    subject: str
    text: str
    html: str


# -- public verification (CONTRACTS.md §5) -------------------------------------------------
# Served by transcripts' own web app (public_web.py), which writes exactly these models dumped
# with `exclude_unset`; the gateway documents the same in its OpenAPI document.
class VerifiedCandidate(BaseModel):
    name: str
    email: Optional[str] = Field(default=None, description="Present only when the transcript shows it.")


class VerifiedCertification(BaseModel):
    id: str = Field(description="Catalog id, e.g. `ccna`.")
    name: str
    status: Literal["active", "expired", "revoked"] = Field(
        description="`active`, `expired` or `revoked`, as of the moment of viewing.")
    active_on: Optional[date]
    expires_on: Optional[date] = Field(description="First day no longer active; null: never expires.")


class VerifiedExam(BaseModel):
    exam_code: str
    exam_title: str
    taken_at: datetime
    result: Literal["pass"]


class VerifiedTranscript(BaseModel):
    """Only what the transcript's display options show: `candidate.email` and `exams` are
    absent (not null) unless shown."""

    candidate: VerifiedCandidate
    certifications: list[VerifiedCertification]
    exams: Optional[list[VerifiedExam]] = Field(default=None,
                                                description="Present only when the transcript shows exams.")
    generated_at: datetime
