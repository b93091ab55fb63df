"""A credential as a VC-JWT (Open Badges 3.0 §8.2), and the check of one.

The JWT payload is the credential itself, with the registered claims Open
Badges 3.0 requires beside it: `iss` (issuer id), `jti` (credential id),
`nbf` (validFrom) and `exp` (validUntil, when it expires). The header names
the key by an absolute URL (`kid`) whose GET answers the public JWK.

Checking is strict about what the header may choose: only ES256, only a key
the issuer publishes (looked up by the caller from the kid), and the payload
must say the same thing in its claims as in its credential members.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Optional

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from .keys import ALGORITHM

MEDIA_TYPE = "vc+jwt"
# A token is text the public pastes in: refuse anything far larger than a credential.
MAX_TOKEN_BYTES = 64 * 1024


@dataclass
class Checked:
    """What a signature check found: the credential when it holds, the reasons when not."""

    credential: Optional[dict] = None
    header: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.credential is not None and not self.errors


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def sign(credential: dict, key: ECKey, key_url: str) -> str:
    """The compact JWS of `credential`, signed by `key` (named in the header by `key_url`)."""
    issuer = credential["issuer"]
    claims = {
        **credential,
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": credential["id"],
        "nbf": _epoch(credential["validFrom"]),
    }
    if "validUntil" in credential:
        claims["exp"] = _epoch(credential["validUntil"])
    payload = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
    header = {"alg": ALGORITHM, "kid": key_url, "typ": MEDIA_TYPE}
    return jws.serialize_compact(header, payload, key, algorithms=[ALGORITHM])


REGISTERED_CLAIMS = ("iss", "jti", "nbf", "exp")


def document_of(payload: dict) -> dict:
    """The credential a payload carries, without the JWT claims: the `.json` download."""
    return {key: value for key, value in payload.items() if key not in REGISTERED_CLAIMS}


def unverified_parts(token: str) -> tuple[dict, dict]:
    """Header and payload of a compact JWS without checking it, to find the issuer and key.

    ValueError when the text is not a compact JWS holding JSON objects.
    """
    if not isinstance(token, str) or len(token.encode()) > MAX_TOKEN_BYTES:
        raise ValueError("not a credential: expected a compact JWS of at most 64 KiB")
    try:
        found = jws.extract_compact(token.strip().encode())
        payload = json.loads(found.payload)
    except (JoseError, ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ValueError(f"not a compact JWS: {type(error).__name__}") from None
    header = found.headers()
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ValueError("not a compact JWS: header and payload must be JSON objects")
    return header, payload


def check(token: str, key_for: Callable[[dict], Optional[ECKey]]) -> Checked:
    """Verify the signature with the key `key_for(header)` returns, then the claims.

    `key_for` resolves the header's kid among the keys the issuer publishes
    (None: not one of theirs). Nothing here reads the clock or the status
    list: validity dates and revocation are the caller's next questions.
    """
    try:
        header, payload = unverified_parts(token)
    except ValueError as error:
        return Checked(errors=[str(error)])
    if header.get("alg") != ALGORITHM:
        return Checked(header=header, errors=[f"the signature algorithm must be {ALGORITHM}, not {header.get('alg')!r}"])
    key = key_for(header)
    if key is None:
        return Checked(header=header, errors=["the key named in the credential is not one its issuer publishes"])
    try:
        jws.deserialize_compact(token.strip(), key, algorithms=[ALGORITHM])
    except JoseError:
        return Checked(header=header, errors=["the signature does not match the credential"])
    errors = _claim_errors(payload)
    return Checked(credential=payload if not errors else None, header=header, errors=errors)


def _claim_errors(payload: dict) -> list[str]:
    errors = []
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if payload.get("iss") != issuer_id:
        errors.append("the iss claim does not name the credential's issuer")
    if payload.get("jti") != payload.get("id"):
        errors.append("the jti claim does not match the credential id")
    try:
        if payload.get("nbf") != _epoch(payload["validFrom"]):
            errors.append("the nbf claim does not match validFrom")
        if "validUntil" in payload and payload.get("exp") != _epoch(payload["validUntil"]):
            errors.append("the exp claim does not match validUntil")
    except (KeyError, TypeError, ValueError, AttributeError):
        errors.append("validFrom and validUntil must be ISO 8601 date-times")
    return errors
