"""Every error the gateway can answer with: one table from error type to
HTTP status and stable code, and the two ways it is shown.

The API (`/api/…`) always answers the JSON shape of CONTRACTS.md §5; a
person in a browser gets a page in words. Neither ever shows a stack trace:
unexpected errors are logged here and answered with a plain 500.

A domain error raised by a service reaches the gateway as a nameko
`RemoteError` whose `exc_type` is the class name, so services' errors are
keyed by that name; add a line to `ERRORS` when a service grows a new one.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field, replace

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from nameko.exceptions import RemoteError
from pydantic import ValidationError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)

from .access_log import redact_path

log = logging.getLogger(__name__)

API_PREFIX = "/api/"


class GatewayError(Exception):
    """An error the gateway itself raises; its answer comes from `ERRORS`."""


class MalformedJson(GatewayError):
    """The request body is not JSON at all."""


class InvalidRequestBody(GatewayError):
    """The body is JSON but does not fit the operation's request model."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("invalid request body")
        self.fields = fields

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> "InvalidRequestBody":
        fields: dict[str, str] = {}
        for problem in error.errors(include_url=False):
            path = ".".join(str(part) for part in problem["loc"]) or "body"
            fields[path] = f"{fields[path]}; {problem['msg']}" if path in fields else problem["msg"]
        return cls(fields)


class CardDataRefused(GatewayError):
    """A request carried card details: CertTrack takes only the processor's token (decision 0017)."""


class ServiceUnreachable(GatewayError):
    """The broker or the service behind it cannot be reached right now."""


class ServiceTimeout(GatewayError):
    """A service did not answer within the RPC timeout."""


class ServiceAnswerMalformed(GatewayError):
    """A service's HTTP answer was not one the gateway can pass on (not HTTP, too large)."""


class StaffOnly(GatewayError):
    """A staff page asked for from a candidate's session."""


class AdminOnly(GatewayError):
    """A staff page for administrators asked for by a staff member of another role."""


class NotAuthenticated(GatewayError):
    """An API operation for candidates was called without `Authorization: Bearer …`."""


class InvalidAccessToken(GatewayError):
    """The bearer token is forged, malformed, expired or predates a password change."""


class VendorKeyRequired(GatewayError):
    """`POST /api/v1/vendor/events` without `Authorization: Bearer <vendor API key>`."""


class VendorKeyNotAccepted(GatewayError):
    """The vendor API key is unknown, malformed or revoked (one answer for all three)."""


class VendorKeyExpired(GatewayError):
    """The vendor API key is past its expiry (told apart: only its holder can ask)."""


class VendorMismatch(GatewayError):
    """The body's `vendor` is not the vendor the API key belongs to."""


class ProgramNotInKeyScope(GatewayError):
    """The body's `program` is not one of the API key's programs; `fields` names them."""

    def __init__(self, programs: list[str]):
        super().__init__("program not in the key's scope")
        self.fields = {"program": f"This API key may post messages for: {', '.join(programs)}."}


@dataclass(frozen=True)
class Problem:
    status: int
    code: str
    title: str
    message: str
    fields: dict[str, str] = field(default_factory=dict)


INTERNAL_ERROR = Problem(
    500, "internal_error", "Something went wrong",
    "Something went wrong on our side. It has been logged; please try again later.",
)

