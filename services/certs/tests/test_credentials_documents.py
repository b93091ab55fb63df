"""Open Badges 3.0 credentials as built and signed, checked by an independent verifier.

`openbadgeslib` verifies with PyJWT; CertTrack signs with joserfc. If both
agree, a third party holding neither of CertTrack's libraries can check a
CertTrack credential.
"""
from __future__ import annotations

import base64
import gzip
import io
import json
from datetime import date, datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from jwt.algorithms import ECAlgorithm
from openbadgeslib.ob3.status import check_credential_status
from openbadgeslib.ob3.verifier import OB3VerificationError, OB3Verifier
from PIL import Image

from certs.credentials import baking, keys, linkedin, openbadges, signing, status_list

SITE = openbadges.Site("https://certs.example.org")
CISCO = openbadges.Issuer("cisco", "Cisco Systems", "https://www.cisco.com/")
CCNA = openbadges.Achievement("ccna", "Cisco Certified Network Associate", "Networking fundamentals.",
                              "Pass exam 200-301.", "CCNA", "https://certs.example.org/logos/ccna.png")
ADA = openbadges.Recipient("Ada.Lovelace@Example.com", "Ada Lovelace", "s4lt")


def _award(index=4242, valid_until=datetime(2029, 12, 7, tzinfo=timezone.utc)):
    return openbadges.Award("1b4e28ba-2fa1-11d2-883f-0016d3cca427", datetime(2026, 12, 7, tzinfo=timezone.utc),
                            valid_until, 1, index, "https://certs.example.org/verify/certification/abc")


def _signed(ring, award=None):
    document = openbadges.credential(SITE, CISCO, CCNA, ADA, award or _award())
    return document, signing.sign(document, ring.current, SITE.key("cisco", ring.current_id))


def _pem(ring):
    """The public key as a third party gets it: the JWK the kid URL answers, read by PyJWT."""
    return ECAlgorithm.from_jwk(json.dumps(openbadges.public_jwk(ring.current)))


@pytest.fixture(scope="module")
def ring():
    return keys.new_ring("cisco")


# -- the credential ---------------------------------------------------------------------
def test_independent_verifier_accepts_the_credential_and_reads_what_it_says(ring):
    _, token = _signed(ring)
    credential = OB3Verifier(_pem(ring)).verify(token)
    assert credential.issuer.id == "https://certs.example.org/credentials/issuers/cisco"
    assert credential.achievement.name == "Cisco Certified Network Associate"
    assert credential.achievement.achievement_type == "Certification"
    assert credential.expiration_date == datetime(2029, 12, 7, tzinfo=timezone.utc)


def test_a_tampered_credential_fails_both_verifiers(ring):
    _, token = _signed(ring)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["credentialSubject"]["achievement"]["name"] = "CCIE Enterprise Infrastructure"
    forged = ".".join([header, base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("="), signature])
    with pytest.raises(OB3VerificationError, match="signature"):
        OB3Verifier(_pem(ring)).verify(forged)
    checked = signing.check(forged, lambda _header: keys.public(ring.current))
    assert not checked.ok and checked.errors == ["the signature does not match the credential"]


def test_the_header_names_the_key_by_its_url_and_uses_es256(ring):
    _, token = _signed(ring)
    header, _ = signing.unverified_parts(token)
    assert header == {"alg": "ES256", "typ": "vc+jwt",
                      "kid": f"https://certs.example.org/credentials/issuers/cisco/keys/{ring.current_id}"}


