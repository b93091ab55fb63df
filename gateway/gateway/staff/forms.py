"""Turning identity's refusals into messages beside the form fields they concern."""
from __future__ import annotations

from nameko.exceptions import RemoteError

from ..errors import REMOTE_FIELD_ERRORS, remote_detail


def problems_of(error: RemoteError) -> dict[str, str] | None:
    """`{field: message}` of one of identity's field errors (its own words), None for anything else."""
    if error.exc_type not in REMOTE_FIELD_ERRORS:
        return None
    fields = {str(key): str(value) for key, value in remote_detail(error).items()}
    return fields or {"form": "Some fields are missing or invalid."}
