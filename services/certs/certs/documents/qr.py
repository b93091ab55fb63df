"""The QR code printed on a certificate: a link to its public verification page."""
from __future__ import annotations

import io

import segno

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
PIXELS_PER_MODULE = 10  # about print resolution at the size printed, so no viewer enlarges (and blurs) it


def verification_qr(verify_url: str) -> segno.QRCode:
    """A full QR code (never a Micro QR, which phone cameras do not read) at error level M.

    segno raises the error level further when that costs no extra size.
    """
    return segno.make_qr(verify_url, error="m")


def verification_qr_png(verify_url: str) -> bytes:
    out = io.BytesIO()
    verification_qr(verify_url).save(out, kind="png", scale=PIXELS_PER_MODULE, border=QUIET_ZONE)
    return out.getvalue()
