"""`/api/v1/me`: the candidate's own record, read and changed with a bearer token.

The candidate is always the token's; nothing in the URL or body can name
another one (the bodies forbid unknown fields, `candidate_id` included).
"""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, request
from pydantic import EmailStr, Field

from certtrack_shared.interfaces.identity import CandidateRecord, ProfileChanges, Request

from ..auth import credentials, tokens
from ..auth.schemas import TokenResponse
from ..auth.tokens import AccessToken, bearer_required
from ..openapi import api_operation
from ..schemas import ErrorResponse
from . import client

blueprint = Blueprint("me_api", __name__, url_prefix="/api/v1/me")

TAGS = ("me",)


class MeChanges(ProfileChanges):
    """Only the fields sent change; `null` clears an optional one. A new email
    takes effect once confirmed by the link mailed to it (see `pending_email`);
    changing it needs `current_password`, unless the token is less than 5
    minutes old (decision 0018)."""

    current_password: Optional[str] = Field(
        default=None, max_length=1024, json_schema_extra={"format": "password", "writeOnly": True},
        description="Proof it is the candidate, for an email change (not stored, never answered).")
    email: Optional[EmailStr] = Field(default=None, max_length=254)


def _profile(candidate: AccessToken) -> dict:
    return client.get_profile(candidate_id=candidate.candidate_id)


@blueprint.get("")
@bearer_required
@api_operation(response=CandidateRecord, tags=TAGS, summary="The candidate's own record.")
def get_me(candidate: AccessToken):
    return _profile(candidate)


@blueprint.patch("")
@bearer_required
@api_operation(
    request=MeChanges, response=CandidateRecord, tags=TAGS,
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


class PasswordChange(Request):
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
