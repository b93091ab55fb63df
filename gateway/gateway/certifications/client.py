"""The certs service as the gateway calls it: the candidate's certifications,
downloads, agreement and continuing education, digital badges and their public
documents, public certificate and credential verification, and
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

from .. import rpc, views
from ..errors import refused, remote_detail  # noqa: F401 — callers use client.refused

# Catalog IDs (`ccna`, `jncis_ent`): anything else is not a certification, and
# is answered 404 here without asking the service.
_CERTIFICATION_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

_call = partial(rpc.call, "certs")


# -- the candidate's certifications --------------------------------------------------------
def certifications(*, candidate_id):
    return views.read("certs", "certifications", candidate_id,
                      lambda: _call("certifications", candidate_id=candidate_id))


def certification(*, candidate_id, certification_id):
    return _call("certification", candidate_id=candidate_id, certification_id=certification_id)


def certificate_pdf(*, candidate_id, certification_id):
    return _call("certificate_pdf", candidate_id=candidate_id, certification_id=certification_id)


def logo(*, candidate_id, certification_id, format):
    return _call("logo", candidate_id=candidate_id, certification_id=certification_id, format=format)


def certification_agreement(*, candidate_id):
    return views.read("certs", "certification_agreement", candidate_id,
                      lambda: _call("certification_agreement", candidate_id=candidate_id))


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


# -- digital badges (docs/decisions/0024) ----------------------------------------------------
def candidate_credentials(*, candidate_id):
    return _call("candidate_credentials", candidate_id=candidate_id)


def credential_download(*, candidate_id, certification_id, format):
    return _call("credential_download", candidate_id=candidate_id, certification_id=certification_id,
                 format=format)


def credential_issuer(*, program):
    return _call("credential_issuer", program=program)


def credential_key(*, program, key_id):
    return _call("credential_key", program=program, key_id=key_id)


def credential_achievement(*, program, certification_id):
    return _call("credential_achievement", program=program, certification_id=certification_id)


def credential_achievement_image(*, program, certification_id):
    return _call("credential_achievement_image", program=program, certification_id=certification_id)


def credential_status_list(*, program, number):
    return _call("credential_status_list", program=program, number=number)


def verify_credential(*, credential=None, image_base64=None):
    return _call("verify_credential", credential=credential, image_base64=image_base64)


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
