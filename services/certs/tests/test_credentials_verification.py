"""What the public verification of a credential answers, for genuine and hostile input alike."""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from certs.credentials import baking, keys, openbadges, signing
from certs.credentials.verification import Issuers, verify

SITE = openbadges.Site("https://certs.example.org")
CISCO = openbadges.Issuer("cisco", "Cisco Systems", "https://www.cisco.com/")
CCNA = openbadges.Achievement("ccna", "Cisco Certified Network Associate", "Networking.", "Pass 200-301.", "CCNA")
ADA = openbadges.Recipient("ada@example.com", "Ada Lovelace", "s4lt")
NOW = datetime(2027, 6, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def rings():
    return {"cisco": keys.new_ring("cisco"), "juniper": keys.new_ring("juniper")}


def _issue(rings, program="cisco", index=11, valid_until=datetime(2029, 12, 7, tzinfo=timezone.utc),
           credential_id="1b4e28ba-2fa1-11d2-883f-0016d3cca427"):
    issuer = openbadges.Issuer(program, program.title(), f"https://{program}.example.com/")
    award = openbadges.Award(credential_id, datetime(2026, 12, 7, tzinfo=timezone.utc), valid_until, 1, index,
                             "https://certs.example.org/verify/certification/abc")
    document = openbadges.credential(SITE, issuer, CCNA, ADA, award)
    ring = rings[program]
    return signing.sign(document, ring.current, SITE.key(program, ring.current_id))


def _issuers(rings, revoked=frozenset(), issued=None):
    return Issuers(SITE, rings, lambda program, number, index: (program, number, index) in revoked, (issued or {}).get)


def test_a_genuine_credential_is_verified_and_active(rings):
    assert verify(_issue(rings), _issuers(rings), NOW).as_json() == {"verified": True, "status": "active", "errors": []}


def test_a_revoked_credential_is_genuine_but_revoked(rings):
    result = verify(_issue(rings, index=11), _issuers(rings, revoked={("cisco", 1, 11)}), NOW)
    assert (result.verified, result.status) == (True, "revoked")


def test_an_expired_credential_says_expired(rings):
    token = _issue(rings, valid_until=datetime(2027, 1, 1, tzinfo=timezone.utc))
    assert verify(token, _issuers(rings), NOW).status == "expired"


def test_a_credential_signed_with_another_programs_key_is_not_verified(rings):
    """Juniper's key cannot vouch for a credential that names Cisco as its issuer."""
    document = json.loads(json.dumps(signing.unverified_parts(_issue(rings))[1]))
    for claim in signing.REGISTERED_CLAIMS:
        document.pop(claim)
    juniper = rings["juniper"]
    forged = signing.sign(document, juniper.current, SITE.key("juniper", juniper.current_id))
    result = verify(forged, _issuers(rings), NOW)
    assert not result.verified and result.errors == ["the issuer is not the program whose key signed it",
                                                      "its status entry does not point to the program's status list"]


def test_a_key_from_another_site_is_not_ours(rings):
    ring = keys.new_ring("cisco")
    document = signing.document_of(signing.unverified_parts(_issue(rings))[1])
    foreign = signing.sign(document, ring.current, f"https://evil.example/credentials/issuers/cisco/keys/{ring.current_id}")
    result = verify(foreign, _issuers(rings), NOW)
    assert not result.verified and "not one its issuer publishes" in result.errors[0]


def test_a_key_retired_by_rotation_still_verifies_old_credentials(rings):
    token = _issue(rings)
    rotated = {**rings, "cisco": keys.rotate(rings["cisco"])}
    assert verify(token, _issuers(rotated), NOW).status == "active"


def test_baked_images_verify_like_the_token(rings):
    token = _issue(rings)
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buffer, "PNG")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    assert verify(baking.bake_png(buffer.getvalue(), token), _issuers(rings), NOW).status == "active"
    assert verify(baking.bake_svg(svg, token), _issuers(rings), NOW).status == "active"


def test_the_vc2_envelope_verifies_like_the_token(rings):
    envelope = {"@context": "https://www.w3.org/ns/credentials/v2", "type": "EnvelopedVerifiableCredential",
                "id": "data:application/vc+jwt," + _issue(rings)}
    assert verify(json.dumps(envelope), _issuers(rings), NOW).status == "active"


def test_the_json_download_verifies_as_a_copy_of_what_was_issued_and_an_edited_one_does_not(rings):
    token = _issue(rings)
    document = signing.document_of(signing.unverified_parts(token)[1])
    issued = {document["id"]: token}
    assert verify(json.dumps(document), _issuers(rings, issued=issued), NOW).status == "active"
    document["validUntil"] = "2099-01-01T00:00:00Z"
    result = verify(json.dumps(document), _issuers(rings, issued=issued), NOW)
    assert not result.verified and result.errors == ["this JSON differs from the credential issued with its id"]


def test_json_naming_no_credential_of_ours_says_what_to_send_instead(rings):
    result = verify('{"id": "urn:uuid:nope", "type": ["VerifiableCredential"]}', _issuers(rings), NOW)
    assert not result.verified and ".jwt file or the badge image" in result.errors[0]


@pytest.mark.parametrize("submitted", [
    b"", b"\xff\xfe", "   ", "[]", "{" * 10_000, "not a jwt", b"GIF89a....",
    b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>',
    "a" * 200_000,
])
def test_garbage_is_not_verified_and_says_why(rings, submitted):
    result = verify(submitted, _issuers(rings), NOW)
    assert result.verified is False and result.errors and result.status is None


def test_a_credential_not_yet_valid_is_not_verified(rings):
    result = verify(_issue(rings), _issuers(rings), datetime(2026, 12, 6, tzinfo=timezone.utc))
    assert not result.verified and result.errors == ["the credential is not valid yet"]


def test_a_day_after_expiry_and_a_moment_before(rings):
    token = _issue(rings, valid_until=datetime(2029, 12, 7, tzinfo=timezone.utc))
    moment = datetime(2029, 12, 7, tzinfo=timezone.utc)
    assert verify(token, _issuers(rings), moment - timedelta(seconds=1)).status == "active"
    assert verify(token, _issuers(rings), moment).status == "expired"
