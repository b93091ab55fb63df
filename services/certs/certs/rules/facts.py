"""What the engine is told about a candidate: dated facts, nothing else.

Plain values (pydantic, frozen), built by the service from its own tables:
sittings from `exam_passed` / `exam_failed` / `sitting_revoked`, approved CE
activities and approved course completions.
"""
from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Fact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sitting(_Fact):
    sitting_id: int
    exam_code: str
    taken_on: date
    passed: bool
    revoked: bool = False

    @property
    def counts(self) -> bool:
        return self.passed and not self.revoked


class CeActivity(_Fact):
    """An approved continuing-education activity, dated by its completion
    (also when it was approved later)."""

    activity_id: int
    credits: int = Field(ge=1)
    completed_on: date


class CourseCompletion(_Fact):
    """An approved course completion certificate, mapped by staff to the
    certification it renews (Juniper)."""

    completion_id: int
    certification_id: str
    completed_on: date