def test_the_recipient_is_a_salted_hash_of_the_email_and_the_name(ring):
    document, _ = _signed(ring)
    email, name = document["credentialSubject"]["identifier"]
    assert email["identityHash"] == openbadges.identity_hash("ada.lovelace@example.com", "s4lt")
    assert "ada" not in email["identityHash"].lower() and email["hashed"] is True
    assert name == {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": "Ada Lovelace"}


def test_a_key_the_issuer_does_not_publish_is_refused(ring):
    _, token = _signed(ring)
    checked = signing.check(token, lambda _header: None)
    assert checked.errors == ["the key named in the credential is not one its issuer publishes"]


def test_another_programs_key_does_not_verify(ring):
    _, token = _signed(ring)
    juniper = keys.new_ring("juniper")
    assert not signing.check(token, lambda _header: keys.public(juniper.current)).ok


def test_an_algorithm_chosen_by_the_sender_is_refused(ring):
    _, token = _signed(ring)
    _, payload, _ = token.split(".")
    none = base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=")
    checked = signing.check(f"{none}.{payload}.", lambda _header: keys.public(ring.current))
    assert checked.errors == ["the signature algorithm must be ES256, not 'none'"]


@pytest.mark.parametrize("garbage", ["", "a.b.c", "x" * 70_000, "[" * 5000, "eyJhbGciOiJFUzI1NiJ9.W10.sig"])
def test_garbage_is_a_reason_not_an_exception(garbage):
    checked = signing.check(garbage, lambda _header: None)
    assert not checked.ok and checked.errors


def test_claims_that_disagree_with_the_credential_are_refused(ring):
    document = openbadges.credential(SITE, CISCO, CCNA, ADA, _award())
    token = signing.sign(document, ring.current, SITE.key("cisco", ring.current_id))
    claims = signing.unverified_parts(token)[1]
    claims["jti"] = "urn:uuid:someone-else"
    from joserfc import jws
    relabelled = jws.serialize_compact({"alg": "ES256", "kid": "k"}, json.dumps(claims).encode(), ring.current,
                                       algorithms=["ES256"])
    checked = signing.check(relabelled, lambda _header: keys.public(ring.current))
    assert checked.errors == ["the jti claim does not match the credential id"]


# -- keys -------------------------------------------------------------------------------
def test_rotation_keeps_old_credentials_verifiable_and_drops_the_old_private_key(ring, tmp_path):
    _, old_token = _signed(ring)
    rotated = keys.rotate(ring)
    keys.save(rotated, tmp_path)
    reloaded = keys.load("cisco", tmp_path, {})
    kid = signing.unverified_parts(old_token)[0]["kid"].rsplit("/", 1)[1]
    assert reloaded.current_id != ring.current_id and reloaded.find(kid) is not None
    assert signing.check(old_token, lambda header: reloaded.find(header["kid"].rsplit("/", 1)[1])).ok
    stored = json.loads((tmp_path / "cisco.json").read_text())
    assert all("d" not in key for key in stored["retired"])
    assert oct((tmp_path / "cisco.json").stat().st_mode & 0o777) == "0o600"


def test_production_without_keys_refuses_to_invent_one(tmp_path):
    with pytest.raises(keys.SigningKeysMissing, match="CREDENTIAL_KEYS_CISCO"):
        keys.load("cisco", tmp_path, {})
    assert not list(tmp_path.iterdir())


def test_development_generates_a_ring_once_and_keeps_it(tmp_path):
    first = keys.load("cisco", tmp_path, {}, generate_missing=True)
    assert keys.load("cisco", tmp_path, {}, generate_missing=True).current_id == first.current_id


def test_the_environment_wins_over_the_folder(ring, tmp_path):
    keys.save(keys.new_ring("cisco"), tmp_path)
    loaded = keys.load("cisco", tmp_path, {"CREDENTIAL_KEYS_CISCO": json.dumps(keys.to_json(ring))})
    assert loaded.current_id == ring.current_id


@pytest.mark.parametrize("text", ["{}", "not json", json.dumps({"program": "cisco", "current": {"kty": "EC"}})])
def test_a_broken_ring_is_a_named_error(text, tmp_path):
    with pytest.raises(keys.KeyRingInvalid):
        keys.load("cisco", tmp_path, {"CREDENTIAL_KEYS_CISCO": text})


def test_a_ring_without_its_private_key_cannot_sign(ring):
    public_only = {"program": "cisco", "current": keys.public(ring.current).as_dict(), "retired": []}
    with pytest.raises(keys.KeyRingInvalid, match="private"):
        keys.from_json(public_only)


def test_the_issuer_profile_lists_every_published_key(ring):
    rotated = keys.rotate(ring)
    profile = openbadges.profile(SITE, CISCO, rotated.public_keys())
    listed = [method["id"] for method in profile["verificationMethod"]]
    assert listed == [SITE.key("cisco", rotated.current_id), SITE.key("cisco", ring.current_id)]
    assert all("d" not in method["publicKeyJwk"] for method in profile["verificationMethod"])


# -- status list ------------------------------------------------------------------------
def _status_document(encoded):
    return openbadges.status_list_credential(SITE, CISCO, 1, encoded, datetime.now(timezone.utc), 3600)


def test_the_independent_verifier_reads_a_revoked_bit_and_a_clear_one_from_a_signed_list(ring):
    _, revoked = _signed(ring, _award(index=7))
    signed_list = signing.sign(_status_document(status_list.encode({7})), ring.current,
                               SITE.key("cisco", ring.current_id))
    listed = {SITE.status_list("cisco", 1): signed_list.encode()}
    verifier = OB3Verifier(_pem(ring))
    with pytest.raises(OB3VerificationError, match="'revocation' is set at index 7"):
        verifier.verify(revoked, check_status=True, download=listed.__getitem__)
    _, active = _signed(ring, _award(index=8))
    verifier.verify(active, check_status=True, download=listed.__getitem__)


def test_a_status_list_signed_by_someone_else_is_not_believed(ring):
    _, active = _signed(ring, _award(index=8))
    intruder = keys.new_ring("cisco")
    forged_list = signing.sign(_status_document(status_list.encode(set())), intruder.current,
                               SITE.key("cisco", ring.current_id))
    with pytest.raises(OB3VerificationError):
        OB3Verifier(_pem(ring)).verify(active, check_status=True,
                                       download={SITE.status_list("cisco", 1): forged_list.encode()}.__getitem__)


def test_the_list_is_131072_bits_gzip_multibase_with_bit_zero_first():
    encoded = status_list.encode({0, 131_071})
    assert encoded.startswith("u") and "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=="))
    assert len(raw) * 8 == 131_072 and raw[0] == 0x80 and raw[-1] == 0x01
    assert status_list.is_set(status_list.decode(encoded), 0) and not status_list.is_set(raw, 1)


