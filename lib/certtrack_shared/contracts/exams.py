"""Events the exams service publishes on `exams.events`."""
from __future__ import annotations

from typing import ClassVar, Literal

from certtrack_shared.contracts.envelope import AwareDatetime
from certtrack_shared.contracts.internal import InternalEvent
from certtrack_shared.contracts.vendor import VendorCandidate


class CandidateReportedV1(InternalEvent):
    """A vendor named a candidate (in a registration or a result).

    Identity matches it — candidate ID, then an earlier registration number,
    then email — or creates the candidate, then answers with
    `registration_linked`.
    """

    event_type: ClassVar[str] = "candidate_reported"
    schema_version: Literal[1]
    vendor: str
    program: str
    registration_number: str
    candidate: VendorCandidate


class _SittingEvent(InternalEvent):
    sitting_id: int
    candidate_id: str
    program: str
    vendor: str
    registration_number: str
    exam_code: str
    exam_title: str
    taken_at: AwareDatetime
    score: int
    passing_score: int


class ExamPassedV1(_SittingEvent):
    """A sitting's current result is a pass (sent again when a correction changes it)."""

    event_type: ClassVar[str] = "exam_passed"
    schema_version: Literal[1]


class ExamFailedV1(_SittingEvent):
    """A sitting's current result is a fail (also after a correction from pass)."""

    event_type: ClassVar[str] = "exam_failed"
    schema_version: Literal[1]


class SittingRevokedV1(InternalEvent):
    """A vendor withdrew a sitting's result: whatever counted it must re-evaluate."""

    event_type: ClassVar[str] = "sitting_revoked"
    schema_version: Literal[1]
    sitting_id: int
    candidate_id: str
    program: str
    exam_code: str
    reason: str
    revoked_at: AwareDatetime


class ExamResultsAvailableV1(InternalEvent):
    """New results were imported for a candidate (identity mails them once)."""

    event_type: ClassVar[str] = "exam_results_available"
    schema_version: Literal[1]
    candidate_id: str
    exam_codes: list[str]
