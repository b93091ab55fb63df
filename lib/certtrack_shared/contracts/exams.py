"""Events the exams service publishes on `exams.events`."""
from __future__ import annotations

from typing import ClassVar, Literal

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
