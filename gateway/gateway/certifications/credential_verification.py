"""Checking a digital badge someone hands in: `POST /api/v1/credentials/verify`
(CONTRACTS §8) and the public "Verify a credential" page at `/verify/credential`.

No login. The API takes the credential's text (the compact JWS, or the JSON
download); the page also takes a baked PNG or SVG badge, sent to certs in
base64. certs checks the signature, the issuer, the structure and the
revocation list; `verified` says whether it is a genuine CertTrack credential,
`status` whether it still holds.
"""
from __future__ import annotations

import base64

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.exceptions import RequestEntityTooLarge

from certtrack_shared.interfaces.certs import CredentialCheck

from ..errors import render_error
from ..openapi import api_operation
from . import client
from .forms import MAX_CREDENTIAL_CHARACTERS, VerifyCredentialForm

blueprint = Blueprint("credential_verification", __name__)

API_BODY_LIMIT = MAX_CREDENTIAL_CHARACTERS + 8 * 1024  # the credential, its JSON quoting and the braces
PAGE = "credential_verification.page"


class CredentialToVerify(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credential: str = Field(
        strict=True, min_length=1, max_length=MAX_CREDENTIAL_CHARACTERS,
        description="The credential as CertTrack issues it: the compact JWS (VC-JWT, the `.jwt` download) or "
                    "the credential's JSON text (the `.json` download). At most 64 KiB; a larger body is 413.")


@blueprint.url_value_preprocessor
def _body_limits(endpoint, _values):
    # Before the CSRF check reads the form, so the limit applies when the body is parsed.
    if request.method != "POST":
        return
    if endpoint == "credential_verification.api":
        request.max_content_length = API_BODY_LIMIT
    elif endpoint == PAGE:
        request.max_content_length = current_app.config["UPLOAD_MAX_CONTENT_LENGTH"]


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    if request.endpoint != PAGE:
        return render_error(error)
    flash("That file is too large: a badge image is at most 5 MB.", "error")
    return redirect(url_for(PAGE), 303)


@blueprint.post("/api/v1/credentials/verify")
@api_operation(request=CredentialToVerify, response=CredentialCheck, tags=("verification",),
               summary="Check a digital badge (Open Badges 3.0 credential) without logging in: signature, "
                       "issuer, structure and revocation status. A credential that fails is `verified: false` "
                       "with the reasons, still 200.")
def api(body: CredentialToVerify):
    return client.verify_credential(credential=body.credential, image_base64=None)


@blueprint.route("/verify/credential", methods=["GET", "POST"])
def page():
    form = VerifyCredentialForm()
    result, problems = None, []
    if request.method == "POST" and form.validate():
        upload = form.badge.data
        if upload:
            result = client.verify_credential(
                credential=None, image_base64=base64.b64encode(upload.read()).decode("ascii"))
        elif form.credential.data:
            result = client.verify_credential(credential=form.credential.data, image_base64=None)
        else:
            problems = ["Paste a credential or choose a badge image to check."]
    invalid = request.method == "POST" and result is None
    return render_template("certifications/verify_credential.html", form=form, result=result,
                           problems=problems), 422 if invalid else 200