def test_the_same_list_always_encodes_the_same():
    assert status_list.encode({5, 9}) == status_list.encode([9, 5])


def test_a_gzip_bomb_is_refused_before_it_fills_memory():
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(64 * 1024 * 1024))).decode().rstrip("=")
    with pytest.raises(ValueError, match="larger than"):
        status_list.decode(bomb)


def test_indexes_are_random_and_never_reused():
    taken: set[int] = set()
    for _ in range(2000):
        index = status_list.allocate(taken.__contains__)
        assert index not in taken
        taken.add(index)
    assert max(taken) > 100_000 and sorted(taken) != list(range(2000))


def test_a_list_with_no_free_index_in_reach_counts_as_full():
    with pytest.raises(status_list.StatusListFull):
        status_list.allocate(lambda index: True, size=1000)
    assert status_list.allocate(lambda index: index != 613, size=1000, attempts=100_000) == 613


# -- baking -----------------------------------------------------------------------------
def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "navy").save(buffer, "PNG")
    return buffer.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><circle r="2"/></svg>'


def test_png_baking_round_trips_and_other_tools_find_it(ring):
    _, token = _signed(ring)
    baked = baking.bake_png(_png(), token)
    assert baking.extract(baked) == token
    assert OB3Verifier.extract_token_from_png(baked) == token
    assert Image.open(io.BytesIO(baked)).size == (4, 4)


