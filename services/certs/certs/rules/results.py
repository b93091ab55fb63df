"""What the engine answers: every certification's standing as of a day.

Plain pydantic values; `model_dump(mode="json")` is what an RPC returns.
"""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

Status = Literal["in_progress", "active", "expired", "revoked"]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class CeUse(_Result):
    activity_id: int
    credits: int


class RequirementProgress(_Result):
    description: str  # "Pass one of 300-410, 300-415, …"
    met: bool
    still_needed: str | None  # "exam 350-401"; None when met
    sitting_ids: list[int]  # the sittings that met it (or count toward it)
    course_ids: list[int]
    met_on: date | None  # the day its last counted fact happened (None for a prerequisite)


class PathProgress(_Result):
    """A recertification path of an active certification, and what it still needs."""

    name: str
    description: str
    met: bool  # only ever true for a deferred path (a met path renews at once)
    still_needed: str  # "12 more CE credits", "one professional exam + 2 more CE credits"
    ce_credits_counted: int
    sitting_ids: list[int]
    deferred_to: str | None = None  # a CE path of a certification an active higher one renews: credits go there


class HistoryEntry(_Result):
    event: Literal["achieved", "recertified", "expired", "revoked"]
    on: date | None  # None only for `revoked` (the engine is not told when)
    expires_on: date | None = None  # of the period this entry starts
    path: str | None = None  # the recertification path used
    renewed_by: str | None = None  # the certification whose achievement/renewal renewed this one
    sitting_ids: list[int] = []
    course_ids: list[int] = []
    ce_used: list[CeUse] = []


class CertificationStanding(_Result):
    id: str
    name: str
    level: str
    track: str
    status: Status
    started_on: date | None  # the first sitting counted toward its (last) achievement
    active_on: date | None  # start of the current (or, expired, the last) period
    expires_on: date | None  # first day it is no longer active; None: never expires
    progress: list[RequirementProgress]  # requirements (and prerequisites) in catalog order
    recertification: list[PathProgress]  # only while active and expiring
    recertification_summary: str | None  # "12 more CE credits, or one professional exam + 2 more CE credits"
    ce_credits_available: int  # unconsumed credits that count toward its next renewal
    covered_by: str | None  # the active higher certification whose renewal renews this one
    history: list[HistoryEntry]

    @property
    def touched(self) -> bool:
        """Whether the candidate has anything toward it (the pages list only these)."""
        return self.status != "in_progress" or any(p.sitting_ids or p.course_ids for p in self.progress)


class CeBalance(_Result):
    activity_id: int
    credits: int
    remaining: int  # not consumed by any renewal


class Evaluation(_Result):
    program: str
    as_of: date
    certifications: list[CertificationStanding]  # catalog order
    ce_activities: list[CeBalance]

    def certification(self, certification_id: str) -> CertificationStanding:
        for standing in self.certifications:
            if standing.id == certification_id:
                return standing
        raise KeyError(certification_id)
