"""The exams service as the gateway calls it (services/exams/exams/service.py).

Arguments always go by name, so a renamed parameter fails loudly.
"""
from __future__ import annotations

from flask import current_app
from nameko.exceptions import RemoteError

from ..errors import refused, remote_detail  # noqa: F401 — callers use client.refused


def call(method: str, **arguments):
    """`exams.<method>(**arguments)` over the process's pooled RPC client."""
    return current_app.extensions["rpc"].call("exams", method, **arguments)


def current_version(error: RemoteError) -> int | None:
    """The current agreement version an `AgreementVersionNotCurrent` names."""
    version = remote_detail(error).get("current_version")
    return version if isinstance(version, int) else None
