"""Public verification of a certificate, by the code printed (and QR-coded) on it.

No login: anyone holding a certificate may check it. The page shows only
what the certificate itself shows (name, certification, dates) and the live
status at this moment, so an expired or revoked certificate says so. An
unknown code is a plain 404, whether it was never issued or mistyped.

The page is the certification's one link across renewals (digital badges,
LinkedIn and the PDF's QR code point here): it also shows the original
award, every validity period a badge was issued for, and whether the
current badge's signature holds (docs/decisions/0024).
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, render_template

from certtrack_shared.interfaces.certs import CertificateVerification

from ..openapi import api_operation
from . import client

blueprint = Blueprint("certificate_verification", __name__)

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # certs issues URL-safe tokens


def _verify(code: str) -> dict:
    if not _CODE.match(code):
        abort(404)
    return client.verify_certificate(code=code)


@blueprint.get("/verify/certificate/<code>")
def page(code: str):
    return render_template("certifications/verify.html", certificate=_verify(code))


@blueprint.get("/api/v1/verify/certificate/<code>")
@api_operation(response=CertificateVerification, tags=("verification",),
               summary="A certificate's live status, by its code (no authentication); unknown codes answer 404.")
def api(code: str):
    return _verify(code)
