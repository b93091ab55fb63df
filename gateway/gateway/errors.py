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

import logging
import re
from dataclasses import dataclass, field

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


class ServiceUnreachable(GatewayError):
    """The broker or the service behind it cannot be reached right now."""


class ServiceTimeout(GatewayError):
    """A service did not answer within the RPC timeout."""


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
    # The services behind the gateway.
    ServiceUnreachable: Problem(
        503, "service_unavailable", "CertTrack is temporarily unavailable",
        "Part of CertTrack cannot be reached right now. Please try again in a moment.",
    ),
    ServiceTimeout: Problem(
        504, "service_timeout", "CertTrack is taking too long",
        "CertTrack did not answer in time. Please try again in a moment.",
    ),
    # Domain errors of the services, by RemoteError.exc_type, e.g.
    # "CandidateNotFound": Problem(404, "candidate_not_found", "Candidate not found", "…"),
}


def problem_for(error: Exception) -> Problem:
    if isinstance(error, RemoteError):
        problem = ERRORS.get(error.exc_type)
        return problem if problem is not None else INTERNAL_ERROR
    for kind in type(error).__mro__:
        problem = ERRORS.get(kind)
        if problem is not None:
            if isinstance(error, InvalidRequestBody):
                return Problem(problem.status, problem.code, problem.title, problem.message, error.fields)
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
    return {}


def _log(error: Exception, problem: Problem) -> None:
    where = f"{request.method} {redact_path(request.path)}"
    if problem is INTERNAL_ERROR:
        if isinstance(error, RemoteError):
            log.error("Unmapped service error on %s: %s: %s", where, error.exc_type, error.value)
        else:
            log.error("Unhandled error on %s", where, exc_info=error)
    elif problem.status >= 500:
        log.warning("%s on %s: %s", problem.code, where, error)
