"""The fulfillment service as the gateway calls it (services/fulfillment/fulfillment/service.py).

Arguments always go by name, so a renamed parameter fails loudly.
"""
from __future__ import annotations

from flask import current_app

from ..errors import refused  # noqa: F401 — callers use client.refused


def call(method: str, **arguments):
    """`fulfillment.<method>(**arguments)` over the process's pooled RPC client."""
    return current_app.extensions["rpc"].call("fulfillment", method, **arguments)