ERRORS: dict[type[Exception] | str, Problem] = {
    # The request itself.
    MalformedJson: Problem(400, "malformed_json", "Malformed request", "The request body is not valid JSON."),
    CSRFError: Problem(
        400, "form_expired", "This form has expired",
        "The form was open too long or was sent from another site. Go back, reload the page and try again.",
    ),
    BadRequest: Problem(400, "bad_request", "Bad request", "The request could not be understood."),
    NotFound: Problem(404, "not_found", "Page not found", "There is nothing at this address."),
    MethodNotAllowed: Problem(
        405, "method_not_allowed", "Method not allowed", "This address does not accept that method."
    ),
    RequestEntityTooLarge: Problem(
        413, "payload_too_large", "Request too large", "The request body is too large."
    ),
    UnsupportedMediaType: Problem(
        415, "unsupported_media_type", "Unsupported media type", "Send the request body as application/json."
    ),
    InvalidRequestBody: Problem(
        422, "validation_failed", "Invalid request", "Some fields are missing or invalid."
    ),
    CardDataRefused: Problem(
        422, "card_data_not_accepted", "Card details are not accepted",
        "CertTrack never receives card numbers or security codes. Send the card to the payment processor "
        "(the checkout page does it from the browser) and pass the `pm_…` token it answers as `payment_method`. "
        "Nothing was charged and the card was not kept.",
    ),
    # The services behind the gateway.
    ServiceUnreachable: Problem(
        503, "service_unavailable", "CertTrack is temporarily unavailable",
        "Part of CertTrack cannot be reached right now. Please try again in a moment.",
    ),
    ServiceTimeout: Problem(
        504, "service_timeout", "CertTrack is taking too long",
        "CertTrack did not answer in time. Please try again in a moment.",
    ),
    ServiceAnswerMalformed: Problem(
        502, "bad_gateway", "CertTrack could not complete this request",
        "Part of CertTrack answered in a way the site cannot show. Please try again in a moment.",
    ),
    StaffOnly: Problem(
        403, "staff_only", "Staff only",
        "This page is for CertTrack staff. You are logged in as a candidate; "
        "staff sign in separately, after logging out.",
    ),
    AdminOnly: Problem(
        403, "admin_only", "Administrators only",
        "This part of the staff console is for CertTrack administrators. "
        "Ask an administrator if something here needs doing.",
    ),
    NotAuthenticated: Problem(
        401, "not_authenticated", "Not logged in",
        "This operation needs an access token: send `Authorization: Bearer <token>`, "
        "the token coming from POST /api/v1/auth/token.",
    ),
    InvalidAccessToken: Problem(
        401, "invalid_token", "Access token not accepted",
        "The access token is invalid or has expired. Get a new one from POST /api/v1/auth/token.",
    ),
    # Domain errors of the services, by RemoteError.exc_type.
    # identity (services/identity/identity/exceptions.py, docs/decisions/0003-identity.md):
    "InvalidCredentials": Problem(
        # One message whether the login is unknown or the password wrong (CONTRACTS.md §5).
        401, "invalid_credentials", "Login failed", "The login or the password is not correct.",
    ),
    "TooManyAttempts": Problem(
        # Failed logins, or score reports that matched nothing (the page says which).
        429, "too_many_attempts", "Too many attempts",
        "Too many failed attempts. Wait a few minutes, then try again.",
    ),
    "CandidateNotFound": Problem(
        404, "candidate_not_found", "Candidate not found", "There is no candidate record with this candidate ID.",
    ),
    # Also what a candidate gets for another's ticket or SSO account: it "does not exist".
    "NotFound": Problem(404, "not_found", "Not found", "There is nothing with that ID here."),
    "InvalidProfile": Problem(
        422, "invalid_profile", "Some details are not valid",
        "Some of the details entered are missing or not valid. Check them and try again.",
    ),
    "EmailTaken": Problem(
        409, "email_taken", "Email address in use",
        "Another candidate record already uses this email address.",
    ),
    "LinkTokenInvalid": Problem(
        410, "link_token_invalid", "This link no longer works",
        "This link has expired, has already been used or is not valid. Ask for a new one.",
    ),
    "WeakPassword": Problem(
        422, "weak_password", "Choose another password",
        "Choose a password of at least 12 characters that does not contain your candidate ID "
        "or email address.",
    ),
    "ScoreReportNotMatched": Problem(
        404, "score_report_not_matched", "No matching score report",
        "No exam matches that last name and registration number. Check both against your score report.",
    ),
    "EmailBelongsToAnotherCandidate": Problem(
        409, "email_belongs_to_another_candidate", "Email address in use",
        "This email address belongs to another candidate record. Nothing was changed: "
        "a support ticket is needed to sort this out.",
    ),
    "InvalidDocument": Problem(
        422, "invalid_document", "Document not accepted",
        "The document must be a PDF, JPEG or PNG file of at most 5 MiB.",
    ),
    "CannotUnlinkLastLogin": Problem(
        409, "cannot_unlink_last_login", "Cannot unlink your only login",
        "This is your only way to log in. Set a password first, then unlink it.",
    ),
    "ReauthenticationRequired": Problem(
        422, "reauthentication_required", "Confirm it is you",
        "Enter your current password (or log in again) to make this change.",
    ),
    "ExternalIdentityTaken": Problem(
        409, "external_identity_taken", "Account connected elsewhere",
        "This single sign-on account is already connected to another candidate record.",
    ),
    # identity, staff side (the staff console, gateway/staff/):
    "NotAuthorized": Problem(
        403, "not_authorized", "Not allowed",
        "Your staff account is not active or may not do this. Ask an administrator.",
    ),
    "TicketAlreadyDecided": Problem(
        409, "ticket_already_decided", "Ticket already decided",
        "This ticket was approved or rejected already; nothing was changed.",
    ),
    "InvalidDecision": Problem(
        422, "invalid_decision", "Decision not applied",
        "Choose approve, or reject with a reason for the candidate.",
    ),
    # exams, exam agreements (services/exams/exams/exceptions.py):
    "AgreementVersionNotCurrent": Problem(
        409, "agreement_version_not_current", "A newer exam agreement was published",
        "That is not the current version of the exam agreement. Read the current version and accept it.",
    ),
    "AgreementNotFound": Problem(
        404, "agreement_not_found", "No exam agreement", "Your program has no exam agreement to accept.",
    ),
    "InvalidAgreement": Problem(
        422, "invalid_agreement", "Exam agreement not valid",
        "Some of the exam agreement's details are missing or not valid; `fields` says which.",
    ),
    # certs (services/certs/certs/exceptions.py):
    "CertificationNotFound": Problem(
        404, "certification_not_found", "Certification not found",
        "There is no certification with that ID in your program.",
    ),
    "CertificateNotFound": Problem(
        404, "certificate_not_found", "Certificate not found",
        "No certificate has this code. Check the code printed on the certificate.",
    ),
    "ActivityNotFound": Problem(
        404, "activity_not_found", "Activity not found", "There is no continuing-education activity with that ID.",
    ),
    "CredentialNotFound": Problem(
        404, "credential_not_found", "Credential not found",
        "There is no such digital credential. Check the link you were given.",
    ),
    "CertificationNotActive": Problem(
        409, "certification_not_active", "This certification is not active",
        "Logos and certificates can only be downloaded for an active certification.",
    ),
    "AgreementRequired": Problem(
        409, "agreement_required", "Accept the certification agreement first",
        "Before downloading a logo or a certificate, read and accept the current certification agreement "
        "on your Certifications page (or POST /api/v1/me/certification-agreement).",
    ),
    "AgreementVersionMismatch": Problem(
        409, "agreement_version_mismatch", "A newer certification agreement was published",
        "That is not the current version of the certification agreement. Read the current version and accept it.",
    ),
    "InvalidSubmission": Problem(
        422, "invalid_submission", "Activity not submitted",
        "Some details of the activity are missing or not valid; `fields` says which.",
    ),
    "ActivityAlreadyReviewed": Problem(
        409, "activity_already_reviewed", "Activity already reviewed",
        "This activity was approved or rejected already, perhaps by a colleague; nothing was changed.",
    ),
    "InvalidReview": Problem(
        422, "invalid_review", "Review not recorded",
        "Approve with a number of credits, or reject with a reason for the candidate.",
    ),
    "InvalidRequest": Problem(
        422, "invalid_request", "Invalid request", "Some details are missing or not valid; `fields` says which.",
    ),
    "CatalogInvalid": Problem(
        422, "catalog_invalid", "Catalog not loaded",
        "The changed catalog did not validate, so the previous one stays in use.",
    ),
    # The vendor endpoint, POST /api/v1/vendor/events (gateway/gateway/vendor/api.py):
    VendorKeyRequired: Problem(
        401, "vendor_key_required", "Vendor API key required",
        "Send the vendor API key CertTrack staff gave you as `Authorization: Bearer <key>`.",
    ),
    VendorKeyNotAccepted: Problem(
        401, "invalid_vendor_key", "Vendor API key not accepted",
        "The vendor API key is not valid or has been revoked. Ask CertTrack staff for a new one.",
    ),
    VendorKeyExpired: Problem(
        401, "vendor_key_expired", "Vendor API key expired",
        "The vendor API key has expired. Ask CertTrack staff for a new one.",
    ),
    VendorMismatch: Problem(
        403, "vendor_mismatch", "Not this vendor's message",
        "The message's `vendor` is not the vendor this API key belongs to.",
    ),
    ProgramNotInKeyScope: Problem(
        403, "program_not_in_key_scope", "Not a program of this key",
        "The message's `program` is not one of the programs this API key may post messages for.",
    ),
    # exams, vendor API keys (staff console, services/exams/exams/exceptions.py):
    "InvalidVendorKey": Problem(
        401, "invalid_vendor_key", "Vendor API key not accepted",
        "The vendor API key is not valid or has been revoked. Ask CertTrack staff for a new one.",
    ),
    "VendorKeyNotFound": Problem(404, "vendor_key_not_found", "No such vendor key", "There is no vendor key with that ID."),
    "InvalidVendorKeyRequest": Problem(
        422, "invalid_vendor_key_request", "Vendor key not created",
        "Some of the vendor key's details are missing or not valid; `fields` says which.",
    ),
    # A key past its expiry (the vendor API answers it first, as VendorKeyExpired of this module).
    "VendorKeyExpired": Problem(
        401, "vendor_key_expired", "Vendor key expired",
        "This vendor key has expired. Ask CertTrack staff for a new one.",
    ),
    # exams, vendors' broker users (services/exams/exams/handlers/vendor_senders.py, decision 0016):
    "VendorSenderNotFound": Problem(
        404, "vendor_sender_not_found", "No such broker user", "No broker user of that name is registered.",
    ),
    "InvalidVendorSenderRequest": Problem(
        422, "invalid_vendor_sender_request", "Broker user not registered",
        "Some of the broker user's details are missing or not valid; `fields` says which.",
    ),
    # transcripts (services/transcripts/transcripts/exceptions.py, docs/decisions/0006-transcripts.md);
    # a wrong access code is the same 404 as an unknown transcript (CONTRACTS.md §5):
    "TranscriptNotFound": Problem(
        404, "transcript_not_found", "Transcript not found",
        "No transcript matches this code and access code.",
    ),
    "TranscriptInactive": Problem(
        410, "transcript_inactive", "Transcript no longer available",
        "This transcript has expired or was deactivated by its owner.",
    ),
    "InvalidTranscript": Problem(
        422, "invalid_transcript", "Transcript not saved",
        "Some of the transcript's details are missing or not valid; `fields` says which.",
    ),
    # Dead letters of every consuming service (lib/certtrack_shared/deadletters/):
    "DeadLetterNotFound": Problem(
        404, "dead_letter_not_found", "No such dead letter", "There is no dead letter with that ID.",
    ),
    "DeadLetterAlreadyResolved": Problem(
        409, "dead_letter_already_resolved", "Dead letter already resolved",
        "This message was replayed or discarded already, perhaps by a colleague; nothing was changed.",
    ),
    "InvalidDeadLetterCorrection": Problem(
        422, "invalid_dead_letter_correction", "The message cannot be replayed",
        "The message still fails its contract, or its event_id was changed; nothing was sent.",
    ),
    "InvalidDeadLetterRequest": Problem(
        422, "invalid_dead_letter_request", "Not done",
        "Some of the details are missing or not valid; `fields` says which.",
    ),
    # fulfillment (services/fulfillment/fulfillment/exceptions.py, docs/decisions/0007-fulfillment.md):
    "InvalidOrder": Problem(
        422, "invalid_order", "Order not placed",
        "Some of the order's details (items, address, card) are missing or not valid; `fields` says which.",
    ),
    "PaymentDeclined": Problem(
        402, "payment_declined", "Payment declined",
        "The card was not accepted; `fields.card` says why. No order was placed and nothing was charged.",
    ),
    "PaymentUnavailable": Problem(
        503, "payment_unavailable", "Payment processor unavailable",
        "The payment processor did not answer, so no order was placed. Try again in a moment with the same "
        "`idempotency_key`: it never charges twice.",
    ),
    "TooManyDeclinedPayments": Problem(
        # The card-testing limit (docs/decisions/0014-card-testing-limits.md); `Retry-After` says when.
        429, "too_many_declined_payments", "Too many declined payments",
        "Too many payments were declined lately for this account or from this network, so checkout is paused "
        "to protect cardholders. Nothing was charged. Try again after the time in `Retry-After` (seconds).",
    ),
    "OrderNotFound": Problem(404, "order_not_found", "No such order", "There is no order with that number here."),
    "OrderNotCancellable": Problem(
        409, "order_not_cancellable", "Order can no longer be cancelled",
        "Only an order that has not shipped yet can be cancelled.",
    ),
    "RefundNotAllowed": Problem(
        409, "refund_not_allowed", "Not refunded",
        "Only a cancelled or rejected paid order is refunded, once.",
    ),
    "InvalidStatusCorrection": Problem(
        422, "invalid_status_correction", "Status not corrected",
        "Choose a status and give a reason; `fields` says what is missing.",
    ),
}

