"""Requests and replies of the transcripts service's RPC methods."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Optional

from pydantic import BaseModel, StringConstraints

# The models the gateway reads too are published in the shared package; re-exported here.
from certtrack_shared.interfaces.transcripts import (  # noqa: F401
    Display,
    RenderedMail,
    ShareMailRequest,
    TranscriptList,
    TranscriptRequest,
    TranscriptSummary,
    VerifiedCandidate,
    VerifiedCertification,
    VerifiedExam,
    VerifiedTranscript,
)

CandidateId = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=20)]


class CandidateQuery(BaseModel):
    """The candidate every candidate method acts for (the gateway takes it from the session)."""

    candidate_id: CandidateId


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
