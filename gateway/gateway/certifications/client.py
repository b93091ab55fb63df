"""The certs service as the gateway calls it (services/certs/certs/service.py).

Arguments always go by name, so a renamed parameter fails loudly.
"""
from __future__ import annotations

import re

from flask import abort, current_app
from nameko.exceptions import RemoteError

from ..errors import refused, remote_detail  # noqa: F401 — callers use client.refused

# Catalog IDs (`ccna`, `jncis_ent`): anything else is not a certification, and
# is answered 404 here without asking the service.
_CERTIFICATION_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def call(method: str, **arguments):
    """`certs.<method>(**arguments)` over the process's pooled RPC client."""
    return current_app.extensions["rpc"].call("certs", method, **arguments)


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