# Remote errors whose detail maps request fields to messages (identity's FieldError).
REMOTE_FIELD_ERRORS = frozenset({
    "InvalidOrder", "PaymentDeclined", "PaymentUnavailable", "InvalidStatusCorrection",
    "InvalidProfile", "EmailTaken", "WeakPassword", "EmailBelongsToAnotherCandidate", "InvalidDocument",
    "ReauthenticationRequired", "InvalidDecision", "InvalidAgreement",
    "InvalidVendorKeyRequest", "InvalidVendorSenderRequest", "InvalidDeadLetterCorrection",
    "InvalidDeadLetterRequest",
    "InvalidTranscript",
    "InvalidSubmission", "InvalidReview", "InvalidRequest",
})


def remote_detail(error: RemoteError) -> dict:
    """The JSON object a service put in its error (`str(exc)`), or {} if it sent none.

    Services keep secrets out of it; it is read, never logged by this module
    beyond what `_log` already records for unmapped errors.
    """
    try:
        detail = json.loads(error.value) if isinstance(error.value, str) else error.value
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}


def refused(error: BaseException, *exc_types: str) -> bool:
    """True when `error` is a service's answer of one of these domain error types (by name:
    the gateway imports no service's exception classes)."""
    return isinstance(error, RemoteError) and error.exc_type in exc_types


