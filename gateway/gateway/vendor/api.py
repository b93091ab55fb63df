"""`POST /api/v1/vendor/events`: testing vendors post the messages of
CONTRACTS.md §2 over HTTP instead of publishing them to RabbitMQ.

1. The vendor API key (`Authorization: Bearer ctv_…`, created by staff,
   exams' `authenticate_vendor_key`) is checked first: 401 without one,
   with an unknown or revoked one (`invalid_vendor_key`), or with an expired
   one (`vendor_key_expired`).
2. The body is held to what a broker message may be (decision 0012): 413
   over `MESSAGE_MAX_BYTES`, 422 when nested deeper than 32 levels. Then
   it is validated against the contract models; which message it is
   follows from its shape (the bodies carry no type field): `reason` ⇒
   `exam_result_revoked`, else `score` ⇒ `exam_result`, else `scheduled_at`
   ⇒ `exam_registration`. 422 with `fields` otherwise.
3. Its `vendor` must be the key's vendor, and its `program` one of the key's
   programs: 403 otherwise (`vendor_mismatch`, `program_not_in_key_scope`;
   docs/decisions/0013-vendor-key-scope.md).
4. It is published to `vendor.events` with the message type as routing key,
   `message_id` = `event_id`, the gateway's broker user as `user_id` and the
   key's id in `x-certtrack-vendor-key-id` (exams re-checks the key when it
   applies the message), persistent, `mandatory` and with publisher
   confirms; 202 only once the broker confirmed it. A broker that is down or
   does not confirm in time answers 503: nothing is promised, and posting the
   same body again is safe (exams applies an `event_id` once).

The key is never logged and never stored by the gateway.
"""
from __future__ import annotations

import functools
import json
import logging

from flask import Blueprint, current_app, request
from nameko.exceptions import RemoteError

from certtrack_shared.contracts.envelope import MAX_JSON_DEPTH, nested_deeper_than
from certtrack_shared.inbound import max_body_bytes
from certtrack_shared.publishing import encode

from ..errors import (
    InvalidRequestBody,
    ProgramNotInKeyScope,
    VendorKeyExpired,
    VendorKeyNotAccepted,
    VendorKeyRequired,
    VendorMismatch,
)
from ..openapi import api_operation
from ..schemas import ErrorResponse
from . import client
from .schemas import EVENT_TYPE_RULE, VendorEvent, VendorEventAccepted

log = logging.getLogger(__name__)

blueprint = Blueprint("vendor_api", __name__, url_prefix="/api/v1/vendor")

TAGS = ("vendor",)
# Longer than any real key (`ctv_` + 43 characters); anything longer is not one.
_MAX_KEY_LENGTH = 200


def vendor_key_required(view):
    """Refuse the call without an active vendor API key; pass the view `vendor_key=` exams'
    answer (`vendor`, `key_id`, `programs`, `expires_at`).

    Above `@api_operation`, so the key is checked before the body is read.
    """

    @functools.wraps(view)
    def guarded(**url_values):
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        key = raw.strip()
        if scheme.lower() != "bearer" or not key:
            raise VendorKeyRequired()
        if len(key) > _MAX_KEY_LENGTH:
            raise VendorKeyNotAccepted()
        try:
            found = client.authenticate_vendor_key(key=key)
        except RemoteError as error:
            if error.exc_type == "InvalidVendorKey":
                raise VendorKeyNotAccepted() from None
            if error.exc_type == "VendorKeyExpired":
                raise VendorKeyExpired() from None
            raise
        _check_body_shape()
        return view(vendor_key=found, **url_values)

    guarded.requires_vendor_key = True
    return guarded


def _check_body_shape() -> None:
    """The limits every consumer of `vendor.events` holds a message to,
    answered before anything parses the body: a vendor learns now, not from
    a dead letter, and no parser meets a body built to exhaust it."""
    request.max_content_length = max_body_bytes()
    raw = request.get_data(cache=True)  # 413 (RequestEntityTooLarge) over the cap
    if nested_deeper_than(raw):
        raise InvalidRequestBody(
            {"body": f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels; no message is."})


@blueprint.post("/events")
@vendor_key_required
@api_operation(
    request=VendorEvent, response=VendorEventAccepted, status=202, tags=TAGS,
    summary="Post an exam_registration, exam_result or exam_result_revoked message "
    "(Authorization: Bearer <vendor API key>). " + EVENT_TYPE_RULE + " 202 once the broker "
    "confirmed it; 401 without a valid key or with an expired one, 403 when `vendor` is not "
    "the key's vendor or `program` is not one of the key's programs (nothing is published "
    "then), 422 with `fields` for an invalid body, 503 when the broker cannot take it (post "
    "again: an event_id is applied once).",
    other_responses={
        401: (ErrorResponse, "`vendor_key_required`, `invalid_vendor_key` (unknown or revoked) or "
              "`vendor_key_expired` (ask CertTrack staff for a new key). Nothing is published."),
        413: (ErrorResponse, "`payload_too_large`: the body is over the message size cap (256 KiB)."),
        403: (ErrorResponse, "`vendor_mismatch`: the body's `vendor` is not the key's vendor; "
              "`program_not_in_key_scope`: the body's `program` is not one of the key's programs "
              "(`fields.program` lists them). Nothing is published."),
        503: (ErrorResponse, "`service_unavailable`: the broker did not confirm; nothing was accepted."),
    },
)
def post_event(vendor_key: dict, body: VendorEvent):
    event = body.root
    vendor = vendor_key["vendor"]
    if event.vendor != vendor:
        raise VendorMismatch()
    if event.program not in vendor_key["programs"]:
        raise ProgramNotInKeyScope(vendor_key["programs"])
    # The vendor's document as sent, in UTF-8 JSON (CONTRACTS.md §1).
    document = json.loads(request.get_data(cache=True))
    current_app.extensions["vendor_publishers"].publish(
        event.event_type, encode(document), message_id=event.event_id,
        vendor_key_id=vendor_key["key_id"])
    log.info("vendor %s posted %s %s", vendor, event.event_type, event.event_id)
    return VendorEventAccepted(event_id=event.event_id, event_type=event.event_type)
