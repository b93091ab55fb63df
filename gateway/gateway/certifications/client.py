"""The certs service as the gateway calls it: the candidate's certifications,
downloads, agreement and continuing education, public certificate verification, and
the staff console's catalog, agreement versions and CE review (docs/rpc/certs.md).

The only module that names certs' methods. Parameters mirror the service's,
keyword-only (gateway/tests/test_clients_match_services.py checks them), so a
renamed parameter fails loudly instead of landing in the wrong place.
"""
from __future__ import annotations

import re
from functools import partial

from flask import abort
from nameko.exceptions import RemoteError

from .. import rpc
from ..errors import refused, remote_detail  # noqa: F401 — callers use client.refused

# Catalog IDs (`ccna`, `jncis_ent`): anything else is not a certification, and
# is answered 404 here without asking the service.
_CERTIFICATION_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

_call = partial(rpc.call, "certs")


# -- the candidate's certifications --------------------------------------------------------
def certifications(*, candidate_id):
    return _call("certifications", candidate_id=candidate_id)


def certification(*, candidate_id, certification_id):
    return _call("certification", candidate_id=candidate_id, certification_id=certification_id)


def certificate_pdf(*, candidate_id, certification_id):
    return _call("certificate_pdf", candidate_id=candidate_id, certification_id=certification_id)


def logo(*, candidate_id, certification_id, format):
    return _call("logo", candidate_id=candidate_id, certification_id=certification_id, format=format)


def certification_agreement(*, candidate_id):
    return _call("certification_agreement", candidate_id=candidate_id)


def accept_certification_agreement(*, candidate_id, version):
    return _call("accept_certification_agreement", candidate_id=candidate_id, version=version)


def continuing_education(*, candidate_id):
    return _call("continuing_education", candidate_id=candidate_id)


def submit_ce_activity(
        *, candidate_id, title, provider, completed_on, kind, certification_id=None, document=None):
    return _call("submit_ce_activity", candidate_id=candidate_id, title=title, provider=provider,
                 completed_on=completed_on, kind=kind, certification_id=certification_id, document=document)


def verify_certificate(*, code):
    return _call("verify_certificate", code=code)


# -- staff: catalog, agreements, CE review -------------------------------------------------
def certification_agreement_versions():
    return _call("certification_agreement_versions")


def publish_certification_agreement(*, program, title, body, staff):
    return _call("publish_certification_agreement", program=program, title=title, body=body, staff=staff)


def catalog():
    return _call("catalog")


def reload_catalog(*, staff):
    return _call("reload_catalog", staff=staff)


def ce_review_queue():
    return _call("ce_review_queue")


def ce_activity(*, activity_id):
    return _call("ce_activity", activity_id=activity_id)


def ce_activity_document(*, activity_id):
    return _call("ce_activity_document", activity_id=activity_id)


def approve_ce_activity(*, activity_id, credits=None, staff=None):
    return _call("approve_ce_activity", activity_id=activity_id, credits=credits, staff=staff)


def reject_ce_activity(*, activity_id, reason=None, staff=None):
    return _call("reject_ce_activity", activity_id=activity_id, reason=reason, staff=staff)


def field_messages(error: RemoteError) -> dict[str, str]:
    """`{field: message}` of a field error (`InvalidSubmission`, `InvalidReview`).

    Reads both forms a detail may take: the fields themselves (the house
    `FieldErrors` convention), or `{"message", "fields": {…}}`.
    """
    detail = remote_detail(error)
    fields = detail.get("fields") if isinstance(detail.get("fields"), dict) else {
        key: value for key, value in detail.items() if key != "message"}
    messages = {str(key): str(value) for key, value in fields.items()}
    if not messages and detail.get("message"):
        messages = {"form": str(detail["message"])}
    return messages


def message(error: RemoteError) -> str | None:
    """The service's own sentence (`CatalogInvalid` names the file and line)."""
    text = remote_detail(error).get("message")
    return str(text) if text else None


def certification_id(value: str) -> str:
    if not _CERTIFICATION_ID.match(value):
        abort(404)
    return value
