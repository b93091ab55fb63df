"""`/api/v1/auth/*`: access tokens, first-time login and password recovery without a browser.

The mail-sending operations answer 202 with the same body whether or not the
address belongs to a candidate (identity takes the same path for both).
"""
from __future__ import annotations

from flask import Blueprint, request

from ..openapi import api_operation
from ..schemas import ErrorResponse
from . import client, tokens
from .schemas import (
    Accepted,
    EmailRequest,
    ScoreReportRequest,
    ScoreReportSent,
    SetPasswordRequest,
    TokenRequest,
    TokenResponse,
)

blueprint = Blueprint("auth_api", __name__, url_prefix="/api/v1/auth")

TAGS = ("auth",)
SENT_IF_KNOWN = (
    "If this address belongs to a candidate, a message is on its way to it. "
    "Links in it work once and expire."
)


@blueprint.post("/token")
@api_operation(
    request=TokenRequest, response=TokenResponse, tags=TAGS,
    summary="Exchange a candidate ID or email and the password for an access token.",
    other_responses={
        401: (ErrorResponse, "`invalid_credentials`: the same answer for an unknown login and a wrong password."),
        429: (ErrorResponse, "`too_many_attempts`: too many failures; `Retry-After` says when to try again."),
    },
)
def token(body: TokenRequest):
    candidate = client.authenticate(login=body.login.strip(), password=body.password, client_address=request.remote_addr or "",
    )
    return TokenResponse(access_token=tokens.issue(candidate), token_type="bearer", expires_in=tokens.LIFETIME_SECONDS)


@blueprint.post("/first-time")
@api_operation(
    request=EmailRequest, response=Accepted, status=202, tags=TAGS,
    summary="First-time login: mail a link (`<site>/first-time/<token>`) that sets the password.",
)
def first_time(body: EmailRequest):
    client.start_first_time_by_email(email=str(body.email))
    return Accepted(message=SENT_IF_KNOWN)


@blueprint.post("/first-time/score-report")
@api_operation(
    request=ScoreReportRequest, response=ScoreReportSent, status=202, tags=TAGS,
    summary="First-time login by score report: on a match, make `new_email` the record's address "
    "and mail the set-password link there.",
    other_responses={
        404: (ErrorResponse, "`score_report_not_matched`: no exam has this last name and registration number."),
        409: (ErrorResponse, "`email_belongs_to_another_candidate`: nothing changed; a support ticket is needed."),
        429: (ErrorResponse, "`too_many_attempts`: too many reports that matched nothing; `Retry-After` says when "
                             "to try again."),
    },
)
def first_time_by_score_report(body: ScoreReportRequest):
    answer = client.start_first_time_by_score_report(last_name=body.last_name,
        registration_number=body.registration_number, new_email=str(body.new_email),
        client_address=request.remote_addr or "",
    )
    return ScoreReportSent(
        message="The score report matched: the link to set the password is on its way to the new address.",
        sent_to=answer["sent_to"],
    )


@blueprint.post("/forgot-password")
@api_operation(
    request=EmailRequest, response=Accepted, status=202, tags=TAGS,
    summary="Forgotten password: mail a reset link (`<site>/reset-password/<token>`).",
)
def forgot_password(body: EmailRequest):
    client.request_password_reset(login=str(body.email))
    return Accepted(message=SENT_IF_KNOWN)


@blueprint.post("/forgot-candidate-id")
@api_operation(
    request=EmailRequest, response=Accepted, status=202, tags=TAGS,
    summary="Forgotten candidate ID: mail it to the address on file.",
)
def forgot_candidate_id(body: EmailRequest):
    client.remind_candidate_id(email=str(body.email))
    return Accepted(message=SENT_IF_KNOWN)


@blueprint.post("/password")
@api_operation(
    request=SetPasswordRequest, status=204, tags=TAGS,
    summary="Set the password with the token of a first-time or reset-password link (works once).",
    other_responses={
        410: (ErrorResponse, "`link_token_invalid`: the token is unknown, expired or was used already."),
    },
)
def set_password(body: SetPasswordRequest):
    complete = {client.FIRST_TIME: client.complete_first_time, client.PASSWORD_RESET: client.reset_password}
    reasons = {}
    for purpose, complete_with in complete.items():
        found = client.inspect_link_token(token=body.token, purpose=purpose)
        if found["valid"]:
            complete_with(token=body.token, password=body.password)
            return None
        reasons[purpose] = found.get("reason")
    # Usable as neither: let identity refuse it, as the kind it was if it was one
    # (so a used reset link says "used", not "unknown").
    purpose = next((purpose for purpose, reason in reasons.items() if reason != "unknown"), client.FIRST_TIME)
    complete[purpose](token=body.token, password=body.password)
    return None  # identity refuses an unusable token, so this is not reached
