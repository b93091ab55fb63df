"""The transcripts service as the gateway calls it (services/transcripts/transcripts/service.py).

Arguments always go by name, so a renamed parameter fails loudly.
"""
from __future__ import annotations

from flask import current_app

from ..errors import field_errors, refused  # noqa: F401 — callers use client.refused, …


def call(method: str, **arguments):
    """`transcripts.<method>(**arguments)` over the process's pooled RPC client."""
    return current_app.extensions["rpc"].call("transcripts", method, **arguments)