def field_errors(error: RemoteError) -> dict[str, str]:
    """A field error's `{field: message}` (nested fields dotted: `address.city`)."""
    return {str(key): str(value) for key, value in remote_detail(error).items()}


def problem_for(error: Exception) -> Problem:
    if isinstance(error, RemoteError):
        problem = ERRORS.get(error.exc_type)
        if problem is None:
            return INTERNAL_ERROR
        if error.exc_type in REMOTE_FIELD_ERRORS:
            # certs' field errors also carry their `message`, which is not a field.
            fields = {str(key): str(value) for key, value in remote_detail(error).items() if key != "message"}
            return replace(problem, fields=fields) if fields else problem
        return problem
    for kind in type(error).__mro__:
        problem = ERRORS.get(kind)
        if problem is not None:
            if isinstance(error, (InvalidRequestBody, ProgramNotInKeyScope)):
                return replace(problem, fields=error.fields)
            return problem
    if isinstance(error, HTTPException) and error.code:
        # An HTTP error nobody listed yet (401, 429, …) keeps its status and
        # gets a code derived from its standard name.
        code = re.sub(r"[^a-z0-9]+", "_", (error.name or "error").lower()).strip("_")
        return Problem(error.code, code, error.name, error.description or error.name)
    return INTERNAL_ERROR


