"""The identity service's published RPC models (services/identity/identity/schemas.py
re-exports them): a candidate's record, and the changes a candidate may make to it.

The field descriptions are those of the gateway's API documentation (/api/v1/openapi.json).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field


class Reply(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Request(BaseModel):
    """A request: unknown fields refused, text stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# -- replies ------------------------------------------------------------------
class Address(Reply):
    line1: Optional[str] = None
    line2: Optional[str] = None
    city: Optional[str] = None
    region: Optional[str] = None
    postal_code: Optional[str] = None
    country: Optional[str] = Field(default=None, description="ISO 3166-1 alpha-2 code.")


class ExternalIdentity(Reply):
    id: int
    issuer: str
    subject: str
    email: Optional[str] = None
    linked_at: datetime


class CandidateRecord(Reply):
    """The candidate's record as the candidate sees it. Names change only through a
    name-change request."""

    candidate_id: str = Field(description="E.g. `CSCO10000001`: the program's prefix and 8 digits.")
    program: str
    first_name: str
    last_name: str
    email: str
    pending_email: Optional[str] = Field(default=None, description="A new address waiting for its confirmation link.")
    has_password: bool
    phone: Optional[str] = None
    address: Address
    company: Optional[str] = None
    job_title: Optional[str] = None
    preferred_language: Optional[str] = None
    netacad_id: Optional[str] = None
    ccie_number: Optional[str] = Field(default=None, description="Read-only.")
    ccde_number: Optional[str] = Field(default=None, description="Read-only.")
    external_identities: list[ExternalIdentity] = []


class CandidateProfile(CandidateRecord):
    """The record as identity answers it: with the bookkeeping of its credentials."""

    password_changed_at: Optional[datetime] = None
    # Sessions and tokens carry it; a credential change moves it on.
    credential_version: int = 0


# -- requests -----------------------------------------------------------------
class AddressChanges(Request):
    line1: Optional[str] = Field(default=None, max_length=200)
    line2: Optional[str] = Field(default=None, max_length=200)
    city: Optional[str] = Field(default=None, max_length=120)
    region: Optional[str] = Field(default=None, max_length=120)
    postal_code: Optional[str] = Field(default=None, max_length=30)
    country: Optional[str] = Field(
        default=None, max_length=60,
        description="ISO 3166-1 alpha-2 code, in any case (`us` is kept as `US`); identity refuses any other "
                    "value with `invalid_profile`.")


class ProfileChanges(Request):
    """What a candidate may change; names and numbers are not in it."""

    email: Optional[str] = Field(default=None, max_length=254)
    phone: Optional[str] = Field(default=None, max_length=40)
    address: Optional[AddressChanges] = Field(default=None, description="Only the parts sent change.")
    company: Optional[str] = Field(default=None, max_length=200)
    job_title: Optional[str] = Field(default=None, max_length=200)
    preferred_language: Optional[str] = Field(default=None, max_length=40)
    netacad_id: Optional[str] = Field(default=None, max_length=60)
