"""Events the certs service publishes on `certs.events`.

Every certification event carries the certification's whole standing after
the change (status and dates), not only what changed, so a projection
(transcripts' verification view, fulfillment's entitlements) keeps the latest
by upserting on (candidate_id, certification_id) and ignoring anything whose
`revision` is not higher than the one it holds: events may arrive out of
order or twice, and the projection still converges.
"""
from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from certtrack_shared.contracts.internal import InternalEvent

CertificationStatus = Literal["in_progress", "active", "expired", "revoked"]


class KitItemV1(BaseModel):
    """One item of a certification's kit, as the catalog prices it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    sku: str
    description: str
    price_cents: int = Field(ge=0)
    initial: bool  # part of the free kit sent on the first achievement


class _CertificationEvent(InternalEvent):
    candidate_id: str
    program: str
    certification_id: str
    certification_name: str
    level: str
    track: str
    status: CertificationStatus
    started_on: Optional[date] = None
    active_on: Optional[date] = None
    expires_on: Optional[date] = None  # first day no longer active; null: never expires
    # Increases with every change of this candidate's certification; consumers
    # keep the highest they saw (events may be redelivered or reordered).
    revision: int = Field(ge=1)


class CertificationAchievedV1(_CertificationEvent):
    """A certification became active by meeting its requirements.

    `first_achievement` is true the first time ever for this candidate (not
    after earning it again once expired or revoked): only then is the initial
    kit granted. `kit` lists every item of the certification's kit.
    """

    event_type: ClassVar[str] = "certification_achieved"
    schema_version: Literal[1]
    first_achievement: bool
    kit: list[KitItemV1]


class CertificationRecertifiedV1(_CertificationEvent):
    """An active certification started a new validity period.

    `path` names the recertification path met, or `renewed_by` the higher
    certification whose achievement or renewal renewed it.
    """

    event_type: ClassVar[str] = "certification_recertified"
    schema_version: Literal[1]
    path: Optional[str] = None
    renewed_by: Optional[str] = None


class CertificationExpiredV1(_CertificationEvent):
    event_type: ClassVar[str] = "certification_expired"
    schema_version: Literal[1]


class CertificationRevokedV1(_CertificationEvent):
    """No longer earned once a sitting it depended on was revoked."""

    event_type: ClassVar[str] = "certification_revoked"
    schema_version: Literal[1]
    reason: str
    sitting_ids: list[int] = []


class ExpertNumberAssignedV1(InternalEvent):
    """A first CCIE (or CCDE) got the next number of its series; identity records
    it as the candidate's read-only attribute."""

    event_type: ClassVar[str] = "expert_number_assigned"
    schema_version: Literal[1]
    candidate_id: str
    series: Literal["CCIE", "CCDE"]
    number: str