def install(app: Flask) -> None:
    app.register_error_handler(Exception, render_error)


def render_error(error: Exception):
    problem = problem_for(error)
    _log(error, problem)
    headers = _kept_headers(error)
    if _wants_json():
        body = {"error": {"code": problem.code, "message": problem.message, "fields": problem.fields}}
        return jsonify(body), problem.status, headers
    return render_template("error.html", problem=problem), problem.status, headers


def _wants_json() -> bool:
    if request.path.startswith(API_PREFIX):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _kept_headers(error: Exception) -> dict[str, str]:
    # A 405 must still say which methods are allowed; Werkzeug's other
    # headers describe its own HTML body, which is not sent.
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        return {"Allow": ", ".join(error.valid_methods)}
    if isinstance(error, (NotAuthenticated, InvalidAccessToken)):
        return {"WWW-Authenticate": 'Bearer realm="CertTrack API"'}
    if isinstance(error, (VendorKeyRequired, VendorKeyNotAccepted, VendorKeyExpired)):
        return {"WWW-Authenticate": 'Bearer realm="CertTrack vendor API"'}
    if isinstance(error, RemoteError) and error.exc_type in RETRY_LATER:
        return retry_after(error)
    return {}


# Remote errors whose detail says when to try again (`retry_after_seconds`).
RETRY_LATER = frozenset({"TooManyAttempts", "TooManyDeclinedPayments"})


def retry_after(error: RemoteError) -> dict[str, str]:
    """The `Retry-After` header of a refusal that says when to try again, or none."""
    seconds = remote_detail(error).get("retry_after_seconds")
    return {"Retry-After": str(seconds)} if isinstance(seconds, int) and seconds > 0 else {}


def try_again_in(what: str, error: RemoteError) -> str:
    """`what` and, in words, when to try again (from the refusal's `retry_after_seconds`)."""
    seconds = remote_detail(error).get("retry_after_seconds")
    if isinstance(seconds, int) and seconds > 0:
        minutes = max(1, -(-seconds // 60))
        unit = "minute" if minutes == 1 else "minutes"
        return f"{what} Try again in {minutes} {unit}."
    return f"{what} Wait a while, then try again."


def _log(error: Exception, problem: Problem) -> None:
    where = f"{request.method} {redact_path(request.path)}"
    if problem is INTERNAL_ERROR:
        if isinstance(error, RemoteError):
            log.error("Unmapped service error on %s: %s: %s", where, error.exc_type, error.value)
        else:
            log.error("Unhandled error on %s", where, exc_info=error)
    elif problem.status >= 500:
        log.warning("%s on %s: %s", problem.code, where, error)
