"""Replies of the exams service's RPC methods."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict


class SittingView(BaseModel):
    """One line of a candidate's testing history (CONTRACTS.md §5 `me/exams`)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    exam_code: str
    exam_title: str
    taken_at: datetime
    score: int
    passing_score: int
    result: Literal["pass", "fail"]
    registration_number: str
    vendor: str
    test_center: dict
    revoked: bool
    revoked_reason: Optional[str]
    revoked_at: Optional[datetime]
    corrected: bool


class TestingHistory(BaseModel):
    items: list[SittingView]
