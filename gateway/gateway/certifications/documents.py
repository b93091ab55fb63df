"""The certs service's binary replies (`{filename, content_type, data_b64}`) as downloads."""
from __future__ import annotations

import base64
import re

from flask import Response

# Only what the service makes (logos, certificates, CE documents, digital badges); anything
# else is offered as opaque bytes.
KNOWN_TYPES = {"image/svg+xml", "image/png", "image/jpeg", "application/pdf", "application/json",
               "application/vc+jwt"}
_UNSAFE_IN_FILENAME = re.compile(r'[^A-Za-z0-9._-]+')
# A downloaded file is never a page: an SVG opened in the browser runs no
# script and loads nothing, whatever it contains.
DOCUMENT_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def download(payload: dict, *, inline: bool = False) -> Response:
    """A response carrying `payload`: its type, and its filename in Content-Disposition."""
    data = base64.b64decode(payload["data_b64"], validate=True)
    content_type = payload.get("content_type")
    if content_type not in KNOWN_TYPES:
        content_type, inline = "application/octet-stream", False
    response = Response(data, mimetype=content_type)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename(payload.get("filename"))}"'
    # Personal documents: no cache keeps them.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOCUMENT_POLICY
    return response


def filename(given: str | None) -> str:
    name = _UNSAFE_IN_FILENAME.sub("_", (given or "").rsplit("/", 1)[-1]).strip(" ._")
    return name[:120] or "download"
