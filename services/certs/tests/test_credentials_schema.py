"""Every credential and issuer profile CertTrack issues conforms to 1EdTech's published schemas."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from jsonschema import Draft201909Validator

from certs.credentials import keys, openbadges

SCHEMAS = Path(__file__).parent / "data" / "openbadges"
SITE = openbadges.Site("https://certs.example.org")
CISCO = openbadges.Issuer("cisco", "Cisco Systems", "https://www.cisco.com/", "https://certs.example.org/cisco.png")


def _validator(name: str) -> Draft201909Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


CREDENTIAL_SCHEMA = _validator("ob_v3p0_achievementcredential_schema.json")
PROFILE_SCHEMA = _validator("ob_v3p0_profile_schema.json")


def _credential(valid_until=datetime(2029, 12, 7, tzinfo=timezone.utc), image=None):
    achievement = openbadges.Achievement("ccie-ei", "CCIE Enterprise Infrastructure", "Expert networking.",
                                         "Pass the written and the lab exam.", "CCIE EI", image)
    award = openbadges.Award("1b4e28ba-2fa1-11d2-883f-0016d3cca427", datetime(2026, 12, 7, tzinfo=timezone.utc),
                             valid_until, 1, 77, "https://certs.example.org/verify/certification/x")
    return openbadges.credential(SITE, CISCO, achievement, openbadges.Recipient("ada@example.com", "Ada", "s"), award)


def _problems(validator, document):
    return [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(document)]


@pytest.mark.parametrize("document", [
    _credential(), _credential(valid_until=None), _credential(image="https://certs.example.org/ccie.png"),
], ids=["expiring", "never-expiring", "with-image"])
def test_credentials_conform_to_the_achievement_credential_schema(document):
    assert _problems(CREDENTIAL_SCHEMA, document) == []


def test_the_issuer_profile_conforms_to_the_profile_schema():
    ring = keys.rotate(keys.new_ring("cisco"))
    assert _problems(PROFILE_SCHEMA, openbadges.profile(SITE, CISCO, ring.public_keys())) == []


@pytest.mark.parametrize("broken", ["issuer", "credentialSubject", "validFrom"])
def test_the_schema_check_catches_a_credential_missing_what_it_needs(broken):
    """The schemas have teeth: the same check fails a credential without a required member."""
    document = _credential()
    del document[broken]
    assert _problems(CREDENTIAL_SCHEMA, document)
