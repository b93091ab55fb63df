"""`/api/v1/me`: the candidate's own record, read and changed with a bearer token.

The candidate is always the token's; nothing in the URL or body can name
another one (the bodies forbid unknown fields, `candidate_id` included).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from ..auth import credentials, tokens
from ..auth.schemas import TokenResponse
from ..auth.tokens import AccessToken, bearer_required
from ..openapi import api_operation
from ..schemas import ErrorResponse
from . import client

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
    takes effect once confirmed by the link mailed to it (see `pending_email`);
    changing it needs `current_password`, unless the token is less than 5
    minutes old (decision 0018)."""

    current_password: Optional[str] = Field(
        default=None, max_length=1024, json_schema_extra={"format": "password", "writeOnly": True},
        description="Proof it is the candidate, for an email change (not stored, never answered).")
    email: Optional[EmailStr] = Field(default=None, max_length=254)
    phone: Optional[str] = Field(default=None, max_length=40)
    address: Optional[AddressChanges] = Field(default=None, description="Only the parts sent change.")
    company: Optional[str] = Field(default=None, max_length=200)
    job_title: Optional[str] = Field(default=None, max_length=200)
    preferred_language: Optional[str] = Field(default=None, max_length=40)
    netacad_id: Optional[str] = Field(default=None, max_length=60)


def _profile(candidate: AccessToken) -> dict:
    return client.get_profile(candidate_id=candidate.candidate_id)


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
    changes = body.model_dump(mode="json", exclude_unset=True)
    current_password = changes.pop("current_password", None)
    if not changes:
        return _profile(candidate)
    # identity applies only what is given, address parts included, all or nothing.
    return client.update_profile(candidate_id=candidate.candidate_id, changes=changes,
                                 current_password=current_password,
                                 recently_logged_in=candidate.recently_logged_in,
                                 client_address=request.remote_addr or "")


class PasswordChange(_Changes):
    current_password: Optional[str] = Field(
        default=None, max_length=1024, json_schema_extra={"format": "password", "writeOnly": True},
        description="Not needed with a token less than 5 minutes old.")
    new_password: str = Field(min_length=1, max_length=128, json_schema_extra={"format": "password"},
                              description="As for `/api/v1/auth/password` (decision 0020).")


@blueprint.post("/password")
@bearer_required
@api_operation(
    request=PasswordChange, response=TokenResponse, tags=TAGS,
    summary="Change the password. Every other token and session of the candidate ends; the "
    "answer is a new token for this client.",
    other_responses={
        422: (ErrorResponse, "`reauthentication_required` (`fields.current_password`: give the "
              "current password) or `weak_password` (`fields.password`)."),
        429: (ErrorResponse, "`too_many_attempts`: too many wrong current passwords."),
    },
)
def change_password(candidate: AccessToken, body: PasswordChange):
    changed = client.change_password(candidate_id=candidate.candidate_id,
                                     new_password=body.new_password, current_password=body.current_password,
                                     recently_logged_in=candidate.recently_logged_in,
                                     client_address=request.remote_addr or "")
    credentials.changed(candidate.candidate_id)
    return TokenResponse(access_token=tokens.issue(changed), token_type="bearer",
                         expires_in=tokens.LIFETIME_SECONDS)