def test_baking_again_replaces_the_old_credential(ring):
    _, first = _signed(ring)
    _, second = _signed(ring, _award(index=99))
    twice = baking.bake_png(baking.bake_png(_png(), first), second)
    assert baking.extract_png(twice) == second and twice.count(b"openbadgecredential") == 1
    svg_twice = baking.bake_svg(baking.bake_svg(SVG, first), second)
    assert baking.extract_svg(svg_twice) == second and svg_twice.count(b"credential ") == 1


def test_svg_baking_round_trips_and_other_tools_find_it(ring):
    _, token = _signed(ring)
    baked = baking.bake_svg(SVG, token)
    assert baking.extract(baked) == token
    assert OB3Verifier.extract_token_from_svg(baked) == token
    assert b'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked


@pytest.mark.parametrize("upload", [
    b"", b"GIF89a", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x10IHDR",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"/>', b"<html/>",
])
def test_hostile_or_empty_uploads_are_a_clear_refusal(upload):
    with pytest.raises(baking.NotABadge):
        baking.extract(upload)


def test_a_compressed_text_bomb_in_a_png_is_refused():
    body = baking.PNG_KEYWORD + b"\0\x01\x00\0\0" + __import__("zlib").compress(b"a" * 10_000_000)
    image = _png().replace(b"IEND", b"IEND")  # the chunk goes before IEND
    end = image.rindex(b"\x00\x00\x00\x00IEND")
    bomb = image[:end] + baking._chunk(b"iTXt", body) + image[end:]
    with pytest.raises(baking.NotABadge, match="too large"):
        baking.extract_png(bomb)


# -- LinkedIn ---------------------------------------------------------------------------
def test_the_linkedin_link_carries_the_certification():
    link = linkedin.add_to_profile(name="Cisco Certified Network Associate", organization="Cisco Systems",
                                   issued_on=date(2026, 12, 7), valid_through=date(2029, 12, 6),
                                   verification_url="https://certs.example.org/verify/certification/abc",
                                   credential_id="urn:uuid:1b4e28ba")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert {key: values[0] for key, values in parse_qs(parts.query).items()} == {
        "startTask": "CERTIFICATION_NAME", "name": "Cisco Certified Network Associate",
        "organizationName": "Cisco Systems", "issueYear": "2026", "issueMonth": "12",
        "expirationYear": "2029", "expirationMonth": "12",
        "certUrl": "https://certs.example.org/verify/certification/abc", "certId": "urn:uuid:1b4e28ba"}


def test_a_certification_that_never_expires_has_no_expiration_on_linkedin():
    link = linkedin.add_to_profile(name="X", organization="Y", issued_on=date(2026, 1, 31), valid_through=None,
                                   verification_url="https://e/v", credential_id="c")
    assert "expiration" not in link


def test_production_refuses_to_start_without_every_programs_keys(tmp_path, ring):
    from certs.credentials import issuing

    with pytest.raises(keys.SigningKeysMissing, match="juniper"):
        issuing.load(["cisco", "juniper"], site_url="https://certs.example.org", keys_dir=tmp_path,
                     environment="production", environ={"CREDENTIAL_KEYS_CISCO": json.dumps(keys.to_json(ring))})
    with pytest.raises(keys.KeyRingInvalid):
        issuing.load(["cisco"], site_url="https://certs.example.org", keys_dir=tmp_path,
                     environment="production", environ={"CREDENTIAL_KEYS_CISCO": "CHANGE-ME"})
    assert not list(tmp_path.iterdir())


def test_the_issuer_is_the_program_as_its_catalog_describes_it(ring):
    from certs.catalog import CATALOG_DIR, load_catalogs
    from certs.credentials.issuing import issuer

    cisco = load_catalogs(CATALOG_DIR)["cisco"]
    assert issuer(cisco) == openbadges.Issuer("cisco", "Cisco", "https://www.cisco.com/")
    hosted = cisco.model_copy(update={"image": "https://www.example.com/cisco.png"})
    profile = openbadges.profile(SITE, issuer(hosted), ring.public_keys())
    assert profile["image"] == {"id": "https://www.example.com/cisco.png", "type": "Image", "caption": "Cisco"}
