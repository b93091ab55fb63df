"""API access tokens: signed by the gateway, checked without asking identity.

A token is an itsdangerous timed signature (SECRET_KEY, a salt of its own)
of the candidate ID and the moment the candidate's password last changed
(docs/decisions/0003-identity.md). It lasts `LIFETIME_SECONDS`. Operations
that load the candidate's profile anyway also refuse a token whose password
moment is older than the profile's (`check_password_unchanged`), so a
password change ends every token issued before it.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..errors import InvalidAccessToken, NotAuthenticated

LIFETIME_SECONDS = 3600
_SALT = "certtrack.api-access-token"
_MAX_TOKEN_LENGTH = 1000


@dataclass(frozen=True)
class AccessToken:
    candidate_id: str
    password_changed_at: int | None  # milliseconds since the epoch


def issue(candidate: Mapping) -> str:
    """A bearer token for identity's CandidateSummary `candidate`."""
    return _serializer().dumps(
        {"sub": candidate["candidate_id"], "pwd": password_moment(candidate.get("password_changed_at"))}
    )


def verify(raw: str) -> AccessToken:
    if not raw or len(raw) > _MAX_TOKEN_LENGTH:
        raise InvalidAccessToken()
    try:
        claims = _serializer().loads(raw, max_age=LIFETIME_SECONDS)
    except BadSignature:  # also SignatureExpired
        raise InvalidAccessToken() from None
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str):
        raise InvalidAccessToken()
    moment = claims.get("pwd")
    return AccessToken(claims["sub"], moment if isinstance(moment, int) else None)


def check_password_unchanged(token: AccessToken, profile: Mapping) -> None:
    if password_moment(profile.get("password_changed_at")) != token.password_changed_at:
        raise InvalidAccessToken()


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


def password_moment(value) -> int | None:
    """identity's `password_changed_at` (ISO 8601, or None) as epoch milliseconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value * 1000)
    try:
        return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)
