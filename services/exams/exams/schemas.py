"""Replies of the exams service's RPC methods."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# The models the gateway reads too are published in the shared package; re-exported here.
from certtrack_shared.interfaces.exams import (  # noqa: F401
    AcceptanceView,
    AgreementStatus,
    AgreementView,
    ExamSitting,
    SittingView,
    TestCenterView,
)


class TestingHistory(BaseModel):
    items: list[SittingView]


# -- exam agreements ----------------------------------------------------------
Program = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1,
                                          max_length=60, pattern=r"^[A-Za-z0-9_]+$")]
CandidateId = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=20)]


class AgreementQuery(BaseModel):
    candidate_id: CandidateId
    program: Program


class AcceptAgreementRequest(AgreementQuery):
    version: int = Field(strict=True, ge=1)


class PublishAgreementRequest(BaseModel):
    program: Program
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)]
    staff: Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1,
                                            max_length=254)]


class AgreementVersionsQuery(BaseModel):
    program: Optional[Program] = None


class PublishedAgreementView(AgreementView):
    """A version as staff see it: also who published it. Candidates never get this."""

    published_by: str


class ProgramAgreements(BaseModel):
    """Every published version of one program's agreement, newest (the current one) first."""

    program: str
    current_version: int
    versions: list[PublishedAgreementView]


class AgreementVersions(BaseModel):
    programs: list[ProgramAgreements]


# -- vendor API keys (exams/handlers/vendor_keys.py) ----------------------------------------
class VendorKeyAuditEntry(BaseModel):
    """One thing done to a key: `created` (with the scope and expiry given), `revoked`,
    or `scoped` (a key older than scopes given them by migration 0006)."""

    model_config = ConfigDict(from_attributes=True)

    action: Literal["created", "revoked", "scoped"]
    staff: str
    at: datetime
    programs: Optional[list[str]]
    expires_at: Optional[datetime]


class VendorKeyView(BaseModel):
    """A vendor key as staff see it: never the key itself, only its first characters.

    `status` is `revoked` once revoked, else `expired` from `expires_at` on,
    else `active`; `active` and `expired` say the same as booleans.
    """

    id: int
    vendor: str
    label: str
    key_prefix: str
    programs: list[str]
    expires_at: datetime
    created_by: str
    created_at: datetime
    revoked_by: Optional[str]
    revoked_at: Optional[datetime]
    last_used_at: Optional[datetime]
    status: Literal["active", "expired", "revoked"]
    active: bool
    expired: bool
    history: list[VendorKeyAuditEntry]


class CreatedVendorKey(BaseModel):
    """The reply to creating a key: the only time the full `key` is ever given out."""

    key: str
    vendor_key: VendorKeyView


class AuthenticatedVendor(BaseModel):
    """Whose key it is and what it may post: messages of `vendor` for `programs`."""

    vendor: str
    key_id: int
    programs: list[str]
    expires_at: datetime


class VendorSenderAuditEntry(BaseModel):
    """One thing done to a broker user's registration: `registered` (with the
    vendor and programs given) or `removed`."""

    model_config = ConfigDict(from_attributes=True)

    action: Literal["registered", "removed"]
    vendor: Optional[str]
    programs: Optional[list[str]]
    staff: str
    at: datetime


class VendorSenderView(BaseModel):
    """A testing vendor's broker user and what it may publish, as staff see it."""

    broker_user: str
    vendor: str
    programs: list[str]
    registered_by: str
    registered_at: datetime
    removed_by: Optional[str]
    removed_at: Optional[datetime]
    active: bool
    history: list[VendorSenderAuditEntry]
