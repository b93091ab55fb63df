"""The exams service's published RPC models (services/exams/exams/schemas.py re-exports
them): a candidate's testing history and the program's exam agreement.

The field descriptions are those of the gateway's API documentation (/api/v1/openapi.json).
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field


class TestCenterView(BaseModel):
    id: str
    name: str
    country: str = Field(description="ISO 3166-1 alpha-2 code.")


class ExamSitting(BaseModel):
    """One scored exam: the latest result the testing vendor reported for the registration."""

    model_config = ConfigDict(from_attributes=True)

    exam_code: str = Field(description="E.g. `200-301`.")
    exam_title: str
    taken_at: datetime
    score: int
    passing_score: int
    result: Literal["pass", "fail"]
    registration_number: str = Field(description="The testing vendor's registration number (as on the score report).")
    vendor: str = Field(description="The testing vendor, e.g. `pearson_vue`.")
    test_center: TestCenterView
    revoked: bool = Field(description="A revoked result no longer counts towards any certification.")
    revoked_reason: Optional[str] = None
    revoked_at: Optional[datetime] = None
    corrected: bool = Field(description="The vendor corrected this result after first reporting it.")


class SittingView(ExamSitting):
    """One line of a candidate's testing history as exams answers it (CONTRACTS.md §5
    `me/exams`): with the sitting's own id."""

    id: int


class AgreementView(BaseModel):
    """One version of a program's exam agreement: plain text, paragraphs split by blank lines."""

    model_config = ConfigDict(from_attributes=True)

    program: str
    version: int
    title: str
    body: str = Field(description="Plain text; paragraphs are separated by a blank line.")
    published_at: datetime


class AcceptanceView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    accepted_at: datetime


class AgreementStatus(BaseModel):
    """The program's current exam agreement and where the candidate stands with it.

    `accepted` is the candidate's latest acceptance (of any version);
    `needs_acceptance` is true while it is not of the current version.
    A program without any agreement has `current` null and needs nothing.
    """

    program: str
    current: Optional[AgreementView] = Field(description="Null when the program has no agreement.")
    accepted: Optional[AcceptanceView] = Field(
        description="The candidate's latest acceptance, of whichever version; null if none.")
    needs_acceptance: bool = Field(
        description="True until the candidate accepted the current version (again after a new one is published).")
