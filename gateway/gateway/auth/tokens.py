"""API access tokens: signed by the gateway.

A token is an itsdangerous timed signature (SECRET_KEY, a salt of its own)
of the candidate ID and the candidate's credential version when it was
issued (docs/decisions/0003-identity.md, 0018-account-security.md). It lasts
`LIFETIME_SECONDS`; every call with it asks identity for the current
credential version (`credentials.py`), so a password reset, an email change
or a single sign-on unlink ends every token issued before it at the next call.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..errors import InvalidAccessToken, NotAuthenticated
from . import credentials

LIFETIME_SECONDS = 3600
RECENT_LOGIN_SECONDS = 5 * 60
_SALT = "certtrack.api-access-token"
_MAX_TOKEN_LENGTH = 1000


@dataclass(frozen=True)
class AccessToken:
    candidate_id: str
    credential_version: int | None
    issued_at: datetime

    @property
    def recently_logged_in(self) -> bool:
        """Issued (by a login) in the last 5 minutes: proof enough to change the
        email or the password without the current one, as on the site."""
        return (datetime.now(timezone.utc) - self.issued_at).total_seconds() <= RECENT_LOGIN_SECONDS


def issue(candidate: Mapping) -> str:
    """A bearer token for identity's CandidateSummary `candidate`."""
    return _serializer().dumps({"sub": candidate["candidate_id"], "cv": candidate.get("credential_version")})


def verify(raw: str) -> AccessToken:
    """The token's claims, once its signature, age and credential version hold."""
    if not raw or len(raw) > _MAX_TOKEN_LENGTH:
        raise InvalidAccessToken()
    try:
        claims, issued_at = _serializer().loads(raw, max_age=LIFETIME_SECONDS, return_timestamp=True)
    except BadSignature:  # also SignatureExpired
        raise InvalidAccessToken() from None
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str):
        raise InvalidAccessToken()
    version = claims.get("cv")
    if not credentials.is_current(claims["sub"], version):
        raise InvalidAccessToken()
    return AccessToken(claims["sub"], version, issued_at)


def bearer_required(view):
    """Refuse the call without a valid bearer token; pass the view `candidate=AccessToken`.

    Put it above `@api_operation` so the token is checked before the body,
    and the operation's declaration stays visible to the OpenAPI document.
    """

    @functools.wraps(view)
    def guarded(**url_values):
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise NotAuthenticated()
        return view(candidate=verify(raw.strip()), **url_values)

    guarded.requires_bearer = True
    return guarded


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)
