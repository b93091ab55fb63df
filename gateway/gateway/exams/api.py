"""`/api/v1/me/exams` and `/api/v1/me/exam-agreement`: the token's candidate's
testing history and exam agreement (CONTRACTS.md §5)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from flask import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from ..profile import client as profile
from ..auth.tokens import AccessToken, bearer_required
from ..openapi import api_operation
from . import client

blueprint = Blueprint("exams_api", __name__, url_prefix="/api/v1/me")

TAGS = ("exams",)


# -- testing history ------------------------------------------------------------------------
class TestCenter(BaseModel):
    id: str
    name: str
    country: str = Field(description="ISO 3166-1 alpha-2 code.")


class ExamSitting(BaseModel):
    """One scored exam: the latest result the testing vendor reported for the registration."""

    exam_code: str = Field(description="E.g. `200-301`.")
    exam_title: str
    taken_at: datetime
    score: int
    passing_score: int
    result: Literal["pass", "fail"]
    registration_number: str = Field(description="The testing vendor's registration number (as on the score report).")
    vendor: str = Field(description="The testing vendor, e.g. `pearson_vue`.")
    test_center: TestCenter
    revoked: bool = Field(description="A revoked result no longer counts towards any certification.")
    revoked_reason: Optional[str] = None
    revoked_at: Optional[datetime] = None
    corrected: bool = Field(description="The vendor corrected this result after first reporting it.")


class ExamList(BaseModel):
    items: list[ExamSitting] = Field(description="Newest first.")


@blueprint.get("/exams")
@bearer_required
@api_operation(response=ExamList, tags=TAGS, summary="The candidate's exams, newest first.")
def list_exams(candidate: AccessToken):
    return client.testing_history(candidate_id=candidate.candidate_id)


# -- the exam agreement ---------------------------------------------------------------------
class ExamAgreementText(BaseModel):
    program: str
    version: int
    title: str
    body: str = Field(description="Plain text; paragraphs are separated by a blank line.")
    published_at: datetime


class ExamAgreementAcceptance(BaseModel):
    version: int
    accepted_at: datetime


class ExamAgreementStatus(BaseModel):
    """The program's current exam agreement and the candidate's acceptance."""

    program: str
    current: Optional[ExamAgreementText] = Field(description="Null when the program has no agreement.")
    accepted: Optional[ExamAgreementAcceptance] = Field(
        description="The candidate's latest acceptance, of whichever version; null if none.")
    needs_acceptance: bool = Field(
        description="True until the candidate accepted the current version (again after a new one is published).")


class AcceptExamAgreement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(strict=True, ge=1, description="The current version, as read; an older one answers 409.")


def _program(candidate: AccessToken) -> str:
    return profile.get_profile(candidate_id=candidate.candidate_id)["program"]


@blueprint.get("/exam-agreement")
@bearer_required
@api_operation(response=ExamAgreementStatus, tags=TAGS,
               summary="The program's current exam agreement and whether the candidate accepted it.")
def get_exam_agreement(candidate: AccessToken):
    return client.exam_agreement(candidate_id=candidate.candidate_id, program=_program(candidate))


@blueprint.post("/exam-agreement")
@bearer_required
@api_operation(
    request=AcceptExamAgreement, response=ExamAgreementStatus, tags=TAGS,
    summary="Accept the current exam agreement; a version that is no longer current answers 409 "
            "`agreement_version_not_current`.",
)
def accept_exam_agreement(candidate: AccessToken, body: AcceptExamAgreement):
    return client.accept_exam_agreement(candidate_id=candidate.candidate_id,
                                        program=_program(candidate), version=body.version)
