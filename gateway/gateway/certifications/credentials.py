"""The digital badges' public documents, at the URLs the credentials name
(docs/decisions/0024): each program's issuer profile, its public keys, an
achievement per catalog certification and its image, and the revocation
status lists.

No login: any verifier fetches them, from a server or from a page on
another site (hence `Access-Control-Allow-Origin: *`; nothing here is
personal). Path parameters are checked before certs is asked; anything
unknown is a 404, as certs' `CredentialNotFound` is.

Caching: the profile, keys, achievements and images change only with a
catalog or a key rotation and are kept for a few minutes. A status list
changes when a certification is revoked, and a verifier must see that
within 10 seconds (CONTRACTS §8): it is kept for 5 seconds, and its ETag
lets a verifier ask again cheaply (304 while unchanged).
"""
from __future__ import annotations

import base64
import hashlib
import json
import re

from flask import Blueprint, Response, abort, request

from . import client

blueprint = Blueprint("credentials", __name__, url_prefix="/credentials/issuers/<program>")

_PROGRAM = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")  # an RFC 7638 thumbprint, base64url
_LIST_NUMBER = re.compile(r"^[1-9][0-9]{0,8}$")
DOCUMENT_MAX_AGE = 300
STATUS_LIST_MAX_AGE = 5


@blueprint.url_value_preprocessor
def _checked_program(_endpoint, values):
    if not _PROGRAM.match(values.get("program", "")):
        abort(404)


@blueprint.get("")
def issuer(program: str):
    return _json(client.credential_issuer(program=program), _linked_data_type())


@blueprint.get("/keys/<key_id>")
def key(program: str, key_id: str):
    if not _KEY_ID.match(key_id):
        abort(404)
    return _json(client.credential_key(program=program, key_id=key_id), "application/jwk+json")


@blueprint.get("/achievements/<certification_id>")
def achievement(program: str, certification_id: str):
    document = client.credential_achievement(program=program,
                                             certification_id=client.certification_id(certification_id))
    return _json(document, _linked_data_type())


@blueprint.get("/achievements/<certification_id>/image.png")
def achievement_image(program: str, certification_id: str):
    image = client.credential_achievement_image(program=program,
                                                certification_id=client.certification_id(certification_id))
    return _public(Response(base64.b64decode(image, validate=True), mimetype="image/png"), DOCUMENT_MAX_AGE)


@blueprint.get("/status/revocation/<number>")
def status_list(program: str, number: str):
    if not _LIST_NUMBER.match(number):
        abort(404)
    token = client.credential_status_list(program=program, number=int(number))
    return _public(Response(token, mimetype="application/vc+jwt"), STATUS_LIST_MAX_AGE)


def _linked_data_type() -> str:
    """`application/ld+json` to a client that prefers it, else plain JSON (the same document)."""
    best = request.accept_mimetypes.best_match(["application/json", "application/ld+json"])
    return best or "application/json"


def _json(document: dict, mimetype: str) -> Response:
    body = json.dumps(document, indent=2, ensure_ascii=False)
    return _public(Response(body, mimetype=mimetype), DOCUMENT_MAX_AGE)


def _public(response: Response, max_age: int) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept"
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest())
    return response.make_conditional(request)
