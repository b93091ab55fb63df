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
from datetime import date, datetime
from typing import Literal, Optional

from flask import Blueprint, abort, render_template
from pydantic import BaseModel, Field

from ..openapi import api_operation
from . import client

blueprint = Blueprint("certificate_verification", __name__)

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # certs issues URL-safe tokens


class ValidityPeriod(BaseModel):
    active_on: date
    expires_on: Optional[date] = Field(description="The first day it is no longer active; null: never expires.")
    revoked: bool


class BadgeCheck(BaseModel):
    verified: bool = Field(description="The badge's signature, issuer and structure hold.")
    status: Optional[Literal["active", "revoked", "suspended", "expired"]]
    errors: list[str] = Field(description="Why it is not verified, in words.")


class CertificateVerification(BaseModel):
    certificate_code: str
    candidate_name: str
    certification_id: str
    certification_name: str
    status: Literal["in_progress", "active", "expired", "revoked"] = Field(description="Live, at `generated_at`.")
    active_on: Optional[date]
    expires_on: Optional[date] = Field(description="The first day it is no longer active; null: never expires.")
    generated_at: datetime
    first_awarded_on: Optional[date] = Field(default=None, description="The original award, kept across renewals.")
    periods: list[ValidityPeriod] = Field(
        default=[], description="Every validity period a digital badge was issued for, oldest first.")
    badge: Optional[BadgeCheck] = Field(
        default=None, description="The current digital badge checked as a verifier would; null when none is issued.")


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
