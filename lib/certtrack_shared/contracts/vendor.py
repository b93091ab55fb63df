"""Testing vendor → CertTrack (`vendor.events`), CONTRACTS.md §2."""
from __future__ import annotations

from typing import ClassVar, Literal, Optional

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from certtrack_shared.contracts.envelope import AwareDatetime, Event

Text = Field(min_length=1, max_length=300)


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class VendorCandidate(_Part):
    candidate_id: Optional[str] = Field(default=None, max_length=40)
    first_name: str = Field(min_length=1, max_length=120)
    last_name: str = Field(min_length=1, max_length=120)
    email: EmailStr


class VendorExam(_Part):
    code: str = Field(min_length=1, max_length=40)
    title: str = Text


class TestCenter(_Part):
    id: str = Field(min_length=1, max_length=60)
    name: str = Text
    country: str = Field(min_length=2, max_length=2)


class _VendorEvent(Event):
    vendor: str = Field(min_length=1, max_length=60)
    program: str = Field(min_length=1, max_length=60)
    registration_number: str = Field(min_length=1, max_length=60)


MAX_SCORE = 1_000_000


class ExamRegistrationV1(_VendorEvent):
    event_type: ClassVar[str] = "exam_registration"
    schema_version: Literal[1]
    candidate: VendorCandidate
    exam: VendorExam
    scheduled_at: AwareDatetime


class ExamResultV1(_VendorEvent):
    event_type: ClassVar[str] = "exam_result"
    schema_version: Literal[1]
    candidate: VendorCandidate
    exam: VendorExam
    taken_at: AwareDatetime
    # Bounded above so that an absurd score is refused here, with its reason, instead of
    # failing in the database (a 32-bit column) and going round the retries; real scales
    # end at 1,000.
    score: int = Field(ge=0, le=MAX_SCORE)
    passing_score: int = Field(ge=0, le=MAX_SCORE)
    result: Literal["pass", "fail"]
    test_center: TestCenter

    @model_validator(mode="after")
    def _result_agrees_with_score(self):
        # CONTRACTS.md: a result that disagrees with the score is invalid input.
        earned = "pass" if self.score >= self.passing_score else "fail"
        if self.result != earned:
            raise ValueError(
                f"result {self.result!r} disagrees with score {self.score} "
                f"against passing score {self.passing_score}"
            )
        return self


class ExamResultRevokedV1(_VendorEvent):
    event_type: ClassVar[str] = "exam_result_revoked"
    schema_version: Literal[1]
    reason: str = Field(min_length=1, max_length=500)
    revoked_at: AwareDatetime
