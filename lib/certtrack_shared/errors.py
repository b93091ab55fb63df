"""The shape every service's domain errors share.

Nameko sends a remote exception to the caller as its class name and
`str(exc)` only, so a domain error carries exactly one argument, a JSON
object (`exc.detail`), and `str(exc)` is that object as JSON: the gateway
reads it back from the RemoteError's `value`. Nothing secret goes into a
detail (no password, token or document).
"""
from __future__ import annotations

import json


class DomainError(Exception):
    """Base of each service's error base (`IdentityError`, `ExamsError`, …)."""

    def __init__(self, detail: dict | None = None):
        super().__init__(dict(detail or {}))

    @property
    def detail(self) -> dict:
        return self.args[0]

    def __str__(self) -> str:
        return json.dumps(self.detail, sort_keys=True)


class FieldErrors:
    """Mixin for errors about request fields: the detail maps field → message."""

    @property
    def fields(self) -> dict[str, str]:
        return self.detail
