"""The identity service as the candidate side of the gateway calls it.

The methods, their arguments and their errors are those of
docs/decisions/0003-identity.md; arguments always go by name, so a renamed
parameter fails loudly instead of landing in the wrong place.
"""
from __future__ import annotations

from flask import current_app
from nameko.exceptions import RemoteError

from ..errors import field_errors, refused, remote_detail  # noqa: F401 — callers use identity.refused, …

# Purposes of mailed link tokens (identity/tokens.py).
FIRST_TIME = "first_time"
PASSWORD_RESET = "password_reset"
EMAIL_CONFIRMATION = "email_confirmation"


def call(method: str, **arguments):
    """`identity.<method>(**arguments)` over the process's pooled RPC client."""
    return current_app.extensions["rpc"].call("identity", method, **arguments)


def link_token_reason(error: RemoteError) -> str:
    """Why a link cannot be used: `expired`, `used` or `unknown`."""
    reason = remote_detail(error).get("reason")
    return reason if reason in ("expired", "used") else "unknown"
