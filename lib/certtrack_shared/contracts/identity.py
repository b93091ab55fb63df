"""Events the identity service publishes on `identity.events`."""
from __future__ import annotations

from typing import ClassVar, Literal, Optional

from pydantic import EmailStr, Field

from certtrack_shared.contracts.internal import InternalEvent

CandidateId = Field(min_length=4, max_length=20)


class CandidateRegisteredV1(InternalEvent):
    """A candidate record was created (from a vendor report or by staff)."""

    event_type: ClassVar[str] = "candidate_registered"
    schema_version: Literal[1]
    candidate_id: str = CandidateId
    program: str
    first_name: str
    last_name: str
    email: EmailStr
    source: Literal["vendor", "staff"]


class RegistrationLinkedV1(InternalEvent):
    """A vendor registration number now belongs to a candidate (exams attaches sittings)."""

    event_type: ClassVar[str] = "registration_linked"
    schema_version: Literal[1]
    vendor: str
    registration_number: str
    candidate_id: str = CandidateId


class CandidateProfileUpdatedV1(InternalEvent):
    """The candidate's personal information changed; `changed` names the fields."""

    event_type: ClassVar[str] = "candidate_profile_updated"
    schema_version: Literal[1]
    candidate_id: str = CandidateId
    changed: list[str]
    first_name: str
    last_name: str
    email: EmailStr
    country: Optional[str] = None


class ExternalIdentityLinkedV1(InternalEvent):
    event_type: ClassVar[str] = "external_identity_linked"
    schema_version: Literal[1]
    candidate_id: str = CandidateId
    issuer: str
    subject: str
