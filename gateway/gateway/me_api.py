"""`/api/v1/me`: the candidate's own record, read and changed with a bearer token.

The candidate is always the token's; nothing in the URL or body can name
another one (the bodies forbid unknown fields, `candidate_id` included).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask import Blueprint
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from .auth import identity
from .auth.tokens import AccessToken, bearer_required, check_password_unchanged
from .openapi import api_operation

blueprint = Blueprint("me_api", __name__, url_prefix="/api/v1/me")

TAGS = ("me",)


class Address(BaseModel):
    line1: Optional[str] = None
    line2: Optional[str] = None
    city: Optional[str] = None
    region: Optional[str] = None
    postal_code: Optional[str] = None
    country: Optional[str] = Field(default=None, description="ISO 3166-1 alpha-2 code.")


class ExternalIdentity(BaseModel):
    id: int
    issuer: str
    subject: str
    email: Optional[str] = None
    linked_at: datetime


class Me(BaseModel):
    """The candidate's record. Names change only through a name-change request."""

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


class _Changes(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AddressChanges(_Changes):
    line1: Optional[str] = Field(default=None, max_length=200)
    line2: Optional[str] = Field(default=None, max_length=200)
    city: Optional[str] = Field(default=None, max_length=120)
    region: Optional[str] = Field(default=None, max_length=120)
    postal_code: Optional[str] = Field(default=None, max_length=30)
    country: Optional[str] = Field(default=None, max_length=2, description="ISO 3166-1 alpha-2 code.")


class MeChanges(_Changes):
    """Only the fields sent change; `null` clears an optional one. A new email
    takes effect once confirmed by the link mailed to it (see `pending_email`)."""

    email: Optional[EmailStr] = Field(default=None, max_length=254)
    phone: Optional[str] = Field(default=None, max_length=40)
    address: Optional[AddressChanges] = Field(default=None, description="Only the parts sent change.")
    company: Optional[str] = Field(default=None, max_length=200)
    job_title: Optional[str] = Field(default=None, max_length=200)
    preferred_language: Optional[str] = Field(default=None, max_length=40)
    netacad_id: Optional[str] = Field(default=None, max_length=60)


def _profile(candidate: AccessToken) -> dict:
    profile = identity.call("get_profile", candidate_id=candidate.candidate_id)
    check_password_unchanged(candidate, profile)
    return profile


@blueprint.get("")
@bearer_required
@api_operation(response=Me, tags=TAGS, summary="The candidate's own record.")
def get_me(candidate: AccessToken):
    return _profile(candidate)


@blueprint.patch("")
@bearer_required
@api_operation(
    request=MeChanges, response=Me, tags=TAGS,
    summary="Change the candidate's own record; identity answers 422 `invalid_profile` with `fields`.",
)
def patch_me(candidate: AccessToken, body: MeChanges):
    current = _profile(candidate)  # also refuses a token older than the last password change
    changes = body.model_dump(mode="json", exclude_unset=True)
    if not changes:
        return current
    # identity applies only what is given, address parts included, all or nothing.
    return identity.call("update_profile", candidate_id=candidate.candidate_id, changes=changes)
