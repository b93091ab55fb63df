"""Request and reply bodies of `/api/v1/auth/*` (they make the OpenAPI document)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

_Email = Field(max_length=254, description="The email address on the candidate record.")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TokenRequest(BaseModel):
    # Not stripped: spaces at either end are part of a password (the login is stripped by the view).
    model_config = ConfigDict(extra="forbid")

    login: str = Field(min_length=1, max_length=254, description="Candidate ID (e.g. `CSCO10000001`) or email address.")
    password: str = Field(min_length=1, max_length=1024, json_schema_extra={"format": "password"})


class TokenResponse(BaseModel):
    access_token: str = Field(description="Send it as `Authorization: Bearer <access_token>`.")
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Seconds the token stays valid.")


class EmailRequest(_Body):
    email: EmailStr = _Email


class ScoreReportRequest(_Body):
    last_name: str = Field(min_length=1, max_length=120, description="The last name on the score report.")
    registration_number: str = Field(min_length=1, max_length=60, description="The score report's registration number.")
    new_email: EmailStr = Field(
        max_length=254, description="Becomes the record's email address; the set-password link goes there.",
    )


class ScoreReportSent(BaseModel):
    """The score report matched: the record's email is now `new_email`, and the link is on its way."""

    message: str
    sent_to: str = Field(description="The address the link went to, masked (`j******e@example.com`).")


class SetPasswordRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200, description="The token of a first-time or reset-password link.")
    password: str = Field(
        min_length=1, max_length=128, json_schema_extra={"format": "password"},
        description="12 to 128 characters, not one of the 100,000 most common passwords, not "
        "containing the candidate ID or email address (decision 0020).",
    )


class Accepted(BaseModel):
    """The request was taken; the answer is the same whether or not the address is known."""

    message: str
