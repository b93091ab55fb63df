"""`/api/v1/me/exams` and `/api/v1/me/exam-agreement`: the token's candidate's
testing history and exam agreement (CONTRACTS.md §5)."""
from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from certtrack_shared.interfaces.exams import AgreementStatus, ExamSitting

from ..auth.tokens import AccessToken, bearer_required
from ..openapi import api_operation
from ..profile import client as profile
from . import client

blueprint = Blueprint("exams_api", __name__, url_prefix="/api/v1/me")

TAGS = ("exams",)


# -- testing history ------------------------------------------------------------------------
class ExamList(BaseModel):
    items: list[ExamSitting] = Field(description="Newest first.")


@blueprint.get("/exams")
@bearer_required
@api_operation(response=ExamList, tags=TAGS, summary="The candidate's exams, newest first.")
def list_exams(candidate: AccessToken):
    return client.testing_history(candidate_id=candidate.candidate_id)


# -- the exam agreement ---------------------------------------------------------------------
class AcceptExamAgreement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(strict=True, ge=1, description="The current version, as read; an older one answers 409.")


def _program(candidate: AccessToken) -> str:
    return profile.get_profile(candidate_id=candidate.candidate_id)["program"]


@blueprint.get("/exam-agreement")
@bearer_required
@api_operation(response=AgreementStatus, tags=TAGS,
               summary="The program's current exam agreement and whether the candidate accepted it.")
def get_exam_agreement(candidate: AccessToken):
    return client.exam_agreement(candidate_id=candidate.candidate_id, program=_program(candidate))


@blueprint.post("/exam-agreement")
@bearer_required
@api_operation(
    request=AcceptExamAgreement, response=AgreementStatus, tags=TAGS,
    summary="Accept the current exam agreement; a version that is no longer current answers 409 "
            "`agreement_version_not_current`.",
)
def accept_exam_agreement(candidate: AccessToken, body: AcceptExamAgreement):
    return client.accept_exam_agreement(candidate_id=candidate.candidate_id,
                                        program=_program(candidate), version=body.version)
