"""The internal events exams publishes about sittings."""
from __future__ import annotations

import uuid
from datetime import datetime

from certtrack_shared.contracts.exams import (
    CandidateReportedV1,
    ExamFailedV1,
    ExamPassedV1,
    ExamResultsAvailableV1,
    SittingRevokedV1,
)
from certtrack_shared.contracts.vendor import VendorCandidate

from exams.models import Sitting


def new_event_id() -> str:
    return f"exams-{uuid.uuid4()}"


def sitting_result(sitting: Sitting, now: datetime):
    model = ExamPassedV1 if sitting.result == "pass" else ExamFailedV1
    return model(
        schema_version=1, event_id=new_event_id(), occurred_at=now,
        sitting_id=sitting.id, candidate_id=sitting.candidate_id, program=sitting.program,
        vendor=sitting.vendor, registration_number=sitting.registration_number,
        exam_code=sitting.exam_code, exam_title=sitting.exam_title, taken_at=sitting.taken_at,
        score=sitting.score, passing_score=sitting.passing_score,
    )


def sitting_revoked(sitting: Sitting, now: datetime) -> SittingRevokedV1:
    return SittingRevokedV1(
        schema_version=1, event_id=new_event_id(), occurred_at=now,
        sitting_id=sitting.id, candidate_id=sitting.candidate_id, program=sitting.program,
        exam_code=sitting.exam_code, reason=sitting.revoked_reason or "",
        revoked_at=sitting.revoked_at,
    )


def results_available(candidate_id: str, exam_codes: list[str], now: datetime):
    return ExamResultsAvailableV1(
        schema_version=1, event_id=new_event_id(), occurred_at=now,
        candidate_id=candidate_id, exam_codes=exam_codes,
    )


def candidate_reported(vendor, program, registration_number, candidate: VendorCandidate, now):
    return CandidateReportedV1(
        schema_version=1, event_id=new_event_id(), occurred_at=now, vendor=vendor,
        program=program, registration_number=registration_number, candidate=candidate,
    )
