"""The Open Badges 3.0 documents: issuer profile, achievement, credential, status list.

Every identifier is an absolute URL on the site (`Site`), so a verifier can
fetch what a credential names: the issuer's profile, the key that signed it
(the JWS `kid`), the achievement and the status list. Only the credential
itself has a `urn:uuid:` id: it is a statement, not a page.

The recipient is named by a salted SHA-256 of their email (`identityHash`,
as Open Badges has done since 2.0) and by their name in clear, which the
certificate already prints: a verifier can check "is this badge Ada's, whose
email I know" without the badge handing anyone Ada's address.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from joserfc.jwk import ECKey

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
STATUS_PURPOSE = "revocation"


@dataclass(frozen=True)
class Site:
    """Where the public documents live; one place for every URL shape."""

    url: str

    def certificate(self, code: str) -> str:
        """A certification's public page, by its certificate code: what badges link to as evidence."""
        return f"{self.url.rstrip('/')}/verify/certificate/{code}"

    def _base(self, program: str) -> str:
        return f"{self.url.rstrip('/')}/credentials/issuers/{program}"

    def issuer(self, program: str) -> str:
        return self._base(program)

    def key(self, program: str, key_id: str) -> str:
        return f"{self._base(program)}/keys/{key_id}"

    def achievement(self, program: str, certification_id: str) -> str:
        return f"{self._base(program)}/achievements/{certification_id}"

    def status_list(self, program: str, number: int) -> str:
        return f"{self.status_lists(program)}{number}"

    def status_lists(self, program: str) -> str:
        """The prefix of every status list of the program; a list's number follows it."""
        return f"{self._base(program)}/status/{STATUS_PURPOSE}/"


@dataclass(frozen=True)
class Issuer:
    """A program as the issuer of its credentials."""

    program: str
    name: str
    url: str
    image_url: Optional[str] = None
    email: Optional[str] = None


@dataclass(frozen=True)
class Achievement:
    """A catalog certification as an achievement."""

    certification_id: str
    name: str
    description: str
    criteria: str
    human_code: str
    image_url: Optional[str] = None


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    salt: str


@dataclass(frozen=True)
class Award:
    """One validity period of one candidate's certification, as one credential."""

    credential_id: str  # a UUID
    valid_from: datetime
    valid_until: Optional[datetime]
    status_list: int  # which of the program's lists (each 131,072 entries)
    status_index: int
    verification_url: str


def identity_hash(email: str, salt: str) -> str:
    """`sha256$<hex>` of the normalised email and the salt (Open Badges' IdentityHash)."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the second, as VC 2.0 dates are usually written."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def profile(site: Site, issuer: Issuer, public_keys: list[ECKey]) -> dict:
    """The issuer's Profile, listing every key its credentials may be signed with."""
    issuer_id = site.issuer(issuer.program)
    document = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": issuer_id,
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
        # A controller document's way to list keys (W3C Controlled Identifiers):
        # each method's id is the URL that answers the same key as a JWK.
        "verificationMethod": [
            {"id": site.key(issuer.program, key.kid), "type": "JsonWebKey", "controller": issuer_id,
             "publicKeyJwk": public_jwk(key)}
            for key in public_keys
        ],
    }
    if issuer.image_url:
        document["image"] = {"id": issuer.image_url, "type": "Image", "caption": issuer.name}
    if issuer.email:
        document["email"] = issuer.email
    return document


def public_jwk(key: ECKey) -> dict:
    return {**key.as_dict(private=False), "alg": "ES256", "use": "sig"}


def achievement(site: Site, program: str, facts: Achievement) -> dict:
    document = {
        "id": site.achievement(program, facts.certification_id),
        "type": ["Achievement"],
        "achievementType": "Certification",
        "name": facts.name,
        "description": facts.description,
        "criteria": {"narrative": facts.criteria},
        "humanCode": facts.human_code,
    }
    if facts.image_url:
        document["image"] = {"id": facts.image_url, "type": "Image", "caption": facts.name}
    return document


def credential(site: Site, issuer: Issuer, facts: Achievement, recipient: Recipient, award: Award) -> dict:
    """The OpenBadgeCredential for one award, unsigned (see `signing.sign`)."""
    status_url = site.status_list(issuer.program, award.status_list)
    document = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{award.credential_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": site.issuer(issuer.program), "type": ["Profile"], "name": issuer.name,
                   "url": issuer.url},
        "name": facts.name,
        "validFrom": timestamp(award.valid_from),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                 "identityHash": identity_hash(recipient.email, recipient.salt), "salt": recipient.salt},
                {"type": "IdentityObject", "identityType": "name", "hashed": False,
                 "identityHash": recipient.name},
            ],
            "achievement": achievement(site, issuer.program, facts),
        },
        "credentialStatus": {
            "id": f"{status_url}#{award.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": STATUS_PURPOSE,
            "statusListIndex": str(award.status_index),
            "statusListCredential": status_url,
        },
        # Where a person checks it: the certification's page, the same across renewals.
        "evidence": [{"id": award.verification_url, "type": ["Evidence"], "name": "Verification page"}],
    }
    if award.valid_until is not None:
        document["validUntil"] = timestamp(award.valid_until)
    return document


def status_list_credential(site: Site, issuer: Issuer, number: int, encoded_list: str, published_at: datetime,
                           valid_for_seconds: int) -> dict:
    """The BitstringStatusListCredential, valid a short while so an old copy cannot un-revoke."""
    url = site.status_list(issuer.program, number)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": site.issuer(issuer.program),
        "validFrom": timestamp(published_at),
        "validUntil": timestamp(datetime.fromtimestamp(published_at.timestamp() + valid_for_seconds, timezone.utc)),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": STATUS_PURPOSE,
            "encodedList": encoded_list,
        },
    }
