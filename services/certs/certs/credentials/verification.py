"""Check a credential someone pastes or uploads: signature, issuer, structure, status.

What the public may hand in: the compact JWS (the `.jwt` download), a VC 2.0
`EnvelopedVerifiableCredential` holding it (`data:application/vc+jwt,…`), a
baked PNG or SVG, or the credential's JSON (the `.json` download). The JSON
carries no signature of its own, so it verifies only as a copy of a
credential this site issued: its id must name one, and the JSON must say
exactly what that credential's signed payload says.

`verified` answers "is this an authentic, well-formed credential of ours";
`status` answers "does it still hold": a revoked or expired credential is
verified (it is genuine) with that status, as CONTRACTS §8 has it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Literal, Mapping, Optional

from joserfc.jwk import ECKey

from . import baking, signing
from .keys import KeyRing
from .openbadges import Site

Status = Literal["active", "revoked", "suspended", "expired"]
ENVELOPE_PREFIX = "data:application/vc+jwt,"


@dataclass
class Verification:
    verified: bool
    status: Optional[Status] = None
    errors: list[str] = field(default_factory=list)
    credential: Optional[dict] = None

    def as_json(self) -> dict:
        return {"verified": self.verified, "status": self.status, "errors": self.errors}


@dataclass(frozen=True)
class Issuers:
    """What verification needs to know about this site's issuers and credentials."""

    site: Site
    rings: Mapping[str, KeyRing]
    is_revoked: Callable[[str, int, int], bool]  # (program, list number, index) -> revoked?
    issued_token: Callable[[str], Optional[str]]  # credential id -> the JWS issued, or None


def token_of(submitted: bytes | str) -> str:
    """The compact JWS inside whatever was handed in; ValueError saying what it is not."""
    if isinstance(submitted, bytes):
        if submitted.startswith(baking.PNG_SIGNATURE):
            return baking.extract(submitted)
        try:
            submitted = submitted.decode()
        except UnicodeDecodeError:
            raise ValueError("not a credential: expected a JWT, JSON or a PNG or SVG badge") from None
    if submitted.lstrip().startswith("<"):
        return baking.extract(submitted.encode())
    text = submitted.strip()
    if text.startswith("{"):
        return _token_of_json(text)
    return text


def _token_of_json(text: str) -> str:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise ValueError("not a credential: the JSON does not parse") from None
    if not isinstance(document, dict):
        raise ValueError("not a credential: expected a JSON object")
    envelope = document.get("id")
    if document.get("type") == "EnvelopedVerifiableCredential" and isinstance(envelope, str) \
            and envelope.startswith(ENVELOPE_PREFIX):
        return envelope[len(ENVELOPE_PREFIX):]
    # A credential's JSON: marked so `verify` compares it with what was issued.
    return "json:" + json.dumps(document)


def verify(submitted: bytes | str, issuers: Issuers, now: datetime) -> Verification:
    try:
        token = token_of(submitted)
    except ValueError as error:
        return Verification(False, errors=[str(error)])
    if token.startswith("json:"):
        return _verify_copy(json.loads(token[5:]), issuers, now)
    return _verify_token(token, issuers, now)


def _verify_copy(document: dict, issuers: Issuers, now: datetime) -> Verification:
    credential_id = document.get("id")
    token = issuers.issued_token(credential_id) if isinstance(credential_id, str) else None
    if token is None:
        return Verification(False, errors=["this JSON carries no signature and names no credential issued here; "
                                           "verify the .jwt file or the badge image instead"])
    found = _verify_token(token, issuers, now)
    if found.verified and document != signing.document_of(found.credential):
        return Verification(False, errors=["this JSON differs from the credential issued with its id"])
    return found


def _verify_token(token: str, issuers: Issuers, now: datetime) -> Verification:
    key_owner: dict[str, str] = {}

    def key_for(header: dict) -> Optional[ECKey]:
        program, key_id = _program_and_key(issuers.site, header.get("kid"))
        ring = issuers.rings.get(program) if program else None
        if ring is None:
            return None
        key_owner["program"] = program
        return ring.find(key_id)

    checked = signing.check(token, key_for)
    if not checked.ok:
        return Verification(False, errors=checked.errors)
    credential = checked.credential
    program = key_owner["program"]
    errors = _structure_errors(credential, issuers.site, program)
    if errors:
        return Verification(False, errors=errors, credential=credential)
    if issuers.is_revoked(program, *_status_entry(credential["credentialStatus"], site=issuers.site, program=program)):
        return Verification(True, "revoked", credential=credential)
    valid_from = _instant(credential["validFrom"])
    valid_until = _instant(credential["validUntil"]) if "validUntil" in credential else None
    if valid_until is not None and now >= valid_until:
        return Verification(True, "expired", credential=credential)
    if now < valid_from:
        return Verification(False, errors=["the credential is not valid yet"], credential=credential)
    return Verification(True, "active", credential=credential)


def _program_and_key(site: Site, kid) -> tuple[Optional[str], Optional[str]]:
    """`(program, key id)` from a kid URL of this site, or `(None, None)`."""
    if not isinstance(kid, str):
        return None, None
    prefix = site.issuer("")
    if not kid.startswith(prefix):
        return None, None
    program, _, key_id = kid[len(prefix):].partition("/keys/")
    if not program or "/" in program or not key_id or "/" in key_id:
        return None, None
    return program, key_id


def _status_entry(status, site: Site, program: str) -> Optional[tuple[int, int]]:
    """`(list number, index)` of a status entry pointing into one of the program's lists."""
    if not isinstance(status, dict):
        return None
    url, index = status.get("statusListCredential"), str(status.get("statusListIndex", ""))
    prefix = site.status_lists(program)
    if not isinstance(url, str) or not url.startswith(prefix):
        return None
    number = url[len(prefix):]
    if not (number.isdigit() and index.isdigit() and len(number) < 10 and len(index) < 10):
        return None
    return int(number), int(index)


def _structure_errors(credential: dict, site: Site, program: str) -> list[str]:
    errors = []
    types = credential.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types or "OpenBadgeCredential" not in types:
        errors.append("it is not an OpenBadgeCredential")
    issuer = credential.get("issuer")
    if not isinstance(issuer, dict) or issuer.get("id") != site.issuer(program):
        errors.append("the issuer is not the program whose key signed it")
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict) or not isinstance(subject.get("achievement"), dict):
        errors.append("it names no achievement")
    status = credential.get("credentialStatus")
    if _status_entry(status, site, program) is None:
        errors.append("its status entry does not point to the program's status list")
    for name in ("validFrom", "validUntil"):
        if name in credential:
            try:
                _instant(credential[name])
            except (TypeError, ValueError):
                errors.append(f"{name} is not an ISO 8601 date-time")
    if "validFrom" not in credential:
        errors.append("validFrom is missing")
    return errors


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a date-time without a time zone")
    return moment
