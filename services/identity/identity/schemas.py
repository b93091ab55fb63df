"""Pydantic models of the identity service's RPC requests and replies.

Replies are returned as `model.model_dump(mode="json")`; the shapes are the
ones of docs/decisions/0003-identity.md.
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

# The models the gateway reads too are published in the shared package; re-exported here.
from certtrack_shared.interfaces.identity import (  # noqa: F401
    Address,
    AddressChanges,
    CandidateProfile,
    CandidateRecord,
    ExternalIdentity,
    ProfileChanges,
)
from certtrack_shared.interfaces.identity import Reply as _Reply
from certtrack_shared.interfaces.identity import Request as _Request


# -- replies ------------------------------------------------------------------
class CandidateSummary(_Reply):
    candidate_id: str
    program: str
    first_name: str
    last_name: str
    email: str
    has_password: bool
    password_changed_at: Optional[datetime] = None
    # Sessions and tokens carry it; a credential change moves it on.
    credential_version: int = 0


class Ticket(_Reply):
    id: int
    candidate_id: str
    kind: str
    status: Literal["open", "approved", "rejected"]
    requested_first_name: Optional[str] = None
    requested_last_name: Optional[str] = None
    reason: Optional[str] = None
    has_document: bool
    decision_reason: Optional[str] = None
    created_at: datetime
    decided_at: Optional[datetime] = None


class TicketDocument(BaseModel):
    filename: str
    content_type: str
    data_b64: str


class StaffSummary(_Reply):
    id: int
    email: str
    name: str
    role: Literal["admin", "support"]
    # False until the staff member confirmed a TOTP code at their first login.
    second_factor_enrolled: bool = False


class LinkTokenInfo(BaseModel):
    valid: bool
    reason: Optional[Literal["expired", "used", "unknown"]] = None
    candidate_id: Optional[str] = None
    first_name: Optional[str] = None


class SentTo(BaseModel):
    sent_to: str


# -- requests -----------------------------------------------------------------
class ExternalIdentityIn(_Request):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    issuer: str = Field(min_length=1, max_length=500)
    subject: str = Field(min_length=1, max_length=255)
    email: Optional[str] = Field(default=None, max_length=254)


READ_ONLY = {
    "first_name": "Your name can only be changed through a name-change request.",
    "last_name": "Your name can only be changed through a name-change request.",
    "candidate_id": "The candidate ID cannot be changed.",
    "program": "The program cannot be changed.",
    "ccie_number": "The CCIE number is set by CertTrack and cannot be edited.",
    "ccde_number": "The CCDE number is set by CertTrack and cannot be edited.",
}


# Any other problem with a field (a wrong format, a value out of range), in one plain sentence
# (`certtrack_shared.validation.parse(..., otherwise=NOT_VALID)`).
NOT_VALID = "This value is not valid."


# -- staff: second factor, accounts, audit ----------------------------------------
class SecondFactorEnrolment(BaseModel):
    """The TOTP secret offered at enrolment, as text and as an otpauth:// URI for a QR code."""
    secret: str
    provisioning_uri: str


class SecondFactorEnrolled(BaseModel):
    """Enrolment confirmed: the staff member, and recovery codes shown this once."""
    staff: StaffSummary
    recovery_codes: list[str]


class StaffAccount(StaffSummary):
    active: bool
    created_at: datetime
    second_factor_enrolled_at: Optional[datetime] = None
    recovery_codes_left: int = 0


class AuditEntry(_Reply):
    id: int
    recorded_at: datetime
    staff_id: int
    staff_email: str
    area: str
    action: str
    target: str
    details: dict
    client_address: Optional[str] = None


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    page: int
    pages: int
    total: int
    # Every area with the actions recorded in it, for the filters.
    areas: dict[str, list[str]] = {}
